// The libcurl implementation of Fetcher: one multi handle, many easy handles, our own queue in
// front of it so the global and per-host caps hold (libcurl's own connection limits park
// transfers inside the multi handle, where their timeouts are already running).
#include "feeds/fetcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <deque>
#include <map>
#include <string_view>
#include <utility>

namespace raqib::feeds {

const char* FetchErrorName(FetchErrorKind kind) {
  switch (kind) {
    case FetchErrorKind::kNone: return "none";
    case FetchErrorKind::kDns: return "dns";
    case FetchErrorKind::kConnect: return "connect";
    case FetchErrorKind::kTls: return "tls";
    case FetchErrorKind::kTimeout: return "timeout";
    case FetchErrorKind::kHttpStatus: return "http_status";
    case FetchErrorKind::kTooLarge: return "too_large";
    case FetchErrorKind::kRedirects: return "redirects";
    case FetchErrorKind::kFile: return "file";
    case FetchErrorKind::kOther: break;
  }
  return "other";
}

namespace {

using Clock = std::chrono::steady_clock;

// curl_global_init is not thread-safe on every libcurl build, and must run before any other
// libcurl call: a function-local static makes it happen exactly once, whichever thread
// builds the first Fetcher. It is never undone; the process ends with it.
void EnsureCurlGlobalInit() {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)init;  // on failure curl_easy_init returns null, which Submit reports as kOther
}

// The Accept-Encoding we offer: what this libcurl can decode. The write callback sees the
// decoded bytes, so the body cap applies to the decompressed size whatever the encoding.
const char* AcceptEncoding() {
  static const char* const value = [] {
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    const bool brotli = info != nullptr && (info->features & CURL_VERSION_BROTLI) != 0;
    return brotli ? "gzip, deflate, br" : "gzip, deflate";
  }();
  return value;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A header value that came from a server and goes back into a request header: drop control
// characters so a hostile ETag cannot inject request lines.
std::string SanitizeHeaderValue(std::string_view value) {
  std::string out;
  for (char c : Trim(value)) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
  }
  return out;
}

std::optional<std::int64_t> ParseNonNegative(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 0) return std::nullopt;
  return value;
}

// Retry-After is either delta-seconds or an HTTP-date (RFC 9110 10.2.3). A date in the past
// means "now". Values are capped at a week so a hostile server cannot park a feed forever.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value) {
  constexpr std::int64_t kMaxSeconds = 7 * 24 * 3600;
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (auto seconds = ParseNonNegative(value)) {
    return std::chrono::seconds(std::min(*seconds, kMaxSeconds));
  }
  const std::string date(value);
  const time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const std::int64_t delta = static_cast<std::int64_t>(when) - std::time(nullptr);
  return std::chrono::seconds(std::clamp<std::int64_t>(delta, 0, kMaxSeconds));
}

// Cache-Control: max-age=N (the shared-cache s-maxage is not ours). Directives are
// case-insensitive and the value may be quoted.
std::optional<std::chrono::seconds> ParseMaxAge(std::string_view value) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view directive = Trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    const std::size_t eq = directive.find('=');
    if (eq == std::string_view::npos ||
        !EqualsIgnoreCase(Trim(directive.substr(0, eq)), "max-age")) {
      continue;
    }
    std::string_view arg = Trim(directive.substr(eq + 1));
    if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') {
      arg = arg.substr(1, arg.size() - 2);
    }
    if (auto seconds = ParseNonNegative(arg)) return std::chrono::seconds(*seconds);
  }
  return std::nullopt;
}

// The part of a URL the per-host cap is keyed on: the lower-case host name. file:// and
// unparseable URLs give "" (no per-host cap; the global cap still applies).
std::string HostKey(const std::string& url) {
  CURLU* handle = curl_url();
  if (handle == nullptr) return "";
  std::string key;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* host = nullptr;
    if (curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr) {
      key = ToLower(host);
      curl_free(host);
    }
  }
  curl_url_cleanup(handle);
  return key;
}

bool IsFileUrl(std::string_view url) {
  return url.size() >= 7 && EqualsIgnoreCase(url.substr(0, 7), "file://");
}

// Response headers above this, over a whole redirect chain, end the transfer as kTooLarge:
// real feeds send a few KiB at most.
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

// One transfer in flight: the easy handle and everything its callbacks fill in.
struct Transfer {
  FetchRequest request;
  std::string host_key;
  Clock::time_point started;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::size_t max_body = 0;
  bool too_large = false;
  // Response state, reset at each status line so only the final response of a redirect chain
  // is reported.
  long status = 0;
  std::string body;
  std::string content_type;
  std::string etag;
  std::string last_modified;
  std::string retry_after;
  std::string cache_control;
  // Statuses of the responses seen so far, redirects included.
  std::vector<long> chain;
  // Header bytes over the whole chain, capped so endless headers cannot grow memory.
  std::size_t header_bytes = 0;
  bool headers_too_large = false;

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (headers != nullptr) curl_slist_free_all(headers);
  }
};

std::size_t WriteCallback(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (transfer->body.size() + n > transfer->max_body) {
    // Returning less than n aborts with CURLE_WRITE_ERROR; the flag turns it into kTooLarge.
    // This runs on decoded bytes, chunk by chunk, so a compression bomb stops here.
    transfer->too_large = true;
    return 0;
  }
  transfer->body.append(data, n);
  return n;
}

std::size_t HeaderCallback(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  transfer->header_bytes += n;
  if (transfer->header_bytes > kMaxHeaderBytes) {
    transfer->headers_too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  const std::string_view line = Trim(std::string_view(data, n));
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 1xx): forget the previous one's headers.
    const std::size_t space = line.find(' ');
    long status = 0;
    if (space != std::string_view::npos) {
      std::string_view code = line.substr(space + 1, 3);
      std::from_chars(code.data(), code.data() + code.size(), status);
    }
    if (status >= 200) transfer->chain.push_back(status);
    transfer->status = status;
    transfer->body.clear();
    transfer->content_type.clear();
    transfer->etag.clear();
    transfer->last_modified.clear();
    transfer->retry_after.clear();
    transfer->cache_control.clear();
    return n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  const std::string_view name = Trim(line.substr(0, colon));
  const std::string_view value = Trim(line.substr(colon + 1));
  if (EqualsIgnoreCase(name, "Content-Type")) {
    transfer->content_type = value;
  } else if (EqualsIgnoreCase(name, "ETag")) {
    transfer->etag = SanitizeHeaderValue(value);
  } else if (EqualsIgnoreCase(name, "Last-Modified")) {
    transfer->last_modified = SanitizeHeaderValue(value);
  } else if (EqualsIgnoreCase(name, "Retry-After")) {
    transfer->retry_after = value;
  } else if (EqualsIgnoreCase(name, "Cache-Control")) {
    if (!transfer->cache_control.empty()) transfer->cache_control += ", ";
    transfer->cache_control += value;
  }
  return n;
}

FetchErrorKind ClassifyCurlError(CURLcode code, bool file) {
  if (file) return FetchErrorKind::kFile;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return FetchErrorKind::kDns;
    case CURLE_COULDNT_CONNECT: return FetchErrorKind::kConnect;
    case CURLE_OPERATION_TIMEDOUT: return FetchErrorKind::kTimeout;
    case CURLE_TOO_MANY_REDIRECTS: return FetchErrorKind::kRedirects;
    case CURLE_FILESIZE_EXCEEDED: return FetchErrorKind::kTooLarge;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED: return FetchErrorKind::kTls;
    default: return FetchErrorKind::kOther;
  }
}

class CurlFetcher final : public Fetcher {
 public:
  explicit CurlFetcher(const FetcherOptions& options) : options_(options) {
    EnsureCurlGlobalInit();
    options_.max_connections = std::max<std::size_t>(options_.max_connections, 1);
    options_.max_connections_per_host = std::max<std::size_t>(options_.max_connections_per_host, 1);
    multi_ = curl_multi_init();
    if (multi_ != nullptr) {
      // Idle connections kept for reuse; HTTP/2 multiplexing is on by default since 7.62.
      curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_connections));
    }
  }

  ~CurlFetcher() override {
    for (auto& [easy, transfer] : active_) curl_multi_remove_handle(multi_, easy);
    active_.clear();
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  CurlFetcher(const CurlFetcher&) = delete;
  CurlFetcher& operator=(const CurlFetcher&) = delete;

  void Submit(FetchRequest request) override {
    queued_.push_back(Queued{HostKey(request.url), std::move(request)});
  }

  std::vector<FetchResult> Poll(std::chrono::milliseconds timeout) override {
    const Clock::time_point deadline = Clock::now() + timeout;
    while (true) {
      StartQueued();
      if (multi_ != nullptr && !active_.empty()) {
        int running = 0;
        curl_multi_perform(multi_, &running);
        CollectFinished();
        StartQueued();  // slots freed by finished transfers go to queued ones at once
      }
      if (!ready_.empty() || (active_.empty() && queued_.empty())) break;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      // Waits for socket activity or libcurl's own next timeout, whichever comes first.
      curl_multi_poll(multi_, nullptr, 0, static_cast<int>(std::min<long long>(left.count(), 1000)),
                      nullptr);
    }
    return std::exchange(ready_, {});
  }

  std::size_t Pending() const override { return queued_.size() + active_.size() + ready_.size(); }

 private:
  struct Queued {
    std::string host_key;
    FetchRequest request;
  };

  // Starts queued requests, oldest first, while the global cap allows; a request whose host is
  // at its cap waits without holding up requests for other hosts.
  void StartQueued() {
    for (auto it = queued_.begin();
         it != queued_.end() && active_.size() < options_.max_connections;) {
      const std::string& host = it->host_key;
      if (!host.empty()) {
        auto busy = per_host_.find(host);
        if (busy != per_host_.end() && busy->second >= options_.max_connections_per_host) {
          ++it;
          continue;
        }
      }
      Start(std::move(*it));
      it = queued_.erase(it);
    }
  }

  void Start(Queued queued) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(queued.request);
    transfer->host_key = std::move(queued.host_key);
    transfer->started = Clock::now();
    transfer->max_body = options_.max_body_bytes;
    transfer->easy = curl_easy_init();
    if (multi_ == nullptr || transfer->easy == nullptr) {
      FetchResult result = BaseResult(*transfer);
      result.error = FetchErrorKind::kOther;
      result.error_message = "libcurl could not be initialised";
      ready_.push_back(std::move(result));
      return;
    }
    Configure(*transfer);
    if (curl_multi_add_handle(multi_, transfer->easy) != CURLM_OK) {
      FetchResult result = BaseResult(*transfer);
      result.error = FetchErrorKind::kOther;
      result.error_message = "libcurl refused the transfer";
      ready_.push_back(std::move(result));
      return;
    }
    if (!transfer->host_key.empty()) ++per_host_[transfer->host_key];
    CURL* easy = transfer->easy;
    active_.emplace(easy, std::move(transfer));
  }

  void Configure(Transfer& t) {
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, t.request.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, options_.max_redirects > 0 ? 1L : 0L);
    // libcurl reads -1 as "no limit": anything below 0 means "do not follow" here.
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, std::max(options_.max_redirects, 0L));
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, AcceptEncoding());
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    curl_easy_setopt(
        e, CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(std::chrono::milliseconds(options_.connect_timeout).count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::chrono::milliseconds(options_.total_timeout).count()));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_second);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, WriteCallback);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, HeaderCallback);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    const std::string etag = SanitizeHeaderValue(t.request.etag);
    const std::string last_modified = SanitizeHeaderValue(t.request.last_modified);
    if (!etag.empty()) t.headers = curl_slist_append(t.headers, ("If-None-Match: " + etag).c_str());
    if (!last_modified.empty()) {
      t.headers = curl_slist_append(t.headers, ("If-Modified-Since: " + last_modified).c_str());
    }
    if (t.headers != nullptr) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  }

  void CollectFinished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode code = msg->data.result;
      curl_multi_remove_handle(multi_, easy);
      auto it = active_.find(easy);
      if (it == active_.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      active_.erase(it);
      if (!transfer->host_key.empty()) {
        auto host = per_host_.find(transfer->host_key);
        if (host != per_host_.end() && --host->second == 0) per_host_.erase(host);
      }
      ready_.push_back(Finish(*transfer, code));
    }
  }

  FetchResult BaseResult(const Transfer& t) const {
    FetchResult result;
    result.token = t.request.token;
    result.url = t.request.url;
    result.effective_url = t.request.url;
    result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t.started);
    return result;
  }

  FetchResult Finish(Transfer& t, CURLcode code) const {
    FetchResult result = BaseResult(t);
    const bool file = IsFileUrl(t.request.url);
    char* effective = nullptr;
    if (curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
        effective != nullptr) {
      result.effective_url = effective;
    }
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    result.http_status = file ? 0 : status;
    result.content_type = t.content_type;
    result.etag = t.etag;
    result.last_modified = t.last_modified;
    if (status == 429 || status == 503) result.retry_after = ParseRetryAfter(t.retry_after);
    result.max_age = ParseMaxAge(t.cache_control);

    if (code != CURLE_OK) {
      if (t.too_large) {
        result.error = FetchErrorKind::kTooLarge;
        result.error_message =
            "body larger than " + std::to_string(t.max_body) + " bytes (after decompression)";
      } else if (t.headers_too_large) {
        result.error = FetchErrorKind::kTooLarge;
        result.error_message =
            "response headers larger than " + std::to_string(kMaxHeaderBytes) + " bytes";
      } else {
        result.error = ClassifyCurlError(code, file);
        result.error_message =
            t.error_buffer[0] != '\0' ? t.error_buffer : curl_easy_strerror(code);
        if (code == CURLE_PARTIAL_FILE)
          result.error_message = "truncated body: " + result.error_message;
      }
      return result;
    }

    // The chain of responses: every one but the last was a redirect that was followed.
    long redirects = 0;
    curl_easy_getinfo(t.easy, CURLINFO_REDIRECT_COUNT, &redirects);
    if (redirects > 0 && t.chain.size() >= 2) {
      const bool permanent = std::all_of(t.chain.begin(), t.chain.end() - 1,
                                         [](long s) { return s == 301 || s == 308; });
      if (permanent) result.permanent_url = result.effective_url;
    }

    if (status == 304) {
      result.not_modified = true;
      // A 304 need not repeat the validators: keep the ones the caller sent.
      if (result.etag.empty()) result.etag = t.request.etag;
      if (result.last_modified.empty()) result.last_modified = t.request.last_modified;
      return result;
    }
    if (!file && (status < 200 || status > 299)) {
      result.error = FetchErrorKind::kHttpStatus;
      result.error_message = "HTTP status " + std::to_string(status);
      if (status >= 300 && status < 400) result.error_message += " (redirect not followed)";
      return result;
    }
    result.body = std::move(t.body);
    return result;
  }

  FetcherOptions options_;
  CURLM* multi_ = nullptr;
  std::deque<Queued> queued_;                          // submitted, not started
  std::map<CURL*, std::unique_ptr<Transfer>> active_;  // in libcurl's hands
  std::map<std::string, std::size_t> per_host_;        // active transfers by host key
  std::vector<FetchResult> ready_;                     // finished, not yet returned
};

}  // namespace

std::unique_ptr<Fetcher> MakeCurlFetcher(const FetcherOptions& options) {
  return std::make_unique<CurlFetcher>(options);
}

FetchResult FetchOnce(const FetcherOptions& options, FetchRequest request) {
  CurlFetcher fetcher(options);
  fetcher.Submit(std::move(request));
  while (true) {
    std::vector<FetchResult> results = fetcher.Poll(std::chrono::milliseconds(1000));
    if (!results.empty()) return std::move(results.front());
  }
}

}  // namespace raqib::feeds
