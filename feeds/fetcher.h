// Fetching feeds over HTTP(S) or from file:// URLs. The Fetcher is the seam between the
// scheduler and the network: the daemon drives one asynchronously, tests may swap it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace raqib::feeds {

// What went wrong, typed so the scheduler can back off sensibly.
enum class FetchErrorKind {
  kNone,
  kDns,         // host name did not resolve
  kConnect,     // refused, unreachable
  kTls,         // handshake or certificate verification failed
  kTimeout,     // connect, total or low-speed timeout
  kHttpStatus,  // a non-2xx, non-304 answer (see http_status, retry_after)
  kTooLarge,    // body (after decompression) above the cap
  kRedirects,   // too many redirects
  kFile,        // file:// could not be read
  kOther,
};

const char* FetchErrorName(FetchErrorKind kind);

struct FetchRequest {
  std::uint64_t token = 0;  // the caller's handle, returned in the result
  std::string url;
  std::string etag;           // from the previous 200, for If-None-Match
  std::string last_modified;  // from the previous 200, for If-Modified-Since
};

struct FetchResult {
  std::uint64_t token = 0;
  std::string url;            // as requested
  std::string effective_url;  // after redirects
  // Set when the chain of redirects was permanent (301/308): the new URL to store.
  std::optional<std::string> permanent_url;
  long http_status = 0;       // 0 for file:// and transport errors
  bool not_modified = false;  // 304: nothing to parse
  std::string body;           // decompressed
  std::string content_type;   // the Content-Type header, charset included
  std::string etag;
  std::string last_modified;
  std::optional<std::chrono::seconds> retry_after;  // 429 / 503 Retry-After
  std::optional<std::chrono::seconds> max_age;      // Cache-Control max-age
  FetchErrorKind error = FetchErrorKind::kNone;
  std::string error_message;  // human-readable, empty when error == kNone
  std::chrono::milliseconds duration{0};

  bool ok() const { return error == FetchErrorKind::kNone; }
};

struct FetcherOptions {
  std::size_t max_connections = 64;          // global cap on concurrent transfers
  std::size_t max_connections_per_host = 2;  // politeness
  std::size_t max_body_bytes = 16 << 20;     // after decompression, enforced while streaming
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds total_timeout{60};
  long low_speed_bytes_per_second = 64;     // slower than this ...
  std::chrono::seconds low_speed_time{20};  // ... for this long aborts the transfer
  long max_redirects = 5;
  bool verify_tls = true;
  std::string user_agent = "raqib";
};

// Runs many transfers at once on the calling thread (libcurl multi interface).
// Not thread-safe: one thread submits and polls.
class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Queues a request; it starts when the global and per-host caps allow.
  virtual void Submit(FetchRequest request) = 0;
  // Drives transfers for at most `timeout` and returns those that completed (maybe none).
  virtual std::vector<FetchResult> Poll(std::chrono::milliseconds timeout) = 0;
  // Requests submitted whose result has not been returned yet.
  virtual std::size_t Pending() const = 0;
};

std::unique_ptr<Fetcher> MakeCurlFetcher(const FetcherOptions& options);

// Convenience for the command line and tests: one fetch, blocking.
FetchResult FetchOnce(const FetcherOptions& options, FetchRequest request);

}  // namespace raqib::feeds
