// The normalised form of a feed and its items: what the parser produces and the daemon consumes.
// Everything here is plain UTF-8; nothing knows about HTTP, Arabic or Kafka.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace raqib::feeds {

using Timestamp = std::chrono::sys_seconds;  // always UTC

enum class FeedFormat { kUnknown, kRss090, kRss091, kRss092, kRss20, kRss10, kAtom03, kAtom10 };

struct Enclosure {
  std::string url;
  std::string type;
  std::int64_t length = 0;  // bytes, 0 when unknown
};

struct FeedItem {
  // Stable identity: guid / atom:id, else the link, else a hash of title + summary.
  std::string id;
  std::string link;          // absolute: resolved against xml:base and the feed URL
  std::string title;         // plain text
  std::string summary;       // plain text, paragraph breaks kept as "\n\n"
  std::string content;       // plain text of the full content (content:encoded, atom:content)
  std::string content_html;  // the original HTML of the content, as the feed gave it
  std::vector<std::string> authors;
  std::vector<std::string> categories;
  std::optional<Timestamp> published;
  std::optional<Timestamp> updated;
  std::vector<Enclosure> enclosures;
};

struct Feed {
  FeedFormat format = FeedFormat::kUnknown;
  std::string title;                 // plain text
  std::string link;                  // absolute, the site the feed belongs to
  std::string description;           // plain text: RSS description, Atom subtitle / 0.3 tagline
  std::string language;              // RSS language / dc:language, else xml:lang of the root
  std::optional<Timestamp> updated;  // lastBuildDate, atom:updated, dc:date
  // How often the publisher says to poll: <ttl>, or sy:updatePeriod / sy:updateFrequency.
  std::optional<std::chrono::seconds> ttl;
  std::vector<FeedItem> items;
};

const char* FormatName(FeedFormat format);

}  // namespace raqib::feeds
