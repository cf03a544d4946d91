// The durable outbox: Kafka messages written to SQLite (WAL mode) before they are produced and
// removed only once the sink acknowledged them, so a crash between the two re-sends rather than
// loses. One file under the state directory; one process at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/alert_message.h"

struct sqlite3;
struct sqlite3_stmt;

namespace raqib::daemon {

// One stored message.
struct OutboxEntry {
  std::int64_t seq = 0;  // assigned by Append; increasing, never reused
  std::string article_id;
  OutgoingMessage message;
  std::chrono::system_clock::time_point first_seen;  // for the item-to-ack latency
};

struct OutboxOptions {
  std::filesystem::path path;  // the SQLite file; its directory must exist
  // Most messages the outbox holds; Append fails (writing nothing) beyond it.
  std::uint64_t capacity = 100000;
  // true: PRAGMA synchronous=FULL, every committed Append survives a power loss (Remove
  // commits at NORMAL either way: losing one only re-sends a message).
  // false: synchronous=NORMAL, survives a process crash (SIGKILL) but a power loss may lose
  // the last transactions. See docs/KAFKA.md for the measured cost.
  bool sync_full = true;
};

class Outbox {
 public:
  // Opens or creates the file, switches it to WAL mode and counts what is left in it.
  static std::expected<std::unique_ptr<Outbox>, std::string> Open(const OutboxOptions& options);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Writes all `entries` in one transaction and sets their `seq`. Fails, writing nothing, when
  // they do not fit under the capacity or on a disk error.
  std::expected<void, std::string> Append(std::span<OutboxEntry> entries);
  // Deletes the given messages (unknown seqs are ignored) in one transaction.
  std::expected<void, std::string> Remove(std::span<const std::int64_t> seqs);
  // The stored message, or nullopt if it is no longer there.
  std::expected<std::optional<OutboxEntry>, std::string> Get(std::int64_t seq);
  // The seqs of every stored message, oldest first.
  std::expected<std::vector<std::int64_t>, std::string> Sequences();

  std::uint64_t Depth() const;
  std::uint64_t Capacity() const { return capacity_; }

 private:
  Outbox(sqlite3* db, std::uint64_t capacity, bool sync_full);
  std::expected<void, std::string> Prepare();
  std::expected<void, std::string> Exec(const char* sql);  // needs mutex_ held
  std::string Error(const char* what) const;               // needs mutex_ held

  const std::uint64_t capacity_;
  const bool sync_full_;
  // Guards the connection, its prepared statements and depth_: Append runs on the pipeline
  // thread, Remove and Get on whichever thread serves delivery reports.
  mutable std::mutex mutex_;
  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
  std::uint64_t depth_ = 0;  // rows in the table
};

}  // namespace raqib::daemon
