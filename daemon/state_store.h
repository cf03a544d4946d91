// The daemon's durable memory (SQLite, WAL mode, one file under the state directory):
// which articles were already alerted (dedup) and each feed's conditional-GET state.
// The Kafka outbox is a separate file owned by the publisher.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace raqib::daemon {

// What we remember about a feed between polls and across restarts.
struct FeedHttpState {
  std::string etag;
  std::string last_modified;
  std::string permanent_url;  // set after a 301/308: fetch this instead of the configured URL
};

// A content fingerprint of an article: the same text under a new GUID or URL is the same
// article. Normalises whitespace, ASCII case, Arabic diacritics and tatweel before hashing.
std::string ContentHash(std::string_view title, std::string_view text);

// Not thread-safe: one thread (the pipeline's) uses a store.
class StateStore {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Opens or creates `path` (parent directories included).
  static std::expected<std::unique_ptr<StateStore>, std::string> Open(
      const std::filesystem::path& path);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // True when an article with this id, or with this content hash, was recorded. A hit
  // refreshes the entry's last-seen time (at most daily) so items still in a feed are never
  // pruned and re-alerted.
  bool Seen(const std::string& id, const std::string& content_hash, TimePoint now);
  // Records an article as handled (after its messages are safely in the outbox).
  std::expected<void, std::string> MarkSeen(const std::string& id, const std::string& content_hash,
                                            const std::string& feed_url, TimePoint now);
  // Deletes entries not seen since `cutoff`; returns how many.
  std::size_t Prune(TimePoint cutoff);
  std::size_t SeenCount();

  FeedHttpState LoadFeed(const std::string& url);
  std::expected<void, std::string> SaveFeed(const std::string& url, const FeedHttpState& state);

  // Groups many writes into one transaction (one fsync), e.g. all items of one feed.
  void Begin();
  void Commit();

 private:
  explicit StateStore(sqlite3* db);
  std::expected<void, std::string> Prepare();
  std::string Error() const;

  sqlite3* db_;
  sqlite3_stmt* find_id_ = nullptr;
  sqlite3_stmt* find_hash_ = nullptr;
  sqlite3_stmt* touch_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* load_feed_ = nullptr;
  sqlite3_stmt* save_feed_ = nullptr;
};

}  // namespace raqib::daemon
