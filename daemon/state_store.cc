#include "daemon/state_store.h"

#include <sqlite3.h>

#include <array>
#include <cstdio>

namespace raqib::daemon {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS seen (
  id TEXT PRIMARY KEY,
  content_hash TEXT NOT NULL,
  feed_url TEXT NOT NULL,
  first_seen INTEGER NOT NULL,  -- unix seconds
  last_seen INTEGER NOT NULL    -- unix seconds; pruning key
);
CREATE INDEX IF NOT EXISTS seen_hash ON seen(content_hash);
CREATE INDEX IF NOT EXISTS seen_last ON seen(last_seen);
CREATE TABLE IF NOT EXISTS feed_http (
  url TEXT PRIMARY KEY,
  etag TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  permanent_url TEXT NOT NULL
);
)sql";

// A last-seen refresh is a write; once a day is enough for a retention counted in weeks.
constexpr std::int64_t kTouchEverySeconds = 24 * 3600;

std::int64_t Unix(StateStore::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Resets a statement on every exit path.
class Bound {
 public:
  explicit Bound(sqlite3_stmt* s) : s_(s) {}
  ~Bound() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Bound(const Bound&) = delete;
  Bound& operator=(const Bound&) = delete;
  Bound& Text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Bound& Int(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  std::string Column(int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : "";
  }
  std::int64_t ColumnInt(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_;
};

// Appends one code point as UTF-8.
void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Letters and digits only, lower-cased ASCII, without Arabic diacritics (U+064B..U+065F,
// U+0670) and tatweel (U+0640): punctuation, spacing and vowel marks are what editors change
// when they re-publish the same text.
void Normalise(std::string_view in, std::string& out) {
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    char32_t c = b;
    std::size_t len = 1;
    if (b >= 0xF0 && i + 3 < in.size()) {
      c = ((b & 0x07u) << 18) | ((in[i + 1] & 0x3Fu) << 12) | ((in[i + 2] & 0x3Fu) << 6) |
          (in[i + 3] & 0x3Fu);
      len = 4;
    } else if (b >= 0xE0 && i + 2 < in.size()) {
      c = ((b & 0x0Fu) << 12) | ((in[i + 1] & 0x3Fu) << 6) | (in[i + 2] & 0x3Fu);
      len = 3;
    } else if (b >= 0xC0 && i + 1 < in.size()) {
      c = ((b & 0x1Fu) << 6) | (in[i + 1] & 0x3Fu);
      len = 2;
    }
    i += len;
    if (c < 0x80) {
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) out += static_cast<char>(c);
      if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
      continue;
    }
    const bool arabic_mark = (c >= 0x064B && c <= 0x065F) || c == 0x0670 || c == 0x0640;
    const bool punctuation = (c >= 0x2000 && c <= 0x206F) || c == 0x060C || c == 0x061B ||
                             c == 0x061F || c == 0x06D4 || c == 0x00A0 || c == 0x00AB ||
                             c == 0x00BB;
    if (!arabic_mark && !punctuation) AppendUtf8(out, c);
  }
}

}  // namespace

std::string ContentHash(std::string_view title, std::string_view text) {
  std::string normal;
  normal.reserve(title.size() + text.size());
  Normalise(title, normal);
  normal += '\x1f';
  Normalise(text, normal);
  // Two independent 64-bit FNV-1a lanes: 128 bits, stable across builds and platforms.
  std::uint64_t a = 14695981039346656037ULL, b = 0x84222325cbf29ce4ULL;
  for (const unsigned char c : normal) {
    a = (a ^ c) * 1099511628211ULL;
    b = (b ^ (c + 0x9eU)) * 0x100000001b3ULL;
  }
  std::array<char, 33> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return std::string(hex.data(), 32);
}

std::expected<std::unique_ptr<StateStore>, std::string> StateStore::Open(
    const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return std::unexpected("cannot create " + path.parent_path().string() + ": " + ec.message());
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return std::unexpected(path.string() + ": " + message);
  }
  std::unique_ptr<StateStore> store(new StateStore(db));
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "schema failed";
    sqlite3_free(error);
    return std::unexpected(path.string() + ": " + message);
  }
  if (auto prepared = store->Prepare(); !prepared)
    return std::unexpected(path.string() + ": " + prepared.error());
  return store;
}

StateStore::StateStore(sqlite3* db) : db_(db) {}

StateStore::~StateStore() {
  for (auto* s : {find_id_, find_hash_, touch_, insert_, load_feed_, save_feed_})
    sqlite3_finalize(s);
  sqlite3_close(db_);
}

std::string StateStore::Error() const { return sqlite3_errmsg(db_); }

std::expected<void, std::string> StateStore::Prepare() {
  const std::pair<sqlite3_stmt**, const char*> statements[] = {
      {&find_id_, "SELECT last_seen FROM seen WHERE id = ?1"},
      {&find_hash_, "SELECT id, last_seen FROM seen WHERE content_hash = ?1 LIMIT 1"},
      {&touch_, "UPDATE seen SET last_seen = ?2 WHERE id = ?1"},
      {&insert_,
       "INSERT INTO seen(id, content_hash, feed_url, first_seen, last_seen) "
       "VALUES(?1, ?2, ?3, ?4, ?4) "
       "ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen"},
      {&load_feed_, "SELECT etag, last_modified, permanent_url FROM feed_http WHERE url = ?1"},
      {&save_feed_,
       "INSERT INTO feed_http(url, etag, last_modified, permanent_url) VALUES(?1, ?2, ?3, ?4) "
       "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
       "last_modified = excluded.last_modified, permanent_url = excluded.permanent_url"},
  };
  for (const auto& [stmt, sql] : statements) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK)
      return std::unexpected(Error());
  }
  return {};
}

bool StateStore::Seen(const std::string& id, const std::string& content_hash, TimePoint now) {
  std::string hit;
  std::int64_t last_seen = 0;
  {
    Bound q(find_id_);
    if (q.Text(1, id).Step() == SQLITE_ROW) hit = id, last_seen = q.ColumnInt(0);
  }
  if (hit.empty()) {
    Bound q(find_hash_);
    if (q.Text(1, content_hash).Step() == SQLITE_ROW) hit = q.Column(0), last_seen = q.ColumnInt(1);
  }
  if (hit.empty()) return false;
  if (Unix(now) - last_seen >= kTouchEverySeconds)
    Bound(touch_).Text(1, hit).Int(2, Unix(now)).Step();
  return true;
}

std::expected<void, std::string> StateStore::MarkSeen(const std::string& id,
                                                      const std::string& content_hash,
                                                      const std::string& feed_url, TimePoint now) {
  Bound q(insert_);
  if (q.Text(1, id).Text(2, content_hash).Text(3, feed_url).Int(4, Unix(now)).Step() != SQLITE_DONE)
    return std::unexpected(Error());
  return {};
}

std::size_t StateStore::Prune(TimePoint cutoff) {
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db_, "DELETE FROM seen WHERE last_seen < ?1", -1, &s, nullptr);
  sqlite3_bind_int64(s, 1, Unix(cutoff));
  sqlite3_step(s);
  sqlite3_finalize(s);
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::size_t StateStore::SeenCount() {
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db_, "SELECT count(*) FROM seen", -1, &s, nullptr);
  std::size_t n =
      sqlite3_step(s) == SQLITE_ROW ? static_cast<std::size_t>(sqlite3_column_int64(s, 0)) : 0;
  sqlite3_finalize(s);
  return n;
}

FeedHttpState StateStore::LoadFeed(const std::string& url) {
  Bound q(load_feed_);
  FeedHttpState state;
  if (q.Text(1, url).Step() == SQLITE_ROW) {
    state.etag = q.Column(0);
    state.last_modified = q.Column(1);
    state.permanent_url = q.Column(2);
  }
  return state;
}

std::expected<void, std::string> StateStore::SaveFeed(const std::string& url,
                                                      const FeedHttpState& state) {
  Bound q(save_feed_);
  if (q.Text(1, url)
          .Text(2, state.etag)
          .Text(3, state.last_modified)
          .Text(4, state.permanent_url)
          .Step() != SQLITE_DONE)
    return std::unexpected(Error());
  return {};
}

void StateStore::Begin() { sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr); }
void StateStore::Commit() { sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }

}  // namespace raqib::daemon
