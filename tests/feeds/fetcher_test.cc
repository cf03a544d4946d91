// The libcurl Fetcher against a real HTTP server on 127.0.0.1 (tests/tools/http_test_server).
// The timeout tests use one-second timeouts so they stay fast; nothing asserts on durations.
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>
#ifdef RAQIB_TEST_BROTLI
#include <brotli/encode.h>
#endif

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "feeds/fetcher.h"
#include "tests/tools/http_test_server.h"

namespace {

using raqib::feeds::FetcherOptions;
using raqib::feeds::FetchErrorKind;
using raqib::feeds::FetchOnce;
using raqib::feeds::FetchRequest;
using raqib::feeds::FetchResult;
using raqib::testing::HttpRequest;
using raqib::testing::HttpResponse;
using raqib::testing::HttpTestServer;
using raqib::testing::RawConnection;
using namespace std::chrono_literals;

const char* const kFeed =
    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
    "<item><title>one</title><link>http://example.com/1</link></item></channel></rss>";

// Generous timeouts: on a loaded CI machine (ASan, two cores shared) a loopback answer can
// stall for seconds. The timeout tests set short ones themselves, and nothing waits for these.
FetcherOptions TestOptions() {
  FetcherOptions options;
  options.connect_timeout = 10s;
  options.total_timeout = 60s;
  options.low_speed_bytes_per_second = 64;
  options.low_speed_time = 30s;
  options.user_agent = "raqib-test";
  return options;
}

// A request; GCC warns on designated initialisers that leave members out.
FetchRequest Request(std::uint64_t token, std::string url, std::string etag = "",
                     std::string last_modified = "") {
  FetchRequest request;
  request.token = token;
  request.url = std::move(url);
  request.etag = std::move(etag);
  request.last_modified = std::move(last_modified);
  return request;
}

FetchResult Fetch(const std::string& url, const FetcherOptions& options = TestOptions()) {
  FetchResult result = FetchOnce(options, Request(7, url));
  // Shown with the next assertion, so a failure says what the fetch ran into.
  UNSCOPED_INFO(url << " -> " << raqib::feeds::FetchErrorName(result.error) << ": "
                    << result.error_message);
  return result;
}

// zlib's deflate with the given window bits: 15 + 16 gives gzip, 15 the zlib ("deflate") format.
std::string Compress(const std::string& data, int window_bits) {
  z_stream stream{};
  if (deflateInit2(&stream, 9, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

std::string HttpDate(std::time_t when) {
  char buffer[64];
  std::tm tm{};
  gmtime_r(&when, &tm);
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buffer;
}

// A port on 127.0.0.1 that refuses connections: bound, never listening, held while in scope.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("RefusingPort: bind failed");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// Counts requests in flight across several servers. Hold() keeps a request until `n` have
// been in flight at once (or 5 s passed), then a little longer so a request beyond a cap
// would overlap too: the highest concurrency the fetcher allows is what gets observed.
class ConcurrencyGate {
 public:
  void Hold(std::size_t n) {
    std::unique_lock lock(mutex_);
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    changed_.notify_all();
    changed_.wait_for(lock, 5s, [&] { return max_in_flight_ >= n; });
    lock.unlock();
    std::this_thread::sleep_for(10ms);
    lock.lock();
    --in_flight_;
  }
  std::size_t max_in_flight() const {
    std::lock_guard lock(mutex_);
    return max_in_flight_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;  // signalled when a request arrives
  std::size_t in_flight_ = 0;        // guarded by mutex_
  std::size_t max_in_flight_ = 0;    // guarded by mutex_
};

// Drives a fetcher until every submitted request has come back; results by token.
std::map<std::uint64_t, FetchResult> Drain(raqib::feeds::Fetcher& fetcher) {
  std::map<std::uint64_t, FetchResult> results;
  while (fetcher.Pending() > 0) {
    for (FetchResult& result : fetcher.Poll(500ms)) {
      const std::uint64_t token = result.token;
      REQUIRE(results.emplace(token, std::move(result)).second);  // each token exactly once
    }
  }
  return results;
}

}  // namespace

TEST_CASE("feeds::Fetcher 200 returns the body, headers, validators and max-age") {
  HttpTestServer server;
  server.Route("/feed.xml", [](const HttpRequest&) {
    return HttpResponse::Ok(kFeed, "application/rss+xml; charset=windows-1256")
        .With("ETag", "\"abc\"")
        .With("Last-Modified", "Sat, 21 Nov 2026 10:00:00 GMT")
        .With("Cache-Control", "public, max-age=600");
  });
  const FetchResult result = Fetch(server.Url("/feed.xml"));
  REQUIRE(result.ok());
  CHECK(result.error_message.empty());
  CHECK(result.token == 7);
  CHECK(result.http_status == 200);
  CHECK(result.body == kFeed);
  CHECK(result.content_type == "application/rss+xml; charset=windows-1256");
  CHECK(result.etag == "\"abc\"");
  CHECK(result.last_modified == "Sat, 21 Nov 2026 10:00:00 GMT");
  REQUIRE(result.max_age.has_value());
  CHECK(*result.max_age == 600s);
  CHECK_FALSE(result.retry_after.has_value());
  CHECK_FALSE(result.not_modified);
  CHECK_FALSE(result.permanent_url.has_value());
  CHECK(result.url == server.Url("/feed.xml"));
  CHECK(result.effective_url == server.Url("/feed.xml"));

  const auto requests = server.RequestsFor("/feed.xml");
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].Header("User-Agent") == "raqib-test");
  CHECK(requests[0].Header("Accept-Encoding").find("gzip") != std::string::npos);
  CHECK_FALSE(requests[0].HasHeader("If-None-Match"));
  CHECK_FALSE(requests[0].HasHeader("If-Modified-Since"));
}

TEST_CASE("feeds::Fetcher conditional GET with ETag gets 304 and no body") {
  HttpTestServer server;
  server.Route("/feed.xml", [](const HttpRequest& request) {
    if (request.Header("If-None-Match") == "\"v1\"") return HttpResponse::Status(304);
    return HttpResponse::Ok(kFeed).With("ETag", "\"v1\"");
  });
  const FetchResult first = Fetch(server.Url("/feed.xml"));
  REQUIRE(first.ok());
  REQUIRE(first.etag == "\"v1\"");

  const FetchResult second =
      FetchOnce(TestOptions(), Request(0, server.Url("/feed.xml"), first.etag));
  REQUIRE(second.ok());
  CHECK(second.not_modified);
  CHECK(second.http_status == 304);
  CHECK(second.body.empty());
  CHECK(second.etag == "\"v1\"");  // kept although the 304 did not repeat it

  const auto requests = server.RequestsFor("/feed.xml");
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].Header("If-None-Match") == "\"v1\"");
  CHECK_FALSE(requests[1].HasHeader("If-Modified-Since"));
}

TEST_CASE("feeds::Fetcher conditional GET with Last-Modified gets 304") {
  const std::string stamp = "Wed, 18 Nov 2026 08:30:00 GMT";
  HttpTestServer server;
  server.Route("/feed.xml", [&](const HttpRequest& request) {
    if (request.Header("If-Modified-Since") == stamp) {
      return HttpResponse::Status(304).With("Cache-Control", "max-age=60");
    }
    return HttpResponse::Ok(kFeed).With("Last-Modified", stamp);
  });
  const FetchResult first = Fetch(server.Url("/feed.xml"));
  REQUIRE(first.ok());
  REQUIRE(first.last_modified == stamp);
  CHECK_FALSE(first.not_modified);

  const FetchResult second =
      FetchOnce(TestOptions(), Request(0, server.Url("/feed.xml"), "", stamp));
  REQUIRE(second.ok());
  CHECK(second.not_modified);
  CHECK(second.body.empty());
  CHECK(second.last_modified == stamp);
  REQUIRE(second.max_age.has_value());
  CHECK(*second.max_age == 60s);
  CHECK(server.RequestsFor("/feed.xml").at(1).Header("If-Modified-Since") == stamp);
}

TEST_CASE("feeds::Fetcher does not let a hostile ETag inject request headers") {
  HttpTestServer server;
  server.Route("/feed.xml", [](const HttpRequest&) { return HttpResponse::Ok(kFeed); });
  const FetchResult result =
      FetchOnce(TestOptions(), Request(0, server.Url("/feed.xml"), "\"x\"\r\nX-Injected: 1"));
  REQUIRE(result.ok());
  const auto requests = server.RequestsFor("/feed.xml");
  REQUIRE(requests.size() == 1);
  CHECK_FALSE(requests[0].HasHeader("X-Injected"));
  CHECK(requests[0].Header("If-None-Match") == "\"x\"X-Injected: 1");
}

TEST_CASE("feeds::Fetcher follows redirects and reports permanent ones") {
  HttpTestServer server;
  server.Route("/final.xml", [](const HttpRequest&) { return HttpResponse::Ok(kFeed); });
  server.Route("/p301", [](const HttpRequest&) { return HttpResponse::Redirect(301, "/p308"); });
  server.Route("/p308",
               [](const HttpRequest&) { return HttpResponse::Redirect(308, "/final.xml"); });
  server.Route("/t302", [](const HttpRequest&) { return HttpResponse::Redirect(302, "/p308"); });
  server.Route("/m301", [](const HttpRequest&) { return HttpResponse::Redirect(301, "/t302"); });
  server.Route("/only302",
               [](const HttpRequest&) { return HttpResponse::Redirect(302, "/final.xml"); });

  SECTION("301 then 308: permanent") {
    const FetchResult result = Fetch(server.Url("/p301"));
    REQUIRE(result.ok());
    CHECK(result.body == kFeed);
    CHECK(result.effective_url == server.Url("/final.xml"));
    REQUIRE(result.permanent_url.has_value());
    CHECK(*result.permanent_url == server.Url("/final.xml"));
  }
  SECTION("a single 308: permanent") {
    const FetchResult result = Fetch(server.Url("/p308"));
    REQUIRE(result.ok());
    REQUIRE(result.permanent_url.has_value());
    CHECK(*result.permanent_url == server.Url("/final.xml"));
  }
  SECTION("a single 302: followed, not permanent") {
    const FetchResult result = Fetch(server.Url("/only302"));
    REQUIRE(result.ok());
    CHECK(result.body == kFeed);
    CHECK(result.effective_url == server.Url("/final.xml"));
    CHECK_FALSE(result.permanent_url.has_value());
  }
  SECTION("302 within the chain: not permanent") {
    const FetchResult result = Fetch(server.Url("/m301"));  // 301 -> 302 -> 308 -> 200
    REQUIRE(result.ok());
    CHECK(result.effective_url == server.Url("/final.xml"));
    CHECK_FALSE(result.permanent_url.has_value());
  }
  SECTION("more redirects than allowed: kRedirects") {
    FetcherOptions options = TestOptions();
    options.max_redirects = 2;
    const FetchResult result = Fetch(server.Url("/m301"), options);  // needs 3
    CHECK(result.error == FetchErrorKind::kRedirects);
    CHECK_FALSE(result.error_message.empty());
    CHECK(result.body.empty());
  }
}

TEST_CASE("feeds::Fetcher stops a redirect loop with kRedirects") {
  HttpTestServer server;
  server.Route("/a", [](const HttpRequest&) { return HttpResponse::Redirect(302, "/b"); });
  server.Route("/b", [](const HttpRequest&) { return HttpResponse::Redirect(301, "/a"); });
  FetcherOptions options = TestOptions();
  options.max_redirects = 5;
  const FetchResult result = Fetch(server.Url("/a"), options);
  CHECK(result.error == FetchErrorKind::kRedirects);
  CHECK_FALSE(result.ok());
  CHECK_FALSE(result.error_message.empty());
  // The first request plus five redirects followed, then it gave up.
  CHECK(server.RequestCount("/a") + server.RequestCount("/b") == 6);
}

TEST_CASE("feeds::Fetcher reports 404 and 500 as kHttpStatus") {
  HttpTestServer server;
  server.Route("/boom", [](const HttpRequest&) {
    return HttpResponse::Status(500, "oops").With("Retry-After", "30");
  });
  SECTION("404") {
    const FetchResult result = Fetch(server.Url("/missing.xml"));
    CHECK(result.error == FetchErrorKind::kHttpStatus);
    CHECK(result.http_status == 404);
    CHECK(result.error_message.find("404") != std::string::npos);
    CHECK(result.body.empty());
  }
  SECTION("500 (Retry-After is only honoured on 429 and 503)") {
    const FetchResult result = Fetch(server.Url("/boom"));
    CHECK(result.error == FetchErrorKind::kHttpStatus);
    CHECK(result.http_status == 500);
    CHECK_FALSE(result.retry_after.has_value());
    CHECK(result.body.empty());
  }
}

TEST_CASE("feeds::Fetcher reads Retry-After on 429 and 503 in both forms") {
  HttpTestServer server;
  server.Route("/seconds", [](const HttpRequest&) {
    return HttpResponse::Status(429).With("Retry-After", "120");
  });
  const std::string in_five_minutes = HttpDate(std::time(nullptr) + 300);
  server.Route("/date", [&](const HttpRequest&) {
    return HttpResponse::Status(429).With("Retry-After", in_five_minutes);
  });
  server.Route("/unavailable", [](const HttpRequest&) {
    return HttpResponse::Status(503).With("Retry-After", "3600");
  });
  server.Route("/past", [](const HttpRequest&) {
    return HttpResponse::Status(503).With("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT");
  });
  server.Route("/junk", [](const HttpRequest&) {
    return HttpResponse::Status(429).With("Retry-After", "soon-ish");
  });

  SECTION("delta-seconds") {
    const FetchResult result = Fetch(server.Url("/seconds"));
    CHECK(result.error == FetchErrorKind::kHttpStatus);
    CHECK(result.http_status == 429);
    REQUIRE(result.retry_after.has_value());
    CHECK(*result.retry_after == 120s);
  }
  SECTION("HTTP-date, relative to now") {
    const FetchResult result = Fetch(server.Url("/date"));
    CHECK(result.http_status == 429);
    REQUIRE(result.retry_after.has_value());
    // The date has whole seconds and the clock moved on while fetching.
    CHECK(result.retry_after->count() <= 300);
    CHECK(result.retry_after->count() >= 240);
  }
  SECTION("503") {
    const FetchResult result = Fetch(server.Url("/unavailable"));
    CHECK(result.error == FetchErrorKind::kHttpStatus);
    CHECK(result.http_status == 503);
    REQUIRE(result.retry_after.has_value());
    CHECK(*result.retry_after == 3600s);
  }
  SECTION("a date in the past means now") {
    const FetchResult result = Fetch(server.Url("/past"));
    REQUIRE(result.retry_after.has_value());
    CHECK(*result.retry_after == 0s);
  }
  SECTION("an unparseable value is ignored") {
    const FetchResult result = Fetch(server.Url("/junk"));
    CHECK(result.http_status == 429);
    CHECK_FALSE(result.retry_after.has_value());
  }
}

TEST_CASE("feeds::Fetcher times out a slow trickle with kTimeout") {
  HttpTestServer server;
  server.RawRoute("/trickle", [](const HttpRequest&, RawConnection& connection) {
    if (!connection.Send("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                         "Content-Length: 100000\r\n\r\n")) {
      return;
    }
    // About 5 bytes a second, far under the 64 B/s low-speed limit, until the client gives up.
    while (connection.Send("<") && connection.Sleep(200ms)) {
    }
  });
  FetcherOptions options = TestOptions();
  options.low_speed_time = 1s;
  const FetchResult result = Fetch(server.Url("/trickle"), options);
  CHECK(result.error == FetchErrorKind::kTimeout);
  CHECK_FALSE(result.error_message.empty());
  CHECK(result.body.empty());
}

TEST_CASE("feeds::Fetcher total timeout fires on a server that never answers") {
  HttpTestServer server;
  server.RawRoute("/silent", [](const HttpRequest&, RawConnection& connection) {
    connection.Sleep(30s);  // ends early when the server stops
  });
  FetcherOptions options = TestOptions();
  options.total_timeout = 1s;
  options.low_speed_time = 60s;
  const FetchResult result = Fetch(server.Url("/silent"), options);
  CHECK(result.error == FetchErrorKind::kTimeout);
}

TEST_CASE("feeds::Fetcher caps the body size") {
  HttpTestServer server;
  server.Route("/exact",
               [](const HttpRequest&) { return HttpResponse::Ok(std::string(1000, 'a')); });
  server.Route("/over",
               [](const HttpRequest&) { return HttpResponse::Ok(std::string(1001, 'a')); });
  server.Route("/huge",
               [](const HttpRequest&) { return HttpResponse::Ok(std::string(4 << 20, 'a')); });
  FetcherOptions options = TestOptions();
  options.max_body_bytes = 1000;

  SECTION("at the cap: accepted") {
    const FetchResult result = Fetch(server.Url("/exact"), options);
    REQUIRE(result.ok());
    CHECK(result.body.size() == 1000);
  }
  SECTION("one byte over: kTooLarge") {
    const FetchResult result = Fetch(server.Url("/over"), options);
    CHECK(result.error == FetchErrorKind::kTooLarge);
    CHECK(result.error_message.find("1000") != std::string::npos);
    CHECK(result.body.empty());
  }
  SECTION("far over: kTooLarge") {
    const FetchResult result = Fetch(server.Url("/huge"), options);
    CHECK(result.error == FetchErrorKind::kTooLarge);
    CHECK(result.body.empty());
  }
}

TEST_CASE("feeds::Fetcher decodes gzip and deflate bodies") {
  std::string document = kFeed;
  for (int i = 0; i < 200; ++i) document += "<!-- padding so compression matters -->";
  HttpTestServer server;
  // Handlers run on server threads, where Catch2 assertions are not allowed: the request log
  // is checked afterwards instead.
  server.Route("/gzip.xml", [&](const HttpRequest&) {
    return HttpResponse::Ok(Compress(document, 15 + 16)).With("Content-Encoding", "gzip");
  });
  server.Route("/deflate.xml", [&](const HttpRequest&) {
    return HttpResponse::Ok(Compress(document, 15)).With("Content-Encoding", "deflate");
  });
  for (const char* path : {"/gzip.xml", "/deflate.xml"}) {
    const FetchResult result = Fetch(server.Url(path));
    INFO(path);
    REQUIRE(result.ok());
    CHECK(result.body == document);
  }
  const std::string offered = server.RequestsFor("/gzip.xml").at(0).Header("Accept-Encoding");
  CHECK(offered.find("gzip") != std::string::npos);
  CHECK(offered.find("deflate") != std::string::npos);
}

TEST_CASE("feeds::Fetcher applies the body cap after decompression (gzip bomb)") {
  // 64 MiB of zeros is about 64 KiB of gzip: small on the wire, kTooLarge once decoded.
  const std::string bomb = Compress(std::string(64 << 20, '\0'), 15 + 16);
  REQUIRE(bomb.size() < 256 * 1024);
  HttpTestServer server;
  server.Route("/bomb.xml", [&](const HttpRequest&) {
    return HttpResponse::Ok(bomb).With("Content-Encoding", "gzip");
  });
  FetcherOptions options = TestOptions();
  options.max_body_bytes = 1 << 20;
  const FetchResult result = Fetch(server.Url("/bomb.xml"), options);
  CHECK(result.error == FetchErrorKind::kTooLarge);
  CHECK(result.body.empty());
  CHECK(result.error_message.find("decompression") != std::string::npos);
}

TEST_CASE("feeds::Fetcher offers brotli exactly when libcurl decodes it") {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  const bool curl_brotli = (info->features & CURL_VERSION_BROTLI) != 0;
  HttpTestServer server;
  server.Route("/feed.xml", [](const HttpRequest&) { return HttpResponse::Ok(kFeed); });
  REQUIRE(Fetch(server.Url("/feed.xml")).ok());
  const std::string offered = server.RequestsFor("/feed.xml").at(0).Header("Accept-Encoding");
  CHECK((offered.find("br") != std::string::npos) == curl_brotli);
#ifdef RAQIB_TEST_BROTLI
  if (!curl_brotli) {
    WARN("libcurl was built without brotli: brotli bodies not tested");
    return;
  }
  const auto brotli = [](const std::string& data) {
    std::string out(BrotliEncoderMaxCompressedSize(data.size()), '\0');
    std::size_t size = out.size();
    if (!BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, data.size(),
                               reinterpret_cast<const std::uint8_t*>(data.data()), &size,
                               reinterpret_cast<std::uint8_t*>(out.data()))) {
      throw std::runtime_error("BrotliEncoderCompress");
    }
    out.resize(size);
    return out;
  };
  const std::string document = std::string(kFeed) + std::string(5000, ' ');
  const std::string bomb = brotli(std::string(16 << 20, '\0'));
  REQUIRE(bomb.size() < 64 * 1024);
  server.Route("/br.xml", [&](const HttpRequest&) {
    return HttpResponse::Ok(brotli(document)).With("Content-Encoding", "br");
  });
  server.Route("/bomb.xml", [&](const HttpRequest&) {
    return HttpResponse::Ok(bomb).With("Content-Encoding", "br");
  });
  const FetchResult decoded = Fetch(server.Url("/br.xml"));
  REQUIRE(decoded.ok());
  CHECK(decoded.body == document);
  FetcherOptions options = TestOptions();
  options.max_body_bytes = 1 << 20;
  const FetchResult bombed = Fetch(server.Url("/bomb.xml"), options);
  CHECK(bombed.error == FetchErrorKind::kTooLarge);
  CHECK(bombed.body.empty());
#else
  WARN("libbrotlienc not found at build time: brotli bodies not tested");
#endif
}

TEST_CASE("feeds::Fetcher treats a truncated body as an error") {
  HttpTestServer server;
  server.RawRoute("/short", [](const HttpRequest&, RawConnection& connection) {
    connection.Send(
        "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
        "Content-Length: 1000\r\n\r\n" +
        std::string(400, 'x'));
  });
  server.RawRoute("/short-chunked", [](const HttpRequest&, RawConnection& connection) {
    // A chunked body whose last chunk never comes.
    connection.Send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n");
  });
  SECTION("Content-Length larger than what was sent") {
    const FetchResult result = Fetch(server.Url("/short"));
    CHECK_FALSE(result.ok());
    CHECK(result.error == FetchErrorKind::kOther);
    CHECK(result.error_message.find("truncated") != std::string::npos);
    CHECK(result.body.empty());
  }
  SECTION("chunked without the last chunk") {
    const FetchResult result = Fetch(server.Url("/short-chunked"));
    CHECK_FALSE(result.ok());
    CHECK(result.error == FetchErrorKind::kOther);
    CHECK(result.error_message.find("truncated") != std::string::npos);
    CHECK(result.body.empty());
  }
}

TEST_CASE("feeds::Fetcher survives garbage and silent hang-ups") {
  HttpTestServer server;
  server.RawRoute("/garbage", [](const HttpRequest&, RawConnection& connection) {
    connection.Send(std::string("\x16\x03\x01 not http at all\r\n\r\n\xff\xfe", 25));
  });
  server.RawRoute("/hangup", [](const HttpRequest&, RawConnection&) {});
  server.RawRoute("/bad-length", [](const HttpRequest&, RawConnection& connection) {
    connection.Send("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello");
  });
  for (const char* path : {"/garbage", "/hangup", "/bad-length"}) {
    INFO(path);
    const FetchResult result = Fetch(server.Url(path));
    CHECK_FALSE(result.ok());
    CHECK(result.error == FetchErrorKind::kOther);
    CHECK_FALSE(result.error_message.empty());
  }
}

TEST_CASE("feeds::Fetcher survives random bytes in every part of an answer") {
  // A fixed seed: the same hostile answers every run. Each answer is valid up to a point and
  // random after it; whatever libcurl makes of it, the result is a value, never a crash.
  std::mt19937 random(20261121);
  const auto noise = [&](std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(random() & 0xff);
    return out;
  };
  const std::vector<std::string> prefixes = {
      "",
      "HTTP/1.1 200 OK\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 64\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 64\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 301 Moved\r\nLocation: ",
  };
  HttpTestServer server;
  std::vector<std::string> answers;
  for (int round = 0; round < 4; ++round) {
    for (const std::string& prefix : prefixes) answers.push_back(prefix + noise(64));
  }
  for (std::size_t i = 0; i < answers.size(); ++i) {
    server.RawRoute("/r" + std::to_string(i),
                    [&answers, i](const HttpRequest&, RawConnection& connection) {
                      connection.Send(answers[i]);
                    });
  }
  for (std::size_t i = 0; i < answers.size(); ++i) {
    INFO("answer " << i);
    const FetchResult result = Fetch(server.Url("/r" + std::to_string(i)));
    CHECK(result.ok() == result.error_message.empty());
    if (!result.ok()) CHECK(result.body.empty());
  }
  // Bytes that are not gzip under Content-Encoding: gzip.
  server.Route("/bad-gzip", [](const HttpRequest&) {
    return HttpResponse::Ok("definitely not gzip").With("Content-Encoding", "gzip");
  });
  const FetchResult bad_gzip = Fetch(server.Url("/bad-gzip"));
  CHECK(bad_gzip.error == FetchErrorKind::kOther);
  CHECK_FALSE(bad_gzip.error_message.empty());
}

TEST_CASE("feeds::Fetcher stops endless response headers with kTooLarge") {
  HttpTestServer server;
  server.RawRoute("/headers", [](const HttpRequest&, RawConnection& connection) {
    if (!connection.Send("HTTP/1.1 200 OK\r\n")) return;
    const std::string line = "X-Padding: " + std::string(100, 'p') + "\r\n";
    for (int i = 0; i < 100000 && connection.Send(line); ++i) {
    }
  });
  const FetchResult result = Fetch(server.Url("/headers"));
  CHECK(result.error == FetchErrorKind::kTooLarge);
  CHECK(result.error_message.find("headers") != std::string::npos);
}

TEST_CASE("feeds::Fetcher reports a refused connection as kConnect") {
  RefusingPort refusing;
  const FetchResult result =
      Fetch("http://127.0.0.1:" + std::to_string(refusing.port()) + "/feed.xml");
  CHECK(result.error == FetchErrorKind::kConnect);
  CHECK(result.http_status == 0);
  CHECK_FALSE(result.error_message.empty());
}

TEST_CASE("feeds::Fetcher reports an unresolvable host as kDns") {
  // .invalid never resolves (RFC 6761).
  const FetchResult result = Fetch("http://raqib-test.invalid/feed.xml");
  CHECK(result.error == FetchErrorKind::kDns);
  CHECK(result.error_message.find("raqib-test.invalid") != std::string::npos);
}

TEST_CASE("feeds::Fetcher reports a failed TLS handshake as kTls") {
  // Our server speaks plain HTTP, so the TLS handshake cannot succeed.
  HttpTestServer server;
  const FetchResult result =
      Fetch("https://127.0.0.1:" + std::to_string(server.port()) + "/feed.xml");
  CHECK(result.error == FetchErrorKind::kTls);
  CHECK_FALSE(result.error_message.empty());
}

TEST_CASE("feeds::Fetcher reads file:// URLs") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("raqib-fetcher-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path present = dir / "feed.xml";
  std::ofstream(present, std::ios::binary) << kFeed;

  SECTION("present") {
    const FetchResult result = Fetch("file://" + present.string());
    REQUIRE(result.ok());
    CHECK(result.body == kFeed);
    CHECK(result.http_status == 0);
  }
  SECTION("missing: kFile") {
    const FetchResult result = Fetch("file://" + (dir / "missing.xml").string());
    CHECK(result.error == FetchErrorKind::kFile);
    CHECK(result.error_message.find("missing.xml") != std::string::npos);
  }
  SECTION("over the cap: kTooLarge") {
    FetcherOptions options = TestOptions();
    options.max_body_bytes = 10;
    const FetchResult result = Fetch("file://" + present.string(), options);
    CHECK(result.error == FetchErrorKind::kTooLarge);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("feeds::Fetcher honours the per-host cap on concurrent connections") {
  constexpr std::size_t kPerHost = 3;
  constexpr std::size_t kRequests = 12;
  HttpTestServer server;
  server.Route("/slow", [&](const HttpRequest&) {
    // Hold each request until as many as the cap allows have been in flight at once (or a
    // while has passed), then a little longer so a request beyond the cap would overlap too.
    server.WaitForConcurrentRequests(kPerHost, 5s);
    std::this_thread::sleep_for(20ms);
    return HttpResponse::Ok(kFeed);
  });
  FetcherOptions options = TestOptions();
  options.max_connections = 64;
  options.max_connections_per_host = kPerHost;
  auto fetcher = raqib::feeds::MakeCurlFetcher(options);
  for (std::uint64_t token = 1; token <= kRequests; ++token) {
    fetcher->Submit(Request(token, server.Url("/slow?n=" + std::to_string(token))));
  }
  CHECK(fetcher->Pending() == kRequests);
  const auto results = Drain(*fetcher);
  REQUIRE(results.size() == kRequests);
  for (const auto& [token, result] : results) {
    INFO(token << ": " << result.error_message << " after " << result.duration.count() << " ms");
    CHECK(result.ok());
    CHECK(result.url == server.Url("/slow?n=" + std::to_string(token)));
  }
  CHECK(server.RequestCount("/slow") == kRequests);
  CHECK(server.MaxConcurrentRequests() == kPerHost);
  CHECK(server.MaxConcurrentConnections() <= kPerHost);
  CHECK(fetcher->Pending() == 0);
}

TEST_CASE("feeds::Fetcher keeps per-host caps separate for each host") {
  constexpr std::size_t kPerHost = 2;
  constexpr std::uint64_t kPerServer = 20;
  // Two servers, seen as two hosts: 127.0.0.1 and localhost (curl resolves it to loopback).
  HttpTestServer a;
  HttpTestServer b;
  ConcurrencyGate gate;
  const auto handler = [&](const HttpRequest&) {
    gate.Hold(2 * kPerHost);
    return HttpResponse::Ok(kFeed);
  };
  a.Route("/feed.xml", handler);
  b.Route("/feed.xml", handler);
  FetcherOptions options = TestOptions();
  options.max_connections = 64;
  options.max_connections_per_host = kPerHost;
  auto fetcher = raqib::feeds::MakeCurlFetcher(options);
  const std::string b_url = "http://localhost:" + std::to_string(b.port()) + "/feed.xml";
  for (std::uint64_t token = 1; token <= 2 * kPerServer; ++token) {
    fetcher->Submit(Request(token, token % 2 == 0 ? a.Url("/feed.xml") : b_url));
  }
  const auto results = Drain(*fetcher);
  REQUIRE(results.size() == 2 * kPerServer);
  for (const auto& [token, result] : results) {
    INFO(token << ": " << result.error_message);
    CHECK(result.ok());
  }
  CHECK(a.RequestCount("/feed.xml") == kPerServer);
  CHECK(b.RequestCount("/feed.xml") == kPerServer);
  // Each host at its own cap, both at the same time.
  CHECK(a.MaxConcurrentRequests() == kPerHost);
  CHECK(b.MaxConcurrentRequests() == kPerHost);
  CHECK(gate.max_in_flight() == 2 * kPerHost);
}

TEST_CASE("feeds::Fetcher honours the global cap across hosts") {
  constexpr std::size_t kGlobal = 2;
  constexpr std::uint64_t kRequests = 8;
  HttpTestServer a;
  HttpTestServer b;
  ConcurrencyGate gate;
  const auto handler = [&](const HttpRequest&) {
    gate.Hold(kGlobal);
    return HttpResponse::Ok(kFeed);
  };
  a.Route("/feed.xml", handler);
  b.Route("/feed.xml", handler);
  FetcherOptions options = TestOptions();
  options.max_connections = kGlobal;
  options.max_connections_per_host = 10;
  auto fetcher = raqib::feeds::MakeCurlFetcher(options);
  const std::string b_url = "http://localhost:" + std::to_string(b.port()) + "/feed.xml";
  for (std::uint64_t token = 1; token <= kRequests; ++token) {
    fetcher->Submit(Request(token, token % 2 == 0 ? a.Url("/feed.xml") : b_url));
  }
  const auto results = Drain(*fetcher);
  REQUIRE(results.size() == kRequests);
  for (const auto& [token, result] : results) {
    INFO(token << ": " << result.error_message);
    CHECK(result.ok());
  }
  CHECK(a.RequestCount("/feed.xml") == kRequests / 2);
  CHECK(b.RequestCount("/feed.xml") == kRequests / 2);
  CHECK(gate.max_in_flight() == kGlobal);
}

TEST_CASE("feeds::Fetcher returns every result once, with its token") {
  HttpTestServer server;
  server.Route("/ok.xml", [](const HttpRequest&) { return HttpResponse::Ok(kFeed); });
  RefusingPort refusing;
  auto fetcher = raqib::feeds::MakeCurlFetcher(TestOptions());
  CHECK(fetcher->Poll(10ms).empty());  // nothing submitted: returns at once, empty
  fetcher->Submit(Request(1, server.Url("/ok.xml")));
  fetcher->Submit(Request(2, server.Url("/nope.xml")));
  fetcher->Submit(Request(3, "http://127.0.0.1:" + std::to_string(refusing.port()) + "/"));
  fetcher->Submit(Request(4, "not a url"));
  const auto results = Drain(*fetcher);
  REQUIRE(results.size() == 4);
  CHECK(results.at(1).ok());
  CHECK(results.at(2).error == FetchErrorKind::kHttpStatus);
  CHECK(results.at(3).error == FetchErrorKind::kConnect);
  CHECK(results.at(4).error == FetchErrorKind::kOther);
  CHECK(fetcher->Pending() == 0);
}

TEST_CASE("feeds::Fetcher can be destroyed with transfers in flight and queued") {
  HttpTestServer server;
  server.RawRoute("/silent", [](const HttpRequest&, RawConnection& connection) {
    connection.Sleep(30s);  // ends early when the server stops
  });
  FetcherOptions options = TestOptions();
  options.max_connections_per_host = 1;
  {
    auto fetcher = raqib::feeds::MakeCurlFetcher(options);
    fetcher->Submit(Request(1, server.Url("/silent")));
    fetcher->Submit(Request(2, server.Url("/silent")));  // waits behind the first
    // Until the first request has reached the server, so one is in flight, one queued.
    for (int i = 0; i < 100 && server.RequestCount("/silent") == 0; ++i) {
      CHECK(fetcher->Poll(50ms).empty());
    }
    REQUIRE(server.RequestCount("/silent") == 1);
    CHECK(fetcher->Pending() == 2);
  }  // the destructor abandons both; ASan's leak check covers what it frees
  CHECK(server.RequestCount("/silent") == 1);
}

TEST_CASE("feeds::FetchErrorName names every kind") {
  std::set<std::string> names;
  for (FetchErrorKind kind :
       {FetchErrorKind::kNone, FetchErrorKind::kDns, FetchErrorKind::kConnect, FetchErrorKind::kTls,
        FetchErrorKind::kTimeout, FetchErrorKind::kHttpStatus, FetchErrorKind::kTooLarge,
        FetchErrorKind::kRedirects, FetchErrorKind::kFile, FetchErrorKind::kOther}) {
    names.insert(raqib::feeds::FetchErrorName(kind));
  }
  CHECK(names.size() == 10);
  CHECK(names.count("timeout") == 1);
}
