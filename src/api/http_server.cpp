#include "api/http_server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ballast::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t kMaxBodyBytes = 64 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(60);

// One connection: read a request, route it, write the reply, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, Router& router) : stream_(std::move(socket)), router_(router) {
        beast::error_code ec;
        const auto endpoint = stream_.socket().remote_endpoint(ec);
        client_ = ec ? "unknown" : endpoint.address().to_string();
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }

    void run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read, shared_from_this())); }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(kMaxBodyBytes);
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
    std::string client_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    std::atomic<bool> replied_{false};  // the current request's reply is on its way
};

}  // namespace

HttpServer::HttpServer(Router& router, const std::string& host, unsigned short port, unsigned threads)
    : router_(router), threads_(std::max(1u, threads)), io_(static_cast<int>(threads_)), acceptor_(io_) {
    const tcp::endpoint endpoint(net::ip::make_address(host), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    accept();
    for (unsigned i = 0; i < threads_; ++i) workers_.emplace_back([this] { io_.run(); });
}

void HttpServer::accept() {
    acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) return;
        if (!ec) std::make_shared<Session>(std::move(socket), router_)->run();
        accept();
    });
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
