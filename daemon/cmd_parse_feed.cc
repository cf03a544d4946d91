// `raqib parse-feed FILE|URL`: one feed through the fetcher and the parser, items as JSON lines
// on stdout, the feed's metadata and any parse issue on stderr.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "daemon/commands.h"
#include "feeds/feed_json.h"
#include "feeds/fetcher.h"
#include "feeds/parser.h"

namespace raqib::daemon {
namespace {

struct Source {
  std::string body;
  std::string content_type;
  std::string url;  // base for relative links: the effective URL, or file:// of the path
};

bool IsUrl(const std::string& target) {
  return target.starts_with("http://") || target.starts_with("https://") ||
         target.starts_with("file://");
}

// Reads the feed, or says on stderr why it could not and returns false.
bool Load(const std::string& target, Source& source) {
  if (IsUrl(target)) {
    feeds::FetchRequest request;
    request.url = target;
    feeds::FetchResult fetched = feeds::FetchOnce(feeds::FetcherOptions{}, std::move(request));
    if (!fetched.ok()) {
      std::cerr << "raqib parse-feed: cannot fetch " << target << ": "
                << feeds::FetchErrorName(fetched.error) << ": " << fetched.error_message << "\n";
      return false;
    }
    source.body = std::move(fetched.body);
    source.content_type = std::move(fetched.content_type);
    source.url = fetched.effective_url.empty() ? target : fetched.effective_url;
    return true;
  }
  std::ifstream in(target, std::ios::binary);
  if (!in) {
    std::cerr << "raqib parse-feed: cannot read " << target << "\n";
    return false;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) {
    std::cerr << "raqib parse-feed: error reading " << target << "\n";
    return false;
  }
  source.body = std::move(bytes).str();
  return true;
}

int Run(const std::string& target, const std::string& content_type, const std::string& base) {
  Source source;
  if (!Load(target, source)) return 1;
  feeds::ParseOptions options;
  options.content_type = content_type.empty() ? source.content_type : content_type;
  options.base_url = base.empty() ? source.url : base;
  const feeds::ParseResult result = feeds::ParseFeed(source.body, options);
  for (const feeds::FeedItem& item : result.feed.items) {
    std::cout << feeds::DumpJson(feeds::ItemToJson(item)) << "\n";
  }
  std::cout.flush();
  std::cerr << feeds::DumpJson(feeds::ParseSummaryToJson(result)) << "\n";
  if (result.feed.format == feeds::FeedFormat::kUnknown) {
    std::cerr << "raqib parse-feed: nothing could be parsed from " << target << ": "
              << (result.issue ? result.issue->message : "not a feed") << "\n";
    return 1;
  }
  if (result.issue) {
    std::cerr << "raqib parse-feed: warning: " << result.issue->message << " (at byte "
              << result.issue->offset << ")\n";
  }
  return 0;
}

}  // namespace

void AddParseFeedCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "parse-feed",
      "Fetch or read a feed and print its items as JSON lines (metadata and issues on stderr)");
  static std::string target;
  static std::string content_type;
  static std::string base;
  cmd->add_option("feed", target, "a file path, or an http://, https:// or file:// URL")
      ->required();
  cmd->add_option("--content-type", content_type,
                  "treat the bytes as served with this Content-Type (its charset is used)");
  cmd->add_option("--base-url", base, "resolve relative links against this URL");
  cmd->callback([&exit_code] { exit_code = Run(target, content_type, base); });
}

}  // namespace raqib::daemon
