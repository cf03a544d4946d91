#include "feeds/feed.h"

namespace raqib::feeds {

const char* FormatName(FeedFormat format) {
  switch (format) {
    case FeedFormat::kRss090: return "rss090";
    case FeedFormat::kRss091: return "rss091";
    case FeedFormat::kRss092: return "rss092";
    case FeedFormat::kRss20: return "rss20";
    case FeedFormat::kRss10: return "rss10";
    case FeedFormat::kAtom03: return "atom03";
    case FeedFormat::kAtom10: return "atom10";
    case FeedFormat::kUnknown: break;
  }
  return "unknown";
}

}  // namespace raqib::feeds
