#include "daemon/outbox.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

namespace raqib::daemon {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a seq is never reused
  article_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  msg_key BLOB NOT NULL,
  msg_value BLOB NOT NULL,
  headers TEXT NOT NULL,  -- JSON array of [name, value]
  alert INTEGER NOT NULL,
  first_seen_us INTEGER NOT NULL
);
)sql";

std::int64_t ToMicros(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, column));
  const int size = sqlite3_column_bytes(stmt, column);
  return data ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

void BindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void BindBlob(sqlite3_stmt* stmt, int index, const std::string& bytes) {
  sqlite3_bind_blob(stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

}  // namespace

Outbox::Outbox(sqlite3* db, std::uint64_t capacity, bool sync_full)
    : capacity_(capacity), sync_full_(sync_full), db_(db) {}

Outbox::~Outbox() {
  sqlite3_finalize(insert_);
  sqlite3_finalize(delete_);
  sqlite3_finalize(select_);
  sqlite3_close(db_);
}

std::expected<std::unique_ptr<Outbox>, std::string> Outbox::Open(const OutboxOptions& options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string message =
        "outbox " + options.path.string() + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return std::unexpected(std::move(message));
  }
  std::unique_ptr<Outbox> outbox(new Outbox(db, options.capacity, options.sync_full));
  std::lock_guard lock(outbox->mutex_);
  sqlite3_busy_timeout(db, 5000);
  // WAL: a commit appends to the log instead of rewriting pages, and readers never block it.
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW ||
      std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) != "wal") {
    sqlite3_finalize(stmt);
    return std::unexpected("outbox " + options.path.string() +
                           ": cannot switch to WAL mode: " + sqlite3_errmsg(db));
  }
  sqlite3_finalize(stmt);
  for (const char* sql :
       {options.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", kSchema}) {
    if (auto result = outbox->Exec(sql); !result) {
      return std::unexpected("outbox " + options.path.string() + ": " + result.error());
    }
  }
  if (auto result = outbox->Prepare(); !result) {
    return std::unexpected("outbox " + options.path.string() + ": " + result.error());
  }
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM outbox", -1, &stmt, nullptr) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW) {
    sqlite3_finalize(stmt);
    return std::unexpected("outbox " + options.path.string() + ": " + outbox->Error("count"));
  }
  outbox->depth_ = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0));
  sqlite3_finalize(stmt);
  return outbox;
}

std::expected<void, std::string> Outbox::Prepare() {
  const std::pair<const char*, sqlite3_stmt**> statements[] = {
      {"INSERT INTO outbox (article_id, topic, msg_key, msg_value, headers, alert, first_seen_us) "
       "VALUES (?, ?, ?, ?, ?, ?, ?)",
       &insert_},
      {"DELETE FROM outbox WHERE seq = ?", &delete_},
      {"SELECT article_id, topic, msg_key, msg_value, headers, alert, first_seen_us FROM outbox "
       "WHERE seq = ?",
       &select_},
  };
  for (const auto& [sql, stmt] : statements) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
      return std::unexpected(Error("prepare"));
    }
  }
  return {};
}

std::expected<void, std::string> Outbox::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string error = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return std::unexpected(std::move(error));
  }
  return {};
}

std::string Outbox::Error(const char* what) const {
  return std::string(what) + ": " + sqlite3_errmsg(db_);
}

std::expected<void, std::string> Outbox::Append(std::span<OutboxEntry> entries) {
  std::lock_guard lock(mutex_);
  if (depth_ + entries.size() > capacity_) {
    return std::unexpected("outbox full: " + std::to_string(depth_) + " of " +
                           std::to_string(capacity_) + " messages waiting, " +
                           std::to_string(entries.size()) + " more do not fit");
  }
  if (auto begun = Exec("BEGIN IMMEDIATE"); !begun) return std::unexpected(begun.error());
  for (OutboxEntry& entry : entries) {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& [name, value] : entry.message.headers) headers.push_back({name, value});
    sqlite3_reset(insert_);
    BindText(insert_, 1, entry.article_id);
    BindText(insert_, 2, entry.message.topic);
    BindBlob(insert_, 3, entry.message.key);
    BindBlob(insert_, 4, entry.message.value);
    BindText(insert_, 5, headers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    sqlite3_bind_int(insert_, 6, entry.message.alert ? 1 : 0);
    sqlite3_bind_int64(insert_, 7, ToMicros(entry.first_seen));
    if (sqlite3_step(insert_) != SQLITE_DONE) {
      std::string error = Error("insert");
      sqlite3_reset(insert_);
      (void)Exec("ROLLBACK");
      return std::unexpected(std::move(error));
    }
    entry.seq = sqlite3_last_insert_rowid(db_);
  }
  sqlite3_reset(insert_);
  if (auto committed = Exec("COMMIT"); !committed) {
    (void)Exec("ROLLBACK");
    return std::unexpected("commit: " + committed.error());
  }
  depth_ += entries.size();
  return {};
}

std::expected<void, std::string> Outbox::Remove(std::span<const std::int64_t> seqs) {
  if (seqs.empty()) return {};
  std::lock_guard lock(mutex_);
  // A lost removal only means a duplicate (at-least-once), so removals never wait for an
  // fsync: commit them at NORMAL (the next FULL commit or checkpoint makes them durable).
  // This halves the fsyncs of sync_full.
  if (sync_full_) (void)Exec("PRAGMA synchronous=NORMAL");
  const auto restore = [this] {
    if (sync_full_) (void)Exec("PRAGMA synchronous=FULL");
  };
  if (auto begun = Exec("BEGIN IMMEDIATE"); !begun) {
    restore();
    return std::unexpected(begun.error());
  }
  std::uint64_t removed = 0;
  for (std::int64_t seq : seqs) {
    sqlite3_reset(delete_);
    sqlite3_bind_int64(delete_, 1, seq);
    if (sqlite3_step(delete_) != SQLITE_DONE) {
      std::string error = Error("delete");
      sqlite3_reset(delete_);
      (void)Exec("ROLLBACK");
      restore();
      return std::unexpected(std::move(error));
    }
    removed += static_cast<std::uint64_t>(sqlite3_changes(db_));
  }
  sqlite3_reset(delete_);
  auto committed = Exec("COMMIT");
  if (!committed) (void)Exec("ROLLBACK");
  restore();
  if (!committed) return std::unexpected("commit: " + committed.error());
  depth_ -= removed;
  return {};
}

std::expected<std::optional<OutboxEntry>, std::string> Outbox::Get(std::int64_t seq) {
  std::lock_guard lock(mutex_);
  sqlite3_reset(select_);
  sqlite3_bind_int64(select_, 1, seq);
  const int rc = sqlite3_step(select_);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(select_);
    return std::nullopt;
  }
  if (rc != SQLITE_ROW) {
    std::string error = Error("select");
    sqlite3_reset(select_);
    return std::unexpected(std::move(error));
  }
  OutboxEntry entry;
  entry.seq = seq;
  entry.article_id = ColumnText(select_, 0);
  entry.message.topic = ColumnText(select_, 1);
  entry.message.key = ColumnText(select_, 2);
  entry.message.value = ColumnText(select_, 3);
  const nlohmann::json headers = nlohmann::json::parse(ColumnText(select_, 4), nullptr, false);
  if (headers.is_array()) {
    for (const nlohmann::json& header : headers) {
      if (header.is_array() && header.size() == 2 && header[0].is_string() &&
          header[1].is_string()) {
        entry.message.headers.emplace_back(header[0].get<std::string>(),
                                           header[1].get<std::string>());
      }
    }
  }
  entry.message.alert = sqlite3_column_int(select_, 5) != 0;
  entry.first_seen = std::chrono::system_clock::time_point(
      std::chrono::microseconds(sqlite3_column_int64(select_, 6)));
  sqlite3_reset(select_);
  return entry;
}

std::expected<std::vector<std::int64_t>, std::string> Outbox::Sequences() {
  std::lock_guard lock(mutex_);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT seq FROM outbox ORDER BY seq", -1, &stmt, nullptr) !=
      SQLITE_OK) {
    return std::unexpected(Error("select"));
  }
  std::vector<std::int64_t> seqs;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) seqs.push_back(sqlite3_column_int64(stmt, 0));
  std::string error = rc == SQLITE_DONE ? std::string() : Error("select");
  sqlite3_finalize(stmt);
  if (!error.empty()) return std::unexpected(std::move(error));
  return seqs;
}

std::uint64_t Outbox::Depth() const {
  std::lock_guard lock(mutex_);
  return depth_;
}

}  // namespace raqib::daemon
