// When to poll each feed. Pure logic behind a Clock seam: no I/O, no threads, so every rule
// (jitter, adaptive intervals, publisher hints, backoff, per-host politeness, global cap) is
// unit-tested with a fake clock. Not thread-safe: the pipeline thread owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "feeds/feed.h"

namespace raqib::daemon {

// The time source; tests substitute a clock they move by hand.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

struct SchedulerOptions {
  std::chrono::seconds base_interval{std::chrono::minutes(5)};  // first interval, adaptive feeds
  std::chrono::seconds min_interval{std::chrono::minutes(1)};
  std::chrono::seconds max_interval{std::chrono::minutes(60)};
  double jitter = 0.1;  // each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
  std::chrono::seconds max_backoff{std::chrono::hours(1)};
  std::size_t max_in_flight = 64;                 // global cap
  std::size_t max_per_host = 2;                   // concurrent fetches to one host
  std::chrono::milliseconds per_host_delay{500};  // between two fetch starts to one host
  std::uint64_t seed = 0;                         // for the jitter; fixed in tests
};

// What one poll of a feed taught us.
struct PollOutcome {
  bool ok = true;
  std::string error;  // when !ok, shown in status
  std::size_t new_items = 0;
  // published (else updated) times of the items in the document: the publishing rate.
  std::vector<feeds::Timestamp> item_times;
  std::optional<std::chrono::seconds> ttl;          // <ttl> / sy:updatePeriod
  std::optional<std::chrono::seconds> max_age;      // Cache-Control max-age
  std::optional<std::chrono::seconds> retry_after;  // 429 / 503
};

enum class FeedState { kPending, kOk, kFailing };  // pending = not polled yet
const char* FeedStateName(FeedState state);        // "pending", "ok", "failing"

struct FeedStatus {
  std::uint64_t id = 0;
  std::string url;
  FeedState state = FeedState::kPending;
  std::chrono::seconds interval{0};  // current interval (adaptive or fixed)
  std::chrono::seconds due_in{0};    // negative when overdue
  std::uint32_t failures = 0;        // consecutive
  std::string last_error;
  bool in_flight = false;
};

// "scheme://host:port" of a URL, lower-cased: the unit of politeness.
std::string HostOf(const std::string& url);

class Scheduler {
 public:
  Scheduler(SchedulerOptions options, const Clock& clock);

  // Adds a feed (due now) or updates one (keeps its timing and failures). `fixed_interval`
  // 0 = adaptive.
  void Upsert(std::uint64_t id, const std::string& url, std::chrono::seconds fixed_interval);
  void Remove(std::uint64_t id);
  // New limits (a reload); feeds keep their timing, the new bounds apply from their next poll.
  void SetOptions(const SchedulerOptions& options);
  bool Contains(std::uint64_t id) const { return feeds_.contains(id); }

  // Up to `max` due feeds that the global cap and per-host politeness allow now, earliest
  // first; each is marked in flight until Complete().
  std::vector<std::uint64_t> TakeDue(std::size_t max);
  // Records the outcome of a poll started by TakeDue and schedules the next one. Unknown ids
  // (removed while in flight) are ignored.
  void Complete(std::uint64_t id, const PollOutcome& outcome);

  // Earliest moment something could become takeable (a due time or a host delay ending);
  // nullopt when there are no feeds.
  std::optional<Clock::TimePoint> NextWakeup() const;

  std::size_t size() const { return feeds_.size(); }
  std::size_t in_flight() const { return in_flight_; }
  std::map<FeedState, std::size_t> CountByState() const;
  std::vector<FeedStatus> Status() const;
  std::optional<FeedStatus> StatusOf(std::uint64_t id) const;

 private:
  struct Entry {
    std::string url;
    std::string host;
    std::chrono::seconds fixed_interval{0};
    std::chrono::seconds interval{0};
    Clock::TimePoint due;
    std::uint32_t failures = 0;
    bool polled = false;
    bool in_flight = false;
    std::string last_error;
  };
  struct Host {
    std::size_t in_flight = 0;
    std::optional<Clock::TimePoint> last_start;
  };

  std::chrono::seconds NextInterval(const Entry& entry, const PollOutcome& outcome) const;
  Clock::Duration Jittered(std::chrono::seconds delay);
  void SetDue(std::uint64_t id, Entry& entry, Clock::TimePoint due);
  FeedStatus StatusFor(std::uint64_t id, const Entry& entry) const;

  SchedulerOptions options_;
  const Clock& clock_;
  std::mt19937_64 rng_;
  std::unordered_map<std::uint64_t, Entry> feeds_;
  std::set<std::pair<Clock::TimePoint, std::uint64_t>> queue_;  // (due, id), not in flight
  std::unordered_map<std::string, Host> hosts_;
  std::size_t in_flight_ = 0;
};

}  // namespace raqib::daemon
