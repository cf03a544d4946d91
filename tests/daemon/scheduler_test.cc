#include "daemon/scheduler.h"
#include "tests/daemon/fake_clock.h"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using raqib::daemon::Clock;
using raqib::daemon::FeedState;
using raqib::daemon::PollOutcome;
using raqib::daemon::Scheduler;
using raqib::daemon::SchedulerOptions;

namespace {

using raqib::daemon::testing::FakeClock;

// Builds a PollOutcome (designated initialisers would have to name every field under -Wextra).
struct O : PollOutcome {
  O& Times(std::vector<raqib::feeds::Timestamp> t) {
    item_times = std::move(t);
    return *this;
  }
  O& New(std::size_t n) {
    new_items = n;
    return *this;
  }
  O& Ttl(std::chrono::seconds s) {
    ttl = s;
    return *this;
  }
  O& MaxAge(std::chrono::seconds s) {
    max_age = s;
    return *this;
  }
  O& Fail(std::string e) {
    ok = false;
    error = std::move(e);
    return *this;
  }
  O& RetryAfter(std::chrono::seconds s) {
    retry_after = s;
    return *this;
  }
};

SchedulerOptions NoJitter() {
  SchedulerOptions o;
  o.jitter = 0;
  o.per_host_delay = 0ms;
  o.max_per_host = 100;
  return o;
}

// Polls feed `id` now (it must be due) and completes it with `outcome`.
void Poll(Scheduler& s, std::uint64_t id, const PollOutcome& outcome) {
  const auto due = s.TakeDue(1000);
  REQUIRE(std::find(due.begin(), due.end(), id) != due.end());
  for (auto other : due) {
    if (other != id) s.Complete(other, {});
  }
  s.Complete(id, outcome);
}

std::vector<raqib::feeds::Timestamp> EveryN(std::chrono::seconds gap, int n) {
  std::vector<raqib::feeds::Timestamp> times;
  const raqib::feeds::Timestamp start{std::chrono::seconds(1'700'000'000)};
  for (int i = 0; i < n; ++i) times.push_back(start + gap * i);
  return times;
}

}  // namespace

TEST_CASE("daemon::Scheduler polls a new feed at once, then after its interval") {
  FakeClock clock;
  Scheduler s(NoJitter(), clock);
  s.Upsert(1, "http://a.example/rss", 10min);
  CHECK(s.StatusOf(1)->state == FeedState::kPending);
  Poll(s, 1, {});
  CHECK(s.StatusOf(1)->state == FeedState::kOk);
  CHECK(s.TakeDue(10).empty());
  clock.Advance(10min - 1s);
  CHECK(s.TakeDue(10).empty());
  clock.Advance(1s);
  CHECK(s.TakeDue(10) == std::vector<std::uint64_t>{1});
}

TEST_CASE("daemon::Scheduler spreads intervals with jitter within bounds") {
  FakeClock clock;
  SchedulerOptions o = NoJitter();
  o.jitter = 0.1;
  o.seed = 42;
  Scheduler s(o, clock);
  std::set<std::int64_t> dues;
  for (std::uint64_t id = 1; id <= 50; ++id) {
    s.Upsert(id, "http://h" + std::to_string(id) + ".example/", 100s);
  }
  for (auto id : s.TakeDue(100)) s.Complete(id, {});
  for (const auto& status : s.Status()) {
    CHECK(status.due_in >= 90s);
    CHECK(status.due_in <= 110s);
    dues.insert(status.due_in.count());
  }
  CHECK(dues.size() > 5);  // not all feeds at the same moment
}

TEST_CASE("daemon::Scheduler adapts the interval to the publishing rate, clamped") {
  FakeClock clock;
  Scheduler s(NoJitter(), clock);
  s.Upsert(1, "http://a.example/rss", 0s);
  CHECK(s.StatusOf(1)->interval == 5min);  // base interval before anything is known

  SECTION("an item every 3 minutes polls every 3 minutes") {
    Poll(s, 1, O().Times(EveryN(3min, 10)));
    CHECK(s.StatusOf(1)->interval == 3min);
  }
  SECTION("an item every 10 seconds is clamped to the 1 minute floor") {
    Poll(s, 1, O().Times(EveryN(10s, 10)));
    CHECK(s.StatusOf(1)->interval == 1min);
  }
  SECTION("a daily feed is clamped to the 60 minute ceiling") {
    Poll(s, 1, O().Times(EveryN(24h, 10)));
    CHECK(s.StatusOf(1)->interval == 60min);
  }
  SECTION("without dates, new items shrink the interval and quiet polls grow it") {
    Poll(s, 1, O().New(3));
    const auto shrunk = s.StatusOf(1)->interval;
    CHECK(shrunk < 5min);
    clock.Advance(shrunk);
    Poll(s, 1, {});
    CHECK(s.StatusOf(1)->interval > shrunk);
  }
  SECTION("a fixed interval does not adapt") {
    s.Upsert(1, "http://a.example/rss", 7min);
    Poll(s, 1, O().Times(EveryN(1min, 10)));
    CHECK(s.StatusOf(1)->interval == 7min);
  }
}

TEST_CASE("daemon::Scheduler honours ttl and Cache-Control max-age as a floor") {
  FakeClock clock;
  Scheduler s(NoJitter(), clock);
  s.Upsert(1, "http://a.example/rss", 0s);
  SECTION("ttl") {
    Poll(s, 1, O().Times(EveryN(1min, 10)).Ttl(15min));
    CHECK(s.StatusOf(1)->interval == 15min);
  }
  SECTION("max-age") {
    Poll(s, 1, O().Times(EveryN(1min, 10)).MaxAge(20min));
    CHECK(s.StatusOf(1)->interval == 20min);
  }
  SECTION("a hint above max_interval is capped so the feed is still watched hourly") {
    Poll(s, 1, O().Ttl(24h));
    CHECK(s.StatusOf(1)->interval == 60min);
  }
}

TEST_CASE("daemon::Scheduler backs off exponentially on errors, capped, and never drops a feed") {
  FakeClock clock;
  SchedulerOptions o = NoJitter();
  o.max_backoff = 30min;
  Scheduler s(o, clock);
  s.Upsert(1, "http://a.example/rss", 5min);
  std::vector<std::chrono::seconds> delays;
  for (int i = 0; i < 8; ++i) {
    Poll(s, 1, O().Fail("connect: refused"));
    const auto status = *s.StatusOf(1);
    CHECK(status.state == FeedState::kFailing);
    CHECK(status.last_error == "connect: refused");
    delays.push_back(status.due_in);
    clock.Advance(status.due_in);
  }
  CHECK(delays[0] == 5min);
  CHECK(delays[1] == 10min);
  CHECK(delays[2] == 20min);
  CHECK(delays[3] == 30min);
  CHECK(delays[7] == 30min);
  CHECK(s.StatusOf(1)->failures == 8);
  CHECK(s.CountByState().at(FeedState::kFailing) == 1);
  // Recovery resets the failure count and the normal interval applies again.
  Poll(s, 1, {});
  CHECK(s.StatusOf(1)->state == FeedState::kOk);
  CHECK(s.StatusOf(1)->due_in == 5min);
}

TEST_CASE("daemon::Scheduler honours Retry-After") {
  FakeClock clock;
  Scheduler s(NoJitter(), clock);
  s.Upsert(1, "http://a.example/rss", 2min);
  Poll(s, 1, O().Fail("HTTP 429").RetryAfter(45min));
  CHECK(s.StatusOf(1)->due_in == 45min);
  clock.Advance(45min);
  SECTION("a hostile Retry-After is bounded to a day") {
    Poll(s, 1, O().Fail("HTTP 503").RetryAfter(std::chrono::hours(24 * 365)));
    CHECK(s.StatusOf(1)->due_in == 24h);
  }
}

TEST_CASE("daemon::Scheduler keeps per-host politeness and the global cap") {
  FakeClock clock;
  SchedulerOptions o = NoJitter();
  o.max_per_host = 2;
  o.per_host_delay = 1s;
  o.max_in_flight = 3;
  Scheduler s(o, clock);
  for (std::uint64_t id = 1; id <= 4; ++id)
    s.Upsert(id, "http://busy.example/feed" + std::to_string(id), 5min);
  s.Upsert(10, "http://other.example/rss", 5min);
  s.Upsert(11, "http://third.example/rss", 5min);
  s.Upsert(12, "http://fourth.example/rss", 5min);

  // One start per host at a time: busy.example gives one, the others one each, up to the cap.
  auto first = s.TakeDue(100);
  CHECK(first.size() == 3);
  CHECK(s.in_flight() == 3);
  CHECK(s.TakeDue(100).empty());  // global cap reached
  for (auto id : first) s.Complete(id, {});

  // busy.example: the minimum delay between starts holds even with free slots.
  std::size_t busy_started =
      std::count_if(first.begin(), first.end(), [](auto id) { return id <= 4; });
  CHECK(busy_started == 1);
  auto again = s.TakeDue(100);
  for (auto id : again) CHECK(id > 4);
  REQUIRE(s.NextWakeup().has_value());
  CHECK(*s.NextWakeup() <= clock.Now() + 1s);
  clock.Advance(1s);
  auto later = s.TakeDue(100);
  CHECK(std::count_if(later.begin(), later.end(), [](auto id) { return id <= 4; }) == 1);

  SECTION("concurrency per host is capped even without delay") {
    SchedulerOptions p = NoJitter();
    p.max_per_host = 2;
    Scheduler t(p, clock);
    for (std::uint64_t id = 1; id <= 5; ++id)
      t.Upsert(id, "http://busy.example/feed" + std::to_string(id), 5min);
    CHECK(t.TakeDue(100).size() == 2);
    CHECK(t.TakeDue(100).empty());
    t.Complete(1, {});
    CHECK(t.TakeDue(100).size() == 1);
  }
}

TEST_CASE("daemon::Scheduler keeps state on update and forgets removed feeds") {
  FakeClock clock;
  Scheduler s(NoJitter(), clock);
  s.Upsert(1, "http://a.example/rss", 5min);
  Poll(s, 1, O().Fail("boom"));
  s.Upsert(1, "http://b.example/rss", 5min);  // e.g. a permanent redirect or a SIGHUP
  CHECK(s.StatusOf(1)->failures == 1);
  CHECK(s.StatusOf(1)->url == "http://b.example/rss");
  s.Remove(1);
  CHECK_FALSE(s.Contains(1));
  CHECK_FALSE(s.NextWakeup().has_value());
}

TEST_CASE("daemon::HostOf keys politeness by scheme, host and port") {
  using raqib::daemon::HostOf;
  CHECK(HostOf("https://News.Example.org/a/b?c") == "https://news.example.org");
  CHECK(HostOf("http://user:pw@a.example:8080/x") == "http://a.example:8080");
  CHECK(HostOf("file:///srv/a.xml") == "file://");
}
