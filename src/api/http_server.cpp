#include "api/http_server.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace ballast::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(60);
// Accept errors (out of descriptors) are retried after a pause that doubles
// up to a second; refusals and accept errors are logged at most this often.
constexpr auto kMinBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxBackoff = std::chrono::milliseconds(1'000);
constexpr auto kLogEvery = std::chrono::seconds(10);
constexpr int kMaxRefusalsPerPause = 256;

// Written on a connection the server will not serve, then closed: one
// write on a fresh socket, whose send buffer is empty, so it never blocks.
const std::string kRefusal = [] {
    const std::string body = sequencer::error_body("too_many_connections", "the server is at its connection limit");
    return "HTTP/1.1 503 Service Unavailable\r\nServer: ballast\r\nContent-Type: application/json\r\n"
           "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}();

void refuse(int fd) {
    const ssize_t n = ::send(fd, kRefusal.data(), kRefusal.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)n;  // best effort: the connection is closed either way
}

// One connection: read a request, route it, write the reply, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, Router& router, WsHub* websocket, std::shared_ptr<std::atomic<std::size_t>> open)
        : stream_(std::move(socket)), router_(router), websocket_(websocket), open_(std::move(open)) {
        open_->fetch_add(1);
        beast::error_code ec;
        const auto endpoint = stream_.socket().remote_endpoint(ec);
        client_ = ec ? "unknown" : endpoint.address().to_string();
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }

    ~Session() { open_->fetch_sub(1); }

    void run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read, shared_from_this())); }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(kMaxHttpBodyBytes);
        stream_.expires_after(kIdleTimeout);
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream) return close();
        if (ec == http::error::body_limit) {
            send(HttpReply{413, sequencer::error_body("too_large", "the body exceeds 64 KiB")}, false);
            return;
        }
        if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
            // Not HTTP/1.1 as Beast reads it: say so, then close.
            send(HttpReply{400, sequencer::error_body("bad_request", "malformed HTTP request: " + ec.message())},
                 false);
            return;
        }
        if (ec) return;  // reset or idle timeout: drop the connection
        request_ = parser_->release();
        if (websocket_ && beast::websocket::is_upgrade(request_)) {
            const std::string_view target = request_.target();
            if (target.substr(0, target.find('?')) == "/v1/ws") {
                if (!websocket_->admit(client_)) {
                    send(HttpReply{429, sequencer::error_body("too_many_connections",
                                                              "too many WebSocket connections from this address")},
                         false);
                    return;
                }
                websocket_->upgrade(stream_.release_socket(), std::move(request_), client_, open_);
                return;
            }
        }
        const HttpRequestView view{
            std::string_view(request_.method_string()),
            std::string_view(request_.target()),
            std::string_view(request_[http::field::authorization]),
            std::string_view(request_["Idempotency-Key"]),
            std::string_view(request_.body()),
            client_,
        };
        // The reply may come from the journal writer's thread: hop back onto
        // this connection's strand to write it.
        replied_.store(false);
        try {
            router_.handle(view, [self = shared_from_this()](HttpReply&& reply) {
                if (self->replied_.exchange(true)) return;
                net::post(self->stream_.get_executor(), [self, reply = std::move(reply)]() mutable {
                    self->send(std::move(reply), self->request_.keep_alive());
                });
            });
        } catch (const std::exception& e) {
            // No request may stop a gateway thread.
            spdlog::error("{} {} failed in the gateway: {}", view.method, view.target, e.what());
            if (!replied_.exchange(true))
                send(HttpReply{500, sequencer::error_body("internal_error", "the request failed in the gateway")},
                     request_.keep_alive());
        }
    }

    void send(HttpReply&& reply, bool keep_alive) {
        response_ = {};
        response_.version(11);
        response_.result(reply.status);
        response_.set(http::field::server, "ballast");
        response_.set(http::field::content_type, reply.content_type);
        if (reply.status == 429 || reply.status == 503) response_.set(http::field::retry_after, "1");
        response_.body() = std::move(reply.body);
        response_.keep_alive(keep_alive);
        response_.prepare_payload();
        http::async_write(stream_, response_,
                          beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
    }

    void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
        if (ec) return;
        if (!keep_alive) return close();
        read();
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    beast::tcp_stream stream_;
    Router& router_;
    WsHub* websocket_;
    std::shared_ptr<std::atomic<std::size_t>> open_;  // the server's count of open connections
    std::string client_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    std::atomic<bool> replied_{false};  // the current request's reply is on its way
};

}  // namespace

HttpServer::HttpServer(Router& router, const std::string& host, unsigned short port, HttpServerOptions options)
    : router_(router),
      options_(options),
      io_(static_cast<int>(std::max(1u, options.threads))),
      acceptor_(io_),
      retry_timer_(io_) {
    options_.threads = std::max(1u, options_.threads);
    options_.max_connections = std::max<std::size_t>(1, options_.max_connections);
    const tcp::endpoint endpoint(net::ip::make_address(host), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    acceptor_.native_non_blocking(true);
    port_ = acceptor_.local_endpoint().port();
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

HttpServer::~HttpServer() {
    stop();
    if (spare_fd_ >= 0) ::close(spare_fd_);
}

void HttpServer::start() {
    accept();
    for (unsigned i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { io_.run(); });
}

void HttpServer::accept() {
    acceptor_.async_accept(net::make_strand(io_),
                           [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::accept_after(std::chrono::milliseconds pause) {
    retry_timer_.expires_after(pause);
    retry_timer_.async_wait([this](beast::error_code ec) {
        if (ec != net::error::operation_aborted) accept();
    });
}

void HttpServer::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    const auto now = std::chrono::steady_clock::now();
    if (!ec) {
        backoff_ = std::chrono::milliseconds(0);
        if (connections_->load() >= options_.max_connections) {
            refuse(socket.native_handle());
            ++refused_at_cap_;
            if (now - last_cap_log_ >= kLogEvery) {
                spdlog::warn(
                    "connection cap reached: {} connections open (server.max_connections = {}); refused {} "
                    "new connection(s) with 503 since the last report",
                    connections_->load(), options_.max_connections, refused_at_cap_.load() - logged_at_cap_);
                last_cap_log_ = now;
                logged_at_cap_ = refused_at_cap_.load();
            }
            beast::error_code ignored;
            socket.close(ignored);
        } else {
            std::make_shared<Session>(std::move(socket), router_, options_.websocket, connections_)->run();
        }
        accept();
        return;
    }
    // Accept failed. Never retry at once: the listener stays readable, so an
    // immediate retry spins a core without serving anyone.
    const bool out_of_descriptors = ec == net::error::no_descriptors || ec.value() == ENFILE ||
                                    ec == net::error::no_buffer_space || ec == net::error::no_memory;
    if (out_of_descriptors) refuse_pending_without_descriptor();
    backoff_ = std::min(kMaxBackoff, std::max(kMinBackoff, backoff_ * 2));
    if (now - last_descriptor_log_ >= kLogEvery) {
        if (out_of_descriptors)
            spdlog::error(
                "accept: {} ({} connections open); refused {} waiting connection(s) with 503 since the last "
                "report; retrying in {} ms. Raise the descriptor limit or lower server.max_connections",
                ec.message(), connections_->load(), refused_without_descriptor_.load() - logged_without_descriptor_,
                backoff_.count());
        else
            spdlog::error("accept: {}; retrying in {} ms", ec.message(), backoff_.count());
        last_descriptor_log_ = now;
        logged_without_descriptor_ = refused_without_descriptor_.load();
    }
    accept_after(backoff_);
}

void HttpServer::refuse_pending_without_descriptor() {
    if (spare_fd_ < 0) return;
    ::close(spare_fd_);
    spare_fd_ = -1;
    for (int i = 0; i < kMaxRefusalsPerPause; ++i) {
        const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        refuse(fd);
        ::close(fd);
        ++refused_without_descriptor_;
    }
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void HttpServer::stop() {
    if (workers_.empty()) return;
    net::post(io_, [this] {
        beast::error_code ec;
        acceptor_.close(ec);
    });
    io_.stop();
    for (auto& worker : workers_) worker.join();
    workers_.clear();
}

}  // namespace ballast::api
