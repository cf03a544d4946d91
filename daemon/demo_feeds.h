// The demo's news: three feeds (an RSS 2.0 wire service, an Atom breaking-news feed, and an
// RSS sport-and-economy feed) whose stories are fiction written for raqib in the style of
// Arabic news agencies: attacks, claims of responsibility, official statements, and ordinary
// news that must not alert. Stories are released one by one as the demo runs.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace raqib::daemon::demo {

struct Story {
  int feed;  // index into Feeds()
  const char* title;
  const char* text;
};

struct DemoFeed {
  const char* path;   // served at this path
  const char* title;  // the feed's <title>
  bool atom;          // Atom 1.0, else RSS 2.0
};

const std::vector<DemoFeed>& Feeds();
// In release order: the first few are there from the start, the rest appear one by one.
const std::vector<Story>& Stories();

// The feed document at `feed` with the first `released` stories of the whole list that belong
// to it, newest first. `released_at[i]` is when story i appeared; `base_url` makes links.
std::string RenderFeed(std::size_t feed, std::size_t released,
                       const std::vector<std::chrono::system_clock::time_point>& released_at,
                       const std::string& base_url);

}  // namespace raqib::daemon::demo
