// Batch front end of the parser for the conformance runner (conformance.py): one process parses
// many files. Reads JSON lines {"path", "content_type"?, "base_url"?} on stdin and writes, for
// each, one JSON line {"path", "encoding", "feed", "items", "issue"?} on stdout, flushed, so the
// runner can tell which file a crash or hang happened on.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "feeds/feed_json.h"
#include "feeds/parser.h"

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    const nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.contains("path")) {
      std::cout << R"({"error":"bad request"})" << std::endl;
      continue;
    }
    const std::string path = request["path"].get<std::string>();
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const std::string body = std::move(bytes).str();
    const std::string content_type = request.value("content_type", "");
    const std::string base_url = request.value("base_url", "");
    raqib::feeds::ParseOptions options;
    options.content_type = content_type;
    options.base_url = base_url;
    const raqib::feeds::ParseResult result = raqib::feeds::ParseFeed(body, options);
    nlohmann::json out = raqib::feeds::ParseSummaryToJson(result);
    out["path"] = path;
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : result.feed.items) items.push_back(raqib::feeds::ItemToJson(item));
    out["items"] = std::move(items);
    std::cout << raqib::feeds::DumpJson(out) << std::endl;
  }
  return 0;
}
