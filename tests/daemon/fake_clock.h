// A Clock that moves only when a test says so, for the scheduler and pipeline tests.
#pragma once

#include <chrono>

#include "daemon/scheduler.h"

namespace raqib::daemon::testing {

class FakeClock : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }

 private:
  TimePoint now_{std::chrono::hours(1000)};  // far from zero, so "earlier" never underflows
};

}  // namespace raqib::daemon::testing
