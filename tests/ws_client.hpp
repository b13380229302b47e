// A WebSocket client for tests (Boost.Beast), whose every wait is bounded.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace ballast::testing {

namespace ws_detail {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Json = boost::json::value;

// A read that times out is a failed expectation, not a hung test.
class WsClient {
public:
    explicit WsClient(unsigned short port, const std::string& authorization = {}, int receive_buffer = 0) : ws_(io_) {
        auto& socket = beast::get_lowest_layer(ws_);
        socket.socket().open(tcp::v4());
        if (receive_buffer > 0) socket.socket().set_option(net::socket_base::receive_buffer_size(receive_buffer));
        socket.expires_after(std::chrono::seconds(5));
        ok_ = !run(
            [&](auto done) { socket.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), done); });
        if (!ok_) return;
        ws_.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& req) {
            if (!authorization.empty()) req.set(beast::http::field::authorization, authorization);
        }));
        ok_ = !run([&](auto done) { ws_.async_handshake("127.0.0.1", "/v1/ws", done); });
    }

    bool connected() const { return ok_; }

    void send(const std::string& text) {
        beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(5));
        ws_.text(true);
        ASSERT_FALSE(run([&](auto done) { ws_.async_write(net::buffer(text), done); })) << text;
    }
    void send(const boost::json::object& message) { send(boost::json::serialize(message)); }

    // The next message, or nullopt (closed, or nothing within `timeout`).
    std::optional<Json> next(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        beast::get_lowest_layer(ws_).expires_after(timeout);
        buffer_.clear();
        if (const beast::error_code ec = run([&](auto done) { ws_.async_read(buffer_, done); })) {
            last_error_ = ec;
            return std::nullopt;
        }
        return boost::json::parse(beast::buffers_to_string(buffer_.data()));
    }
    // The next message that answers an operation or belongs to `channel`.
    std::optional<Json> next_of(std::string_view channel) {
        while (auto m = next()) {
            const auto& o = m->as_object();
            if (!o.contains("channel") || o.at("channel").as_string() == channel) return m;
        }
        return std::nullopt;
    }

    beast::error_code last_error() const { return last_error_; }
    websocket::close_reason close_reason() const { return ws_.reason(); }

private:
    template <class Start>
    beast::error_code run(Start start) {
        beast::error_code result;
        bool finished = false;
        start([&](beast::error_code ec, auto&&...) {
            result = ec;
            finished = true;
        });
        io_.restart();
        while (!finished && io_.run_one() > 0) {
        }
        return result;
    }

    net::io_context io_;
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    bool ok_ = false;
    beast::error_code last_error_;
};

}  // namespace ws_detail

using ws_detail::WsClient;

}  // namespace ballast::testing
