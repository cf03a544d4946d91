// The JSON form of feeds and items, shared by `raqib parse-feed` and the daemon. Field names are
// documented in docs/FEEDS.md; dates are RFC 3339 in UTC ("2014-07-06T12:56:00Z").
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "feeds/feed.h"
#include "feeds/parser.h"

namespace raqib::feeds {

// "2014-07-06T12:56:00Z".
std::string FormatRfc3339(Timestamp time);

// One item: id, link, title, summary, content, content_html, authors, categories, published,
// updated (absent when unknown), enclosures [{url, type, length}].
nlohmann::json ItemToJson(const FeedItem& item);

// The feed's metadata without its items: format, title, link, description, language, updated,
// ttl_seconds, item_count.
nlohmann::json FeedMetadataToJson(const Feed& feed);

// The metadata plus what parsing said: encoding and, when set, issue {message, offset}.
nlohmann::json ParseSummaryToJson(const ParseResult& result);

// Serialises as UTF-8 (not \u-escaped), replacing any invalid UTF-8 rather than throwing.
std::string DumpJson(const nlohmann::json& json);

}  // namespace raqib::feeds
