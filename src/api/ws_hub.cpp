#include "api/ws_hub.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>

#include "api/router.hpp"
#include "api/ws_session.hpp"
#include "sequencer/sequencer_metrics.hpp"

namespace ballast::api {

using sequencer::counter;

namespace {
constexpr const char* kBookUnreadable = "the book could not be read; subscribe again";
}
using sequencer::gauge;

WsHub::WsHub(sequencer::EventBus& bus, sequencer::Sequencer& sequencer, Router& router, WsOptions options,
             std::string admin_token, prometheus::Registry& registry)
    : bus_(bus),
      sequencer_(sequencer),
      router_(router),
      options_(options),
      admin_token_(std::move(admin_token)),
      cursor_(bus.subscribe()),
      ops_(options.ops_per_ip),
      sessions_(gauge(registry, "ballast_ws_sessions", "WebSocket connections open")),
      sent_(counter(registry, "ballast_ws_messages_sent_total", "WebSocket messages written to clients")),
      cut_off_(counter(registry, "ballast_ws_cut_off_total",
                       "WebSocket connections closed because the client read too slowly")),
      refused_(
          counter(registry, "ballast_ws_refused_total", "WebSocket upgrades refused (connections per IP address)")),
      lag_(gauge(registry, "ballast_ws_fanout_lag_batches",
                 "Durable batches published on the event bus that the WebSocket fan-out has not read")) {
    options_.ticker_per_second = std::max(1u, options_.ticker_per_second);
}

WsHub::~WsHub() { stop(); }

void WsHub::start() {
    running_.store(true);
    thread_ = std::thread([this] { fan_out_loop(); });
}

void WsHub::stop() {
    if (!running_.exchange(false)) return;
    if (thread_.joinable()) thread_.join();
}

bool WsHub::admit(const std::string& client) {
    std::lock_guard lock(mutex_);
    std::size_t& count = per_ip_[client];
    if (count >= options_.max_connections_per_ip) {
        if (count == 0) per_ip_.erase(client);
        refused_.Increment();
        return false;
    }
    ++count;  // released by the session's closed()
    return true;
}

void WsHub::upgrade(boost::asio::ip::tcp::socket&& socket,
                    boost::beast::http::request<boost::beast::http::string_body>&& request, std::string client,
                    std::shared_ptr<std::atomic<std::size_t>> open_connections) {
    sessions_.Increment();  // and Decrement() in closed()
    const bool admin = bearer_token_is(request[boost::beast::http::field::authorization], admin_token_);
    auto session =
        std::make_shared<WsSession>(std::move(socket), *this, std::move(client), admin, std::move(open_connections));
    {
        std::lock_guard lock(mutex_);
        open_.emplace(session.get(), session);
    }
    session->run(std::move(request));
}

void WsHub::close_all(std::chrono::milliseconds grace) {
    std::vector<std::shared_ptr<WsSession>> sessions;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, weak] : open_)
            if (auto session = weak.lock()) sessions.push_back(std::move(session));
    }
    for (const auto& session : sessions) session->cut("the server is shutting down", /*going_away=*/true);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lock(mutex_);
            if (open_.empty()) return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool WsHub::subscribe(const Channel& channel, const std::shared_ptr<WsSession>& session) {
    std::lock_guard lock(mutex_);
    if (channel.spec->kind == ChannelKind::Book) {
        // The book read goes into the engine's queue before the session's
        // snapshot read (see api/book_feed.hpp).
        const core::Name pair = core::Name::from(channel.subject);
        if (const auto ticket = books_.follow(pair)) {
            auto request = std::make_unique<sequencer::Request>();
            sequencer::ReadRequest read = sequencer::ReadRequest::of(sequencer::ReadKind::Book);
            read.subject = pair;
            request->what = read;
            request->reply = [this, ticket = *ticket](sequencer::Response&& response) {
                books_.synced(ticket, std::move(response));
            };
            if (!sequencer_.submit(request)) {
                books_.failed(*ticket);
                return false;
            }
        }
    }
    subscribers_[channel.name].push_back({session, session.get()});
    return true;
}

void WsHub::unsubscribe(const std::string& channel, const WsSession* session) {
    std::lock_guard lock(mutex_);
    const auto it = subscribers_.find(channel);
    if (it == subscribers_.end()) return;
    std::erase_if(it->second, [session](const Subscriber& s) { return s.id == session; });
    if (!it->second.empty()) return;
    subscribers_.erase(it);
    if (const auto parsed = parse_channel(channel); parsed && parsed->spec->kind == ChannelKind::Book)
        books_.unfollow(core::Name::from(parsed->subject));
}

void WsHub::closed(const WsSession* session, const std::string& client) {
    std::lock_guard lock(mutex_);
    open_.erase(session);
    if (const auto it = per_ip_.find(client); it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
    sessions_.Decrement();
}

void WsHub::fan_out_loop() {
    const auto ticker_every = std::chrono::milliseconds(1'000 / options_.ticker_per_second);
    std::vector<ChannelMessage> messages;
    std::vector<std::string> broken;
    while (running_.load()) {
        const auto read = bus_.next(cursor_, std::chrono::milliseconds(10));
        if (read.status == sequencer::EventBus::Status::Lapped) {
            spdlog::error("websocket fan-out fell {} batches behind the event bus; every subscriber is cut off",
                          read.behind);
            cut_everyone("the feed fell behind; reconnect and subscribe again");
            books_.reset();
        } else if (read.status == sequencer::EventBus::Status::Batch) {
            for (const sequencer::StreamRecord& record : read.batch->records) {
                messages.clear();
                broken.clear();
                channel_messages(record, messages);
                books_.apply(record, messages, broken);
                deliver_all(messages, broken);
                for (const sequencer::MarketState& state : record.markets) {
                    Ticker& ticker = tickers_[std::string(state.pair.view())];
                    ticker.state = state;
                    ticker.seq = record.seq;
                    ticker.time = record.time;
                    ticker.dirty = true;
                }
            }
        }
        messages.clear();
        broken.clear();
        books_.take_synced(messages, broken);
        deliver_all(messages, broken);
        lag_.Set(static_cast<double>(bus_.published() - cursor_.next));
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ticker_flush_ >= ticker_every) {
            last_ticker_flush_ = now;
            flush_tickers();
        }
    }
}

void WsHub::flush_tickers() {
    for (auto& [pair, ticker] : tickers_) {
        if (!ticker.dirty) continue;
        ticker.dirty = false;
        std::string data;
        JsonWriter w(data);
        write_ticker(w, ticker.state, ticker.time);
        deliver({"market." + pair + ".ticker", ticker.seq, message_tail(ticker.seq, ticker.time, "ticker", data)});
    }
}

void WsHub::deliver(const ChannelMessage& message) {
    std::vector<std::shared_ptr<WsSession>> targets;
    {
        std::lock_guard lock(mutex_);
        const auto it = subscribers_.find(message.channel);
        if (it == subscribers_.end()) return;
        targets.reserve(it->second.size());
        for (const Subscriber& s : it->second)
            if (auto session = s.session.lock()) targets.push_back(std::move(session));
    }
    for (const auto& session : targets) session->deliver(message.channel, message.seq, message.tail);
}

void WsHub::deliver_all(const std::vector<ChannelMessage>& messages, const std::vector<std::string>& broken) {
    for (const ChannelMessage& message : messages) deliver(message);
    for (const std::string& channel : broken) cut_channel(channel, kBookUnreadable);
}

void WsHub::cut_channel(const std::string& channel, const std::string& reason) {
    std::vector<std::shared_ptr<WsSession>> targets;
    {
        std::lock_guard lock(mutex_);
        const auto it = subscribers_.find(channel);
        if (it == subscribers_.end()) return;
        for (const Subscriber& s : it->second)
            if (auto session = s.session.lock()) targets.push_back(std::move(session));
    }
    for (const auto& session : targets) session->cut(reason);
}

void WsHub::cut_everyone(const std::string& reason) {
    std::vector<std::shared_ptr<WsSession>> targets;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [channel, subscribers] : subscribers_)
            for (const Subscriber& s : subscribers)
                if (auto session = s.session.lock()) targets.push_back(std::move(session));
    }
    for (const auto& session : targets) session->cut(reason);
}

}  // namespace ballast::api
