// Turning the bytes of a feed document into a normalised Feed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "feeds/feed.h"

namespace raqib::feeds {

// What was wrong with a document (like feedparser's "bozo"). A document with a ParseIssue may
// still have yielded items: everything that could be recovered is returned.
struct ParseIssue {
  std::string message;
  std::size_t offset = 0;  // byte offset into the UTF-8 document where it was noticed
};

struct ParseOptions {
  std::string_view content_type;  // HTTP Content-Type, its charset wins when it is plausible
  std::string_view base_url;      // the feed's URL: links are resolved against it
};

struct ParseResult {
  Feed feed;
  std::string encoding;             // the charset the bytes were decoded from
  std::optional<ParseIssue> issue;  // set when the document was not well-formed or not a feed
  bool ok() const { return !issue.has_value(); }
};

// Never throws, never crashes on hostile input. If nothing at all could be parsed, the Feed
// has format kUnknown and no items, and `issue` says why.
ParseResult ParseFeed(std::string_view bytes, const ParseOptions& options = {});

}  // namespace raqib::feeds
