#include "feeds/feed_json.h"

#include <chrono>
#include <cstdio>

namespace raqib::feeds {

std::string FormatRfc3339(Timestamp time) {
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{time - days};
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buffer;
}

nlohmann::json ItemToJson(const FeedItem& item) {
  nlohmann::json json = {
      {"id", item.id},           {"link", item.link},
      {"title", item.title},     {"summary", item.summary},
      {"content", item.content}, {"content_html", item.content_html},
      {"authors", item.authors}, {"categories", item.categories},
  };
  if (item.published) json["published"] = FormatRfc3339(*item.published);
  if (item.updated) json["updated"] = FormatRfc3339(*item.updated);
  nlohmann::json enclosures = nlohmann::json::array();
  for (const Enclosure& enclosure : item.enclosures) {
    enclosures.push_back(
        {{"url", enclosure.url}, {"type", enclosure.type}, {"length", enclosure.length}});
  }
  json["enclosures"] = std::move(enclosures);
  return json;
}

nlohmann::json FeedMetadataToJson(const Feed& feed) {
  nlohmann::json json = {
      {"format", FormatName(feed.format)},
      {"title", feed.title},
      {"link", feed.link},
      {"description", feed.description},
      {"language", feed.language},
      {"item_count", feed.items.size()},
  };
  if (feed.updated) json["updated"] = FormatRfc3339(*feed.updated);
  if (feed.ttl) json["ttl_seconds"] = feed.ttl->count();
  return json;
}

nlohmann::json ParseSummaryToJson(const ParseResult& result) {
  nlohmann::json json = {{"feed", FeedMetadataToJson(result.feed)}, {"encoding", result.encoding}};
  if (result.issue) {
    json["issue"] = {{"message", result.issue->message}, {"offset", result.issue->offset}};
  }
  return json;
}

std::string DumpJson(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace raqib::feeds
