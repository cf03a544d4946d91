// The operator's window into a running daemon (cpp-httplib, one background thread):
//   /metrics  Prometheus text format
//   /healthz  200 while the pipeline loop is alive, 503 when it stalled
//   /readyz   200 once the daemon is polling and Kafka is taking messages, else 503
//   /status   JSON: feeds by state and every failing feed with its last error
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace raqib::daemon {

struct HttpHandlers {
  std::function<std::string()> metrics;  // Prometheus text
  std::function<bool()> healthy;
  std::function<bool()> ready;
  std::function<std::string()> status;  // JSON
};

class HttpServer {
 public:
  // Binds `listen` ("host:port", port 0 = any free port) and serves on a thread.
  static std::expected<std::unique_ptr<HttpServer>, std::string> Start(const std::string& listen,
                                                                       HttpHandlers handlers);
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace raqib::daemon
