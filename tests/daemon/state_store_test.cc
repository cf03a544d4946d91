#include "daemon/state_store.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

using raqib::daemon::ContentHash;
using raqib::daemon::FeedHttpState;
using raqib::daemon::StateStore;

namespace {

struct TempFile {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("raqib-state-" + std::to_string(::getpid()) + "-" +
                               std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  std::filesystem::path path = dir / "sub" / "state.sqlite";
  ~TempFile() { std::filesystem::remove_all(dir); }
};

const StateStore::TimePoint kDay0{std::chrono::seconds(1'700'000'000)};

}  // namespace

TEST_CASE("daemon::StateStore remembers seen articles across a restart") {
  TempFile file;
  const auto hash = ContentHash("انفجار في السوق", "قتل ثلاثة أشخاص");
  {
    auto store = StateStore::Open(file.path);
    REQUIRE(store.has_value());
    CHECK_FALSE((*store)->Seen("urn:1", hash, kDay0));
    REQUIRE((*store)->MarkSeen("urn:1", hash, "http://a.example/rss", kDay0).has_value());
    CHECK((*store)->Seen("urn:1", hash, kDay0));
  }
  REQUIRE(std::filesystem::exists(file.path));
  auto reopened = StateStore::Open(file.path);
  REQUIRE(reopened.has_value());
  CHECK((*reopened)->Seen("urn:1", "other-hash", kDay0));
  CHECK((*reopened)->SeenCount() == 1);
}

TEST_CASE("daemon::StateStore treats the same text under a new GUID as seen") {
  TempFile file;
  auto store = *StateStore::Open(file.path);
  store->MarkSeen("urn:old", ContentHash("عنوان الخبر", "نص الخبر الكامل."), "f", kDay0).value();
  // Re-published with a new GUID, different spacing, punctuation and diacritics.
  CHECK(store->Seen("urn:new", ContentHash("  عُنوانُ  الخبر ", "نص الخبر، الكامل"), kDay0));
  CHECK_FALSE(store->Seen("urn:other", ContentHash("عنوان آخر", "نص مختلف"), kDay0));
}

TEST_CASE("daemon::StateStore prunes entries not seen for the retention period") {
  TempFile file;
  auto store = *StateStore::Open(file.path);
  store->MarkSeen("old", "h1", "f", kDay0).value();
  store->MarkSeen("still-in-feed", "h2", "f", kDay0).value();
  const auto day40 = kDay0 + std::chrono::hours(24 * 40);
  // The second item is still in its feed on day 40: seeing it refreshes it.
  CHECK(store->Seen("still-in-feed", "h2", day40));
  CHECK(store->Prune(day40 - std::chrono::hours(24 * 30)) == 1);
  CHECK_FALSE(store->Seen("old", "h1", day40));
  CHECK(store->Seen("still-in-feed", "h2", day40));
}

TEST_CASE("daemon::StateStore keeps each feed's conditional GET state") {
  TempFile file;
  {
    auto store = *StateStore::Open(file.path);
    CHECK(store->LoadFeed("http://a.example/rss").etag.empty());
    store->Begin();
    REQUIRE(store
                ->SaveFeed("http://a.example/rss",
                           FeedHttpState{"\"v1\"", "Sat, 21 Nov 2026 10:00:00 GMT", ""})
                .has_value());
    REQUIRE(store->SaveFeed("http://b.example/rss", FeedHttpState{"", "", "https://b.example/new"})
                .has_value());
    store->Commit();
  }
  auto store = *StateStore::Open(file.path);
  const auto a = store->LoadFeed("http://a.example/rss");
  CHECK(a.etag == "\"v1\"");
  CHECK(a.last_modified == "Sat, 21 Nov 2026 10:00:00 GMT");
  CHECK(store->LoadFeed("http://b.example/rss").permanent_url == "https://b.example/new");
}

TEST_CASE("daemon::StateStore reports a path it cannot open") {
  auto store = StateStore::Open("/proc/raqib-cannot-exist/state.sqlite");
  CHECK_FALSE(store.has_value());
}

TEST_CASE("daemon::ContentHash ignores what editors change and keeps what they say") {
  CHECK(ContentHash("Title", "Text") == ContentHash("title ", " TEXT."));
  CHECK(ContentHash("قصف", "مدينة") == ContentHash("قَصْف", "مدينـــة"));
  CHECK(ContentHash("قصف", "مدينة") != ContentHash("قصف", "قرية"));
  CHECK(ContentHash("a", "bc") != ContentHash("ab", "c"));
  CHECK(ContentHash("x", "y").size() == 32);
}
