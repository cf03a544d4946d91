#include "tests/tools/http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace raqib::testing {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxRequestBody = 16 * 1024 * 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

bool FindHeader(const std::vector<std::pair<std::string, std::string>>& headers,
                std::string_view name, std::string* value) {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) {
      if (value != nullptr) *value = v;
      return true;
    }
  }
  return false;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string Serialize(const HttpResponse& response, bool head_request) {
  const bool no_body = (response.status >= 100 && response.status < 200) ||
                       response.status == 204 || response.status == 304;
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + " " + Reason(response.status) + "\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  const bool framed = FindHeader(response.headers, "Content-Length", nullptr) ||
                      FindHeader(response.headers, "Transfer-Encoding", nullptr);
  if (!no_body && !framed)
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "\r\n";
  if (!no_body && !head_request) out += response.body;
  return out;
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  std::string value;
  FindHeader(headers, name, &value);
  return value;
}

bool HttpRequest::HasHeader(std::string_view name) const {
  return FindHeader(headers, name, nullptr);
}

HttpResponse HttpResponse::Status(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse HttpResponse::Ok(std::string body, std::string content_type) {
  HttpResponse response;
  response.body = std::move(body);
  response.headers.emplace_back("Content-Type", std::move(content_type));
  return response;
}

HttpResponse HttpResponse::Redirect(int status, std::string location) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Location", std::move(location));
  return response;
}

HttpResponse& HttpResponse::With(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

// What a raw handler writes through: the socket, plus the server's stop signal.
class HttpTestServer::Connection final : public RawConnection {
 public:
  Connection(HttpTestServer& server, int fd) : server_(server), fd_(fd) {}
  bool Send(std::string_view bytes) override { return SendAll(fd_, bytes); }
  bool Sleep(std::chrono::milliseconds duration) override { return server_.SleepFor(duration); }

 private:
  HttpTestServer& server_;
  int fd_;
};

HttpTestServer::HttpTestServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("HttpTestServer: socket failed");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // ephemeral: tests run in parallel
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error(std::string("HttpTestServer: bind/listen failed: ") +
                             std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(listen_fd_);
    throw std::runtime_error("HttpTestServer: eventfd failed");
  }
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

HttpTestServer::~HttpTestServer() { Stop(); }

void HttpTestServer::Route(std::string path, Handler handler) {
  std::lock_guard lock(mutex_);
  routes_[std::move(path)] = RouteEntry{std::move(handler), nullptr};
}

void HttpTestServer::RawRoute(std::string path, RawHandler handler) {
  std::lock_guard lock(mutex_);
  routes_[std::move(path)] = RouteEntry{nullptr, std::move(handler)};
}

std::string HttpTestServer::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::vector<HttpRequest> HttpTestServer::Requests() const {
  std::lock_guard lock(mutex_);
  return log_;
}

std::vector<HttpRequest> HttpTestServer::RequestsFor(std::string_view path) const {
  std::lock_guard lock(mutex_);
  std::vector<HttpRequest> out;
  for (const HttpRequest& request : log_) {
    if (request.path == path) out.push_back(request);
  }
  return out;
}

std::size_t HttpTestServer::RequestCount(std::string_view path) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
      log_.begin(), log_.end(), [&](const HttpRequest& r) { return r.path == path; }));
}

std::size_t HttpTestServer::MaxConcurrentRequests() const {
  std::lock_guard lock(mutex_);
  return max_in_flight_;
}

std::size_t HttpTestServer::InFlight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

bool HttpTestServer::WaitForConcurrentRequests(std::size_t n,
                                               std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopping_ || max_in_flight_ >= n; });
  return max_in_flight_ >= n;
}

std::size_t HttpTestServer::MaxConcurrentConnections() const {
  std::lock_guard lock(mutex_);
  return max_open_;
}

std::size_t HttpTestServer::ConnectionCount() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

bool HttpTestServer::SleepFor(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, duration, [this] { return stopping_; });
}

void HttpTestServer::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !accept_thread_.joinable()) return;
    stopping_ = true;
    // Wakes connection threads blocked in recv/send; they close their own fds.
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  changed_.notify_all();
  const std::uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    // The accept loop has ended: no thread is added any more.
    std::lock_guard lock(mutex_);
    threads.swap(conn_threads_);
  }
  for (std::thread& thread : threads) thread.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

void HttpTestServer::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    ++accepted_;
    max_open_ = std::max(max_open_, open_fds_.size());
    conn_threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

// One connection: requests one after another (keep-alive) until the client closes, asks to
// close, a raw handler ran, or the server stops.
void HttpTestServer::Serve(int fd) {
  std::string buffer;
  bool keep_alive = true;
  while (keep_alive) {
    // Read the head.
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes) {
        SendAll(fd, Serialize(HttpResponse::Status(431), false));
        head_end = std::string::npos;
        break;
      }
      char chunk[16384];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      if (!std::isupper(static_cast<unsigned char>(buffer.front()))) {
        // Not an HTTP method (a TLS ClientHello, say): answer at once, as real servers do,
        // instead of waiting for a blank line that will never come.
        SendAll(fd, Serialize(HttpResponse::Status(400), false));
        break;
      }
    }
    if (head_end == std::string::npos) break;

    HttpRequest request;
    std::string_view head(buffer.data(), head_end);
    const std::size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    const std::size_t sp1 = request_line.find(' ');
    const std::size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) {
      SendAll(fd, Serialize(HttpResponse::Status(400), false));
      break;
    }
    request.method = request_line.substr(0, sp1);
    request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    request.version = request_line.substr(sp2 + 1);
    request.path = request.target.substr(0, request.target.find('?'));
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
    while (!rest.empty()) {
      const std::size_t eol = rest.find("\r\n");
      const std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      request.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                                   std::string(Trim(line.substr(colon + 1))));
    }
    buffer.erase(0, head_end + 4);

    std::size_t content_length = 0;
    if (std::string cl = request.Header("Content-Length"); !cl.empty()) {
      std::from_chars(cl.data(), cl.data() + cl.size(), content_length);
    }
    if (content_length > kMaxRequestBody) break;
    while (buffer.size() < content_length) {
      char chunk[16384];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    if (buffer.size() < content_length) break;
    request.body = buffer.substr(0, content_length);
    buffer.erase(0, content_length);

    const std::string connection = request.Header("Connection");
    keep_alive = request.version == "HTTP/1.1" && !EqualsIgnoreCase(connection, "close");

    RouteEntry route;
    {
      std::lock_guard lock(mutex_);
      log_.push_back(request);
      ++in_flight_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
      if (auto it = routes_.find(request.path); it != routes_.end()) route = it->second;
    }
    changed_.notify_all();

    // A request stops counting as in flight when its handler returns, before the answer is
    // sent: a client that starts its next request on reading the answer must not be seen
    // overlapping with this one.
    const auto handled = [this, &keep_alive] {
      {
        std::lock_guard lock(mutex_);
        --in_flight_;
        if (stopping_) keep_alive = false;
      }
      changed_.notify_all();
    };
    if (route.raw) {
      Connection connection_handle(*this, fd);
      route.raw(request, connection_handle);
      handled();
      keep_alive = false;
    } else {
      HttpResponse response =
          route.handler ? route.handler(request) : HttpResponse::Status(404, "not found");
      handled();
      if (!keep_alive) response.headers.emplace_back("Connection", "close");
      if (!SendAll(fd, Serialize(response, request.method == "HEAD"))) keep_alive = false;
    }
  }
  std::lock_guard lock(mutex_);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
}

}  // namespace raqib::testing
