#include <catch2/catch.hpp>

#include "feeds/feed.h"

using raqib::feeds::FeedFormat;
using raqib::feeds::FormatName;

TEST_CASE("feeds::FormatName names every format") {
  CHECK(std::string(FormatName(FeedFormat::kRss20)) == "rss20");
  CHECK(std::string(FormatName(FeedFormat::kAtom10)) == "atom10");
  CHECK(std::string(FormatName(FeedFormat::kRss10)) == "rss10");
  CHECK(std::string(FormatName(FeedFormat::kUnknown)) == "unknown");
}
