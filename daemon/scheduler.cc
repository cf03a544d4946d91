#include "daemon/scheduler.h"

#include <algorithm>
#include <cctype>

namespace raqib::daemon {

using std::chrono::seconds;

const char* FeedStateName(FeedState state) {
  switch (state) {
    case FeedState::kPending: return "pending";
    case FeedState::kOk: return "ok";
    case FeedState::kFailing: return "failing";
  }
  return "unknown";
}

std::string HostOf(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  auto host_end = url.find_first_of("/?#", scheme_end + 3);
  if (host_end == std::string::npos) host_end = url.size();
  std::string host = url.substr(0, host_end);
  // userinfo is not part of the host
  if (const auto at = host.find('@', scheme_end + 3); at != std::string::npos)
    host.erase(scheme_end + 3, at - scheme_end - 2);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

Scheduler::Scheduler(SchedulerOptions options, const Clock& clock)
    : options_(options), clock_(clock), rng_(options.seed) {}

void Scheduler::Upsert(std::uint64_t id, const std::string& url, seconds fixed_interval) {
  auto [it, inserted] = feeds_.try_emplace(id);
  Entry& e = it->second;
  if (!inserted && e.host != HostOf(url) && e.in_flight) {
    // The host's in-flight count follows the entry; move it with the URL.
    --hosts_[e.host].in_flight;
    ++hosts_[HostOf(url)].in_flight;
  }
  e.url = url;
  e.host = HostOf(url);
  if (inserted || e.fixed_interval != fixed_interval) {
    e.fixed_interval = fixed_interval;
    e.interval = fixed_interval.count() > 0 ? fixed_interval : options_.base_interval;
  }
  if (inserted) SetDue(id, e, clock_.Now());
}

void Scheduler::SetOptions(const SchedulerOptions& options) {
  const auto seed_kept = options_.seed;
  options_ = options;
  options_.seed = seed_kept;  // the random sequence goes on
}

void Scheduler::Remove(std::uint64_t id) {
  const auto it = feeds_.find(id);
  if (it == feeds_.end()) return;
  if (it->second.in_flight) {
    --hosts_[it->second.host].in_flight;
    --in_flight_;
  } else {
    queue_.erase({it->second.due, id});
  }
  feeds_.erase(it);
}

std::vector<std::uint64_t> Scheduler::TakeDue(std::size_t max) {
  std::vector<std::uint64_t> taken;
  const auto now = clock_.Now();
  for (auto it = queue_.begin(); it != queue_.end() && it->first <= now;) {
    if (taken.size() >= max || in_flight_ >= options_.max_in_flight) break;
    const std::uint64_t id = it->second;
    Entry& e = feeds_.at(id);
    Host& host = hosts_[e.host];
    const bool host_busy = host.in_flight >= options_.max_per_host ||
                           (host.last_start && now - *host.last_start < options_.per_host_delay);
    if (host_busy) {
      ++it;  // stays due; another host's feed may go first
      continue;
    }
    it = queue_.erase(it);
    e.in_flight = true;
    ++host.in_flight;
    host.last_start = now;
    ++in_flight_;
    taken.push_back(id);
  }
  return taken;
}

// The adaptive interval: the mean gap between the items the feed carries, so a wire service
// publishing every two minutes is polled every two minutes and a weekly blog hourly. Without
// dates, the interval shrinks when a poll found something new and grows when it did not.
// Publisher hints (ttl, max-age) are a floor: we never poll faster than asked, but the
// operator's max_interval wins so no feed goes unwatched for longer than that.
seconds Scheduler::NextInterval(const Entry& entry, const PollOutcome& outcome) const {
  seconds interval = entry.interval;
  if (entry.fixed_interval.count() > 0) {
    interval = entry.fixed_interval;
  } else {
    std::vector<feeds::Timestamp> times = outcome.item_times;
    std::sort(times.begin(), times.end(), std::greater<>());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    if (times.size() > 20) times.resize(20);  // the recent rate matters, not last year's
    if (times.size() >= 2) {
      interval = (times.front() - times.back()) / static_cast<std::int64_t>(times.size() - 1);
    } else if (outcome.new_items > 0) {
      interval = interval * 3 / 4;
    } else {
      interval = interval * 5 / 4;
    }
  }
  const seconds ceiling = std::max(options_.max_interval, entry.fixed_interval);
  const seconds floor = entry.fixed_interval.count() > 0 ? seconds(1) : options_.min_interval;
  interval = std::clamp(interval, floor, ceiling);
  const seconds hint =
      std::max(outcome.ttl.value_or(seconds(0)), outcome.max_age.value_or(seconds(0)));
  return std::clamp(std::max(interval, hint), floor, ceiling);
}

void Scheduler::Complete(std::uint64_t id, const PollOutcome& outcome) {
  const auto it = feeds_.find(id);
  if (it == feeds_.end() || !it->second.in_flight) return;
  Entry& e = it->second;
  e.in_flight = false;
  --hosts_[e.host].in_flight;
  --in_flight_;
  e.polled = true;
  seconds delay;
  if (outcome.ok) {
    e.failures = 0;
    e.last_error.clear();
    e.interval = NextInterval(e, outcome);
    delay = e.interval;
  } else {
    // Exponential backoff from the normal interval, capped; the feed stays scheduled forever.
    ++e.failures;
    e.last_error = outcome.error;
    const auto shift = std::min<std::uint32_t>(e.failures - 1, 16);
    delay =
        std::max(e.interval, std::min<seconds>(options_.max_backoff, e.interval * (1LL << shift)));
  }
  // Retry-After is the server telling us when to come back; honour it (bounded to a day so a
  // hostile value cannot park the feed forever).
  if (outcome.retry_after)
    delay = std::max(delay, std::min<seconds>(*outcome.retry_after, std::chrono::hours(24)));
  SetDue(id, e, clock_.Now() + Jittered(delay));
}

Clock::Duration Scheduler::Jittered(seconds delay) {
  if (options_.jitter <= 0) return delay;
  std::uniform_real_distribution<double> factor(1 - options_.jitter, 1 + options_.jitter);
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>(static_cast<double>(delay.count()) * factor(rng_)));
}

void Scheduler::SetDue(std::uint64_t id, Entry& entry, Clock::TimePoint due) {
  queue_.erase({entry.due, id});
  entry.due = due;
  queue_.insert({due, id});
}

std::optional<Clock::TimePoint> Scheduler::NextWakeup() const {
  std::optional<Clock::TimePoint> wake;
  for (const auto& [due, id] : queue_) {
    const Entry& e = feeds_.at(id);
    auto when = due;
    const auto host = hosts_.find(e.host);
    if (host != hosts_.end() && host->second.last_start)
      when = std::max(when, *host->second.last_start + std::chrono::duration_cast<Clock::Duration>(
                                                           options_.per_host_delay));
    if (!wake || when < *wake) wake = when;
    if (due > *wake) break;  // the queue is sorted: nothing later can be earlier
  }
  return wake;
}

std::map<FeedState, std::size_t> Scheduler::CountByState() const {
  std::map<FeedState, std::size_t> counts = {
      {FeedState::kPending, 0}, {FeedState::kOk, 0}, {FeedState::kFailing, 0}};
  for (const auto& [id, e] : feeds_) ++counts[StatusFor(id, e).state];
  return counts;
}

FeedStatus Scheduler::StatusFor(std::uint64_t id, const Entry& e) const {
  FeedStatus s;
  s.id = id;
  s.url = e.url;
  s.state = e.failures > 0 ? FeedState::kFailing : e.polled ? FeedState::kOk : FeedState::kPending;
  s.interval = e.interval;
  s.due_in = std::chrono::duration_cast<seconds>(e.due - clock_.Now());
  s.failures = e.failures;
  s.last_error = e.last_error;
  s.in_flight = e.in_flight;
  return s;
}

std::vector<FeedStatus> Scheduler::Status() const {
  std::vector<FeedStatus> out;
  out.reserve(feeds_.size());
  for (const auto& [id, e] : feeds_) out.push_back(StatusFor(id, e));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::optional<FeedStatus> Scheduler::StatusOf(std::uint64_t id) const {
  const auto it = feeds_.find(id);
  if (it == feeds_.end()) return std::nullopt;
  return StatusFor(id, it->second);
}

}  // namespace raqib::daemon
