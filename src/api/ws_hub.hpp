// The WebSocket side of the gateway: GET /v1/ws upgrades into a session
// (api/ws_session.hpp); the hub keeps who subscribed to what and runs the
// fan-out thread, a consumer of the event bus that encodes each message
// once and hands it to every subscribed session.
//
// Subscribing is consistent: the session registers with the hub first, then
// reads its snapshot on the engine thread (in sequence with the commands,
// seq S); deltas are held until the snapshot arrives and only those after S
// are sent. Every delta after S is published after the registration, so
// there is no gap and no duplicate.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/book_feed.hpp"
#include "api/rate_limiter.hpp"
#include "api/stream_encoder.hpp"
#include "api/ws_channels.hpp"
#include "sequencer/event_bus.hpp"

namespace ballast::sequencer {
class Sequencer;
}

namespace ballast::api {

class Router;
class WsSession;

struct WsOptions {
    std::size_t max_subscriptions = 64;      // per connection
    std::size_t max_queued_bytes = 4 << 20;  // per connection, waiting to be written; past it the connection is cut
    // The kernel's send buffer per connection (SO_SNDBUF; Linux doubles it):
    // bounded, so a client that stops reading shows up in the queue above
    // instead of in megabytes of kernel memory.
    std::size_t socket_send_buffer_bytes = 256 << 10;
    std::size_t max_message_bytes = 64 * 1024;  // from the client (a signed order is far less)
    std::size_t max_connections_per_ip = 256;
    unsigned ticker_per_second = 10;  // per pair
    // Operations (subscribe, unsubscribe, ping, post) per client IP address:
    // a subscription reads a snapshot on the engine thread.
    RateLimiter::Limit ops_per_ip{200, 400};
    std::chrono::seconds idle_timeout{60};
};

class WsHub {
public:
    WsHub(sequencer::EventBus& bus, sequencer::Sequencer& sequencer, Router& router, WsOptions options,
          std::string admin_token, prometheus::Registry& registry);
    ~WsHub();

    void start();
    void stop();
    // Closes every connection with 1001 (going away), for a shutdown; waits
    // up to `grace` for the close frames to be written.
    void close_all(std::chrono::milliseconds grace);

    // Whether `client` may open another connection; if so it counts until
    // the session closes. The HTTP server answers 429 otherwise.
    bool admit(const std::string& client);
    // Takes over an upgraded connection (the HTTP server's, for GET /v1/ws),
    // once admitted.
    void upgrade(boost::asio::ip::tcp::socket&& socket,
                 boost::beast::http::request<boost::beast::http::string_body>&& request, std::string client,
                 std::shared_ptr<std::atomic<std::size_t>> open_connections);

    // For sessions.
    const WsOptions& options() const { return options_; }
    sequencer::Sequencer& sequencer() { return sequencer_; }
    Router& router() { return router_; }
    // False when the exchange is too busy to start following a market's book.
    bool subscribe(const Channel& channel, const std::shared_ptr<WsSession>& session);
    void unsubscribe(const std::string& channel, const WsSession* session);
    void closed(const WsSession* session, const std::string& client);
    void count_cut_off() { cut_off_.Increment(); }
    void count_sent(std::size_t messages) { sent_.Increment(static_cast<double>(messages)); }
    bool allow_op(const std::string& client) { return ops_.allow(client); }

private:
    struct Subscriber {
        std::weak_ptr<WsSession> session;
        const WsSession* id;
    };
    struct Ticker {
        sequencer::MarketState state;
        std::uint64_t seq = 0;
        core::TimeMs time = 0;
        bool dirty = false;
    };

    void fan_out_loop();
    void deliver(const ChannelMessage& message);
    void flush_tickers();
    void cut_everyone(const std::string& reason);
    void cut_channel(const std::string& channel, const std::string& reason);
    // Delivers the messages, then cuts off the subscribers of each broken channel.
    void deliver_all(const std::vector<ChannelMessage>& messages, const std::vector<std::string>& broken);

    sequencer::EventBus& bus_;
    sequencer::Sequencer& sequencer_;
    Router& router_;
    WsOptions options_;
    std::string admin_token_;
    sequencer::EventBus::Cursor cursor_;

    std::mutex mutex_;  // subscribers_, per_ip_, open_
    std::unordered_map<const WsSession*, std::weak_ptr<WsSession>> open_;
    std::unordered_map<std::string, std::vector<Subscriber>> subscribers_;
    std::unordered_map<std::string, std::size_t> per_ip_;

    RateLimiter ops_;
    std::unordered_map<std::string, Ticker> tickers_;  // fan-out thread only
    BookFeed books_;
    std::chrono::steady_clock::time_point last_ticker_flush_{};

    prometheus::Gauge& sessions_;
    prometheus::Counter& sent_;
    prometheus::Counter& cut_off_;
    prometheus::Counter& refused_;
    prometheus::Gauge& lag_;

    std::atomic<bool> running_{false};
    std::thread thread_;
};

}  // namespace ballast::api
