// One WebSocket connection: the client's operations (subscribe,
// unsubscribe, ping, post), its subscriptions with their snapshots and
// message numbers, and a bounded send queue. Everything runs on the
// connection's strand; the fan-out thread and the sequencer hand messages
// over with deliver() and the snapshot replies, which post onto it.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "api/ws_channels.hpp"
#include "api/ws_hub.hpp"
#include "api/ws_protocol.hpp"

namespace ballast::api {

class WsSession : public std::enable_shared_from_this<WsSession> {
public:
    WsSession(boost::asio::ip::tcp::socket&& socket, WsHub& hub, std::string client, bool admin,
              std::shared_ptr<std::atomic<std::size_t>> open_connections);
    ~WsSession();

    void run(boost::beast::http::request<boost::beast::http::string_body>&& upgrade);

    // From any thread: one message of a channel this session subscribed to.
    void deliver(const std::string& channel, std::uint64_t seq, std::shared_ptr<const std::string> tail);
    // From any thread: close with a reason, 1008 (policy violation) or
    // 1001 (going away: the server stops).
    void cut(std::string reason, bool going_away = false);

private:
    struct Subscription {
        // Which subscription a snapshot reply belongs to: one that was
        // unsubscribed and subscribed again waits for its own.
        std::uint64_t generation = 0;
        bool snapshot_pending = true;
        std::uint64_t snapshot_seq = 0;
        std::uint64_t next_n = 0;
        // Deltas that arrived before the snapshot.
        std::vector<std::pair<std::uint64_t, std::shared_ptr<const std::string>>> held;
        std::size_t held_bytes = 0;
    };

    void on_accept(boost::beast::error_code ec);
    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void handle(std::string_view text);
    void subscribe(std::string_view name, std::string_view id);
    void unsubscribe(std::string_view name, std::string_view id);
    void post(const ClientMessage& message);
    void on_snapshot(const std::string& channel, std::uint64_t generation, std::uint16_t status, std::string body,
                     std::uint64_t seq, core::TimeMs time);
    void on_message(const std::string& channel, std::uint64_t seq, std::shared_ptr<const std::string> tail);
    void send_channel_message(const std::string& channel, Subscription& sub, const std::string& tail);
    void send(std::string message);
    void write_next();
    void on_write(boost::beast::error_code ec, std::size_t bytes);
    void close_with(std::string reason, bool going_away = false);
    void error(std::string_view id, std::string_view code, std::string_view message);
    void leave();

    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    WsHub& hub_;
    std::string client_;
    bool admin_;
    std::shared_ptr<std::atomic<std::size_t>> open_;
    boost::beast::flat_buffer buffer_;
    std::map<std::string, Subscription> subscriptions_;
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;  // of queue_
    std::uint64_t generations_ = 0;
    bool writing_ = false;
    bool closing_ = false;
    bool left_ = false;
};

}  // namespace ballast::api
