#include "daemon/http_server.h"

#include <httplib.h>

#include <charconv>

namespace raqib::daemon {

std::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::Start(const std::string& listen,
                                                                          HttpHandlers handlers) {
  const auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const char* begin = listen.data() + colon + 1;
    const char* end = listen.data() + listen.size();
    if (std::from_chars(begin, end, port).ptr != end) port = -1;
  }
  if (port < 0 || port > 65535) return std::unexpected("bad listen address '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);

  std::unique_ptr<HttpServer> server(new HttpServer());
  server->server_ = std::make_unique<httplib::Server>();
  auto& s = *server->server_;
  s.Get("/metrics", [h = handlers.metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(h(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/healthz", [h = handlers.healthy](const httplib::Request&, httplib::Response& res) {
    const bool ok = h();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "pipeline stalled\n", "text/plain");
  });
  s.Get("/readyz", [h = handlers.ready](const httplib::Request&, httplib::Response& res) {
    const bool ok = h();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ready\n" : "not ready\n", "text/plain");
  });
  s.Get("/status", [h = handlers.status](const httplib::Request&, httplib::Response& res) {
    res.set_content(h(), "application/json");
  });
  if (port == 0) {
    server->port_ = s.bind_to_any_port(host);
    if (server->port_ <= 0) return std::unexpected("cannot listen on " + listen);
  } else {
    if (!s.bind_to_port(host, port)) return std::unexpected("cannot listen on " + listen);
    server->port_ = port;
  }
  server->thread_ = std::thread([&s] { s.listen_after_bind(); });
  return server;
}

HttpServer::~HttpServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace raqib::daemon
