// The outbox on a real SQLite file: what goes in comes back after a reopen, the cap refuses
// whole batches, and the file is in WAL mode.
#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/outbox.h"

namespace {

using raqib::daemon::Outbox;
using raqib::daemon::OutboxEntry;
using raqib::daemon::OutboxOptions;

// A fresh directory under TMPDIR, removed at the end of the test.
struct TempDir {
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "raqib-outbox-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

OutboxEntry Entry(const std::string& article, const std::string& topic, bool alert) {
  OutboxEntry e;
  e.article_id = article;
  e.message.topic = topic;
  e.message.key = article;
  e.message.value = R"({"id":")" + article + R"(","title":"قصف"})";
  e.message.headers = {{"ce_id", article + "/x"}, {"content-type", "application/json"}};
  e.message.alert = alert;
  e.first_seen = std::chrono::system_clock::time_point(std::chrono::microseconds(1234567));
  return e;
}

// Rows in the file, counted through a second, independent connection.
long long CountRows(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM outbox", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const long long n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE("daemon::Outbox keeps messages across a reopen until removed") {
  TempDir dir;
  const OutboxOptions options{.path = dir.path / "outbox.sqlite3", .capacity = 100};
  std::vector<OutboxEntry> entries = {Entry("a", "raqib.alerts.attack", true),
                                      Entry("a", "raqib.articles", false),
                                      Entry("b", "raqib.articles", false)};
  {
    auto outbox = Outbox::Open(options);
    REQUIRE(outbox);
    REQUIRE((*outbox)->Append(entries));
    CHECK(entries[0].seq < entries[1].seq);
    CHECK(entries[1].seq < entries[2].seq);
    CHECK((*outbox)->Depth() == 3);
    const std::int64_t first = entries[0].seq;
    REQUIRE((*outbox)->Remove(std::span(&first, 1)));
    CHECK((*outbox)->Depth() == 2);
  }
  CHECK(CountRows(options.path) == 2);

  auto outbox = Outbox::Open(options);
  REQUIRE(outbox);
  CHECK((*outbox)->Depth() == 2);
  auto seqs = (*outbox)->Sequences();
  REQUIRE(seqs);
  CHECK(*seqs == std::vector<std::int64_t>{entries[1].seq, entries[2].seq});

  auto got = (*outbox)->Get(entries[1].seq);
  REQUIRE(got);
  REQUIRE(got->has_value());
  const OutboxEntry& e = **got;
  CHECK(e.article_id == "a");
  CHECK(e.message.topic == "raqib.articles");
  CHECK(e.message.key == "a");
  CHECK(e.message.value == entries[1].message.value);
  CHECK(e.message.headers == entries[1].message.headers);
  CHECK_FALSE(e.message.alert);
  CHECK(e.first_seen == entries[1].first_seen);

  SECTION("a removed message is gone, unknown seqs are ignored") {
    auto gone = (*outbox)->Get(entries[0].seq);
    REQUIRE(gone);
    CHECK_FALSE(gone->has_value());
    const std::vector<std::int64_t> remove = {entries[2].seq, 987654};
    REQUIRE((*outbox)->Remove(remove));
    CHECK((*outbox)->Depth() == 1);
    CHECK(CountRows(options.path) == 1);
  }
  SECTION("seqs are never reused after a reopen") {
    std::vector<OutboxEntry> more = {Entry("c", "raqib.articles", false)};
    REQUIRE((*outbox)->Append(more));
    CHECK(more[0].seq > entries[2].seq);
  }
}

TEST_CASE("daemon::Outbox refuses a batch beyond its capacity and writes none of it") {
  TempDir dir;
  const OutboxOptions options{.path = dir.path / "outbox.sqlite3", .capacity = 4};
  auto outbox = Outbox::Open(options);
  REQUIRE(outbox);
  std::vector<OutboxEntry> three = {Entry("a", "t", true), Entry("a", "t2", true),
                                    Entry("a", "t3", false)};
  REQUIRE((*outbox)->Append(three));
  std::vector<OutboxEntry> two = {Entry("b", "t", true), Entry("b", "t3", false)};
  auto refused = (*outbox)->Append(two);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("outbox full") != std::string::npos);
  CHECK((*outbox)->Depth() == 3);
  CHECK(CountRows(options.path) == 3);
  std::vector<OutboxEntry> one = {Entry("c", "t3", false)};
  CHECK((*outbox)->Append(one));
  CHECK((*outbox)->Depth() == 4);
}

TEST_CASE("daemon::Outbox uses SQLite's WAL journal") {
  TempDir dir;
  const auto path = dir.path / "outbox.sqlite3";
  auto outbox = Outbox::Open({.path = path, .capacity = 10});
  REQUIRE(outbox);
  std::vector<OutboxEntry> one = {Entry("a", "t", true)};
  REQUIRE((*outbox)->Append(one));
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  CHECK(std::filesystem::exists(path.string() + "-wal"));
}

TEST_CASE("daemon::Outbox reports a file it cannot open") {
  auto outbox = Outbox::Open({.path = "/nonexistent-dir/raqib/outbox.sqlite3", .capacity = 10});
  REQUIRE_FALSE(outbox);
  CHECK(outbox.error().find("/nonexistent-dir/raqib/outbox.sqlite3") != std::string::npos);
}
