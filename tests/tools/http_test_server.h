// A small HTTP/1.1 server on 127.0.0.1 for integration tests: real sockets, an ephemeral port,
// one thread per connection, keep-alive. Routes are exact paths with a handler returning a
// response, or a raw handler that writes bytes itself (slow trickles, truncated bodies,
// garbage) for hostile-server cases. Every request is logged so tests can assert on what
// arrived (headers, how many times a path was asked for, how many were in flight at once).
//
//   raqib::testing::HttpTestServer server;
//   server.Route("/feed.xml", [](const HttpRequest& r) {
//     if (r.Header("If-None-Match") == "\"v1\"") return HttpResponse::Status(304);
//     return HttpResponse::Ok("<rss/>", "application/rss+xml").With("ETag", "\"v1\"");
//   });
//   ... fetch server.Url("/feed.xml") ...
//   CHECK(server.RequestCount("/feed.xml") == 1);
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace raqib::testing {

struct HttpRequest {
  std::string method;                                        // "GET"
  std::string target;                                        // as sent: "/path?query"
  std::string path;                                          // target without the query
  std::string version;                                       // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;                                          // by Content-Length

  // The first header called `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent as is, with a Content-Length added unless a header already frames it (Content-Length
  // or Transfer-Encoding). Never sent for 1xx, 204, 304 or HEAD.
  std::string body;

  // A bare status with an optional body and no headers.
  static HttpResponse Status(int status, std::string body = "");
  static HttpResponse Ok(std::string body, std::string content_type = "application/xml");
  // A redirect (301, 302, 303, 307, 308) to `location`, relative or absolute.
  static HttpResponse Redirect(int status, std::string location);
  // Adds a header; returns *this so calls chain.
  HttpResponse& With(std::string name, std::string value);
};

// The client connection as a raw handler sees it. The server closes it when the handler
// returns, so a handler can send a Content-Length it never honours.
class RawConnection {
 public:
  // Writes all of `bytes`; false once the client has gone or the server is stopping.
  virtual bool Send(std::string_view bytes) = 0;
  // Sleeps up to `duration`; false (at once) when the server is stopping.
  virtual bool Sleep(std::chrono::milliseconds duration) = 0;

 protected:
  ~RawConnection() = default;
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;
using RawHandler = std::function<void(const HttpRequest&, RawConnection&)>;

class HttpTestServer {
 public:
  // Listens on 127.0.0.1 on a port the kernel picks and serves at once. Throws
  // std::runtime_error if the socket cannot be set up (the test cannot go on).
  HttpTestServer();
  // Stops (see Stop).
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // Serves `path` (exact match, query ignored) with `handler`, replacing any earlier route for
  // it. Handlers run on connection threads, possibly several at once. Unrouted paths get 404.
  void Route(std::string path, Handler handler);
  void RawRoute(std::string path, RawHandler handler);

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path.
  std::string Url(std::string_view path) const;

  // Every request received so far, in arrival order.
  std::vector<HttpRequest> Requests() const;
  std::vector<HttpRequest> RequestsFor(std::string_view path) const;
  std::size_t RequestCount(std::string_view path) const;
  // The most requests being handled at the same moment (from parsed until the handler
  // returned; a raw handler sends as it goes, so its answer may overlap the next request).
  std::size_t MaxConcurrentRequests() const;
  // Requests being handled right now; handlers may wait on it to line requests up.
  std::size_t InFlight() const;
  // Waits up to `timeout` until MaxConcurrentRequests() >= n; false on timeout. A handler
  // that calls it holds its request until the client has had n in flight at once, so a test
  // sees the highest concurrency the client allows (a plain sleep would depend on timing).
  bool WaitForConcurrentRequests(std::size_t n, std::chrono::milliseconds timeout) const;
  // The most client connections open at the same moment, and all accepted so far.
  std::size_t MaxConcurrentConnections() const;
  std::size_t ConnectionCount() const;

  // Stops accepting, closes every connection (waking handlers blocked in Send or Sleep) and
  // joins all threads. Idempotent.
  void Stop();

 private:
  class Connection;
  struct RouteEntry {
    Handler handler;
    RawHandler raw;
  };

  void AcceptLoop();
  void Serve(int fd);
  bool SleepFor(std::chrono::milliseconds duration);

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: wakes the accept loop on Stop
  int port_ = 0;
  std::thread accept_thread_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // signalled on stop and on in-flight changes
  // All guarded by mutex_:
  bool stopping_ = false;
  std::map<std::string, RouteEntry, std::less<>> routes_;
  std::vector<HttpRequest> log_;
  std::vector<int> open_fds_;              // client sockets, shut down on Stop
  std::vector<std::thread> conn_threads_;  // joined on Stop
  std::size_t in_flight_ = 0;
  std::size_t max_in_flight_ = 0;
  std::size_t max_open_ = 0;
  std::size_t accepted_ = 0;
};

}  // namespace raqib::testing
