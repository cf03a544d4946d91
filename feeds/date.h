// Dates as feeds write them (internal to feeds/).
#pragma once

#include <optional>
#include <string_view>

#include "feeds/feed.h"

namespace raqib::feeds {

// Parses a feed date to UTC. Accepts RFC 3339 / ISO 8601 (W3CDTF, with or without separators,
// fractions, "Z", "+hh:mm", "+hhmm", partial dates), RFC 822/1123 with named zones (GMT, UT,
// EST ... CEST, MSK) and numeric ones (+0300, +03:00, +3, GMT+3), and the malformed variants
// real feeds use: missing or misplaced day names, full month names, two-digit years, missing
// seconds or zone (taken as UTC), "6-Jul-2014", "2014/07/06 12:00", AM/PM, extra commas or dots.
// Returns nullopt when no plausible date is found.
std::optional<Timestamp> ParseDate(std::string_view text);

}  // namespace raqib::feeds
