// HTTP/1.1 keep-alive server (Boost.Beast on Asio): accepts connections,
// reads one request at a time per connection, hands it to the Router, and
// writes the reply when the router's callback fires (from any thread).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/router.hpp"
#include "api/ws_hub.hpp"

namespace ballast::api {

struct HttpServerOptions {
    unsigned threads = 2;
    // Connections served at once; beyond this a new connection is answered
    // 503 too_many_connections and closed at once. Keep it below the
    // descriptor limit (the journal, snapshots and the listener need some).
    std::size_t max_connections = 1'000;
    // GET /v1/ws upgrades are handed to it; none: 404.
    WsHub* websocket = nullptr;
};

class HttpServer {
public:
    // Binds at once; throws if the address is taken. Port 0 picks a free port.
    HttpServer(Router& router, const std::string& host, unsigned short port, HttpServerOptions options);
    ~HttpServer();

    unsigned short port() const { return port_; }
    void start();
    // Stops accepting and closes every connection; replies still in flight are dropped.
    void stop();

    // Connections being served now.
    std::size_t connections() const { return connections_->load(); }
    // Connections refused because of the cap, and because no descriptor was left.
    std::uint64_t refused_at_cap() const { return refused_at_cap_.load(); }
    std::uint64_t refused_without_descriptor() const { return refused_without_descriptor_.load(); }

private:
    void accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    // No descriptor is left for accept(): give back the spare one, accept and
    // refuse what is waiting with it, take it again, and retry after a pause.
    void refuse_pending_without_descriptor();
    void accept_after(std::chrono::milliseconds pause);

    Router& router_;
    HttpServerOptions options_;
    // Shared with the sessions, which may outlive the server by a moment.
    std::shared_ptr<std::atomic<std::size_t>> connections_ = std::make_shared<std::atomic<std::size_t>>(0);
    std::atomic<std::uint64_t> refused_at_cap_{0}, refused_without_descriptor_{0};
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_timer_;
    int spare_fd_ = -1;  // /dev/null, held to be closed when descriptors run out
    unsigned short port_ = 0;
    std::vector<std::thread> workers_;
    // Accept-loop state (one accept at a time, so one thread at a time).
    std::chrono::milliseconds backoff_{0};
    std::chrono::steady_clock::time_point last_cap_log_{}, last_descriptor_log_{};
    std::uint64_t logged_at_cap_ = 0, logged_without_descriptor_ = 0;
};

}  // namespace ballast::api
