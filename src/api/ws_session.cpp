#include "api/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "api/json_writer.hpp"
#include "api/router.hpp"
#include "api/ws_protocol.hpp"
#include "sequencer/sequencer.hpp"

namespace ballast::api {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

std::string reply_head(std::string_view type, std::string_view id) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("type").plain_string(type);
    if (!id.empty()) w.key("id").encoded(id);  // as the client sent it
    w.end_object();
    out.pop_back();  // reopened by the caller
    return out;
}

// The read that gives a channel its snapshot.
sequencer::ReadRequest snapshot_read(const Channel& channel) {
    using sequencer::ReadKind;
    sequencer::ReadRequest read;
    switch (channel.spec->kind) {
        case ChannelKind::Ticker:
        case ChannelKind::Trades:
        case ChannelKind::AdminPair:
            read.kind = ReadKind::Ticker;
            read.subject = core::Name::from(channel.subject);
            break;
        case ChannelKind::Book:
            read.kind = ReadKind::Book;
            read.subject = core::Name::from(channel.subject);
            break;
        case ChannelKind::Trader:
            read.kind = ReadKind::Account;
            read.subject = core::Name::from(channel.subject);
            break;
        case ChannelKind::AdminAll: read.kind = ReadKind::Markets; break;
    }
    return read;
}

}  // namespace

WsSession::WsSession(net::ip::tcp::socket&& socket, WsHub& hub, std::string client, bool admin,
                     std::shared_ptr<std::atomic<std::size_t>> open_connections)
    : ws_(std::move(socket)), hub_(hub), client_(std::move(client)), admin_(admin), open_(std::move(open_connections)) {
    open_->fetch_add(1);
}

WsSession::~WsSession() { open_->fetch_sub(1); }

void WsSession::run(beast::http::request<beast::http::string_body>&& upgrade) {
    beast::get_lowest_layer(ws_).expires_never();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(
        net::socket_base::send_buffer_size(static_cast<int>(hub_.options().socket_send_buffer_bytes)), ignored);
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(5);  // also bounds a close a client never answers
    timeout.idle_timeout = hub_.options().idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(hub_.options().max_message_bytes);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "ballast"); }));
    ws_.async_accept(upgrade, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
}

void WsSession::on_accept(beast::error_code ec) {
    if (ec) return leave();
    read();
}

void WsSession::read() { ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this())); }

void WsSession::on_read(beast::error_code ec, std::size_t) {
    // A message over the limit: Beast has closed with 1009 (too big) already.
    if (ec) return leave();
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (!ws_.got_text()) {
        error({}, "invalid_input", "messages are JSON text");
    } else {
        try {
            handle(text);
        } catch (const std::exception& e) {
            // No message may stop a gateway thread or drop the connection without a word.
            spdlog::error("websocket message from {} failed: {}", client_, e.what());
            error({}, "internal_error", "the message failed in the gateway");
        }
    }
    if (!closing_) read();
}

void WsSession::handle(std::string_view text) {
    ClientMessage message;
    ClientMessageError problem;
    if (!decode_client_message(text, message, problem)) return error(problem.id, problem.code, problem.message);
    if (!hub_.allow_op(client_))
        return error(message.id, "rate_limited", "too many operations from this address; slow down");
    switch (message.op) {
        case ClientMessage::Op::Ping: {
            std::string reply = reply_head("pong", message.id);
            reply += '}';
            return send(std::move(reply));
        }
        case ClientMessage::Op::Post: return post(message);
        case ClientMessage::Op::Subscribe: return subscribe(message.channel, message.id);
        case ClientMessage::Op::Unsubscribe: return unsubscribe(message.channel, message.id);
    }
}

void WsSession::subscribe(std::string_view name, std::string_view id) {
    const std::optional<Channel> channel = parse_channel(name);
    if (!channel) return error(id, "unknown_channel", "no channel named " + std::string(name));
    if (channel->spec->admin && !admin_)
        return error(id, "forbidden", "admin channels need the admin token on the upgrade request");
    if (subscriptions_.contains(channel->name)) return error(id, "already_subscribed", channel->name);
    if (subscriptions_.size() >= hub_.options().max_subscriptions)
        return error(id, "too_many_subscriptions",
                     "at most " + std::to_string(hub_.options().max_subscriptions) + " per connection");
    const std::uint64_t generation = ++generations_;
    Subscription subscription;
    subscription.generation = generation;
    // Registered before the snapshot is read: every delta after it reaches us.
    if (!hub_.subscribe(*channel, shared_from_this()))
        return error(id, "overloaded", "the exchange is busy; subscribe again");
    subscriptions_.emplace(channel->name, std::move(subscription));
    std::string ack = reply_head("subscribed", id);
    ack += R"(,"channel":")" + channel->name + "\"}";
    send(std::move(ack));

    auto request = std::make_unique<sequencer::Request>();
    request->what = snapshot_read(*channel);
    request->reply = [self = shared_from_this(), name = channel->name, generation](sequencer::Response&& response) {
        net::post(self->ws_.get_executor(), [self, name, generation, response = std::move(response)]() mutable {
            self->on_snapshot(name, generation, response.status, std::move(response.body), response.seq, response.time);
        });
    };
    if (!hub_.sequencer().submit(request)) {
        subscriptions_.erase(channel->name);
        hub_.unsubscribe(channel->name, this);
        error(id, "overloaded", "the exchange is busy; subscribe again");
    }
}

void WsSession::unsubscribe(std::string_view name, std::string_view id) {
    const auto it = subscriptions_.find(std::string(name));
    if (it == subscriptions_.end()) return error(id, "not_subscribed", std::string(name));
    hub_.unsubscribe(it->first, this);
    std::string ack = reply_head("unsubscribed", id);
    ack += R"(,"channel":")" + it->first + "\"}";
    subscriptions_.erase(it);
    send(std::move(ack));
}

void WsSession::post(const ClientMessage& message) {
    // The REST route and its headers, carried in one message: the same
    // signed body as over HTTP, answered with the same reply.
    const HttpRequestView view{message.method,          message.target, message.authorization,
                               message.idempotency_key, message.body,   client_};
    hub_.router().handle(view, [self = shared_from_this(), id = message.id](HttpReply&& reply) {
        net::post(self->ws_.get_executor(), [self, id, reply = std::move(reply)]() {
            std::string out = reply_head("response", id);
            out += R"(,"status":)" + std::to_string(reply.status) + R"(,"body":)";
            if (reply.content_type == "application/json" && !reply.body.empty()) {
                out += reply.body;
            } else {
                JsonWriter w(out);
                w.string(reply.body);
            }
            out += '}';
            self->send(std::move(out));
        });
    });
}

void WsSession::on_snapshot(const std::string& channel, std::uint64_t generation, std::uint16_t status,
                            std::string body, std::uint64_t seq, core::TimeMs time) {
    const auto it = subscriptions_.find(channel);
    // Unsubscribed meanwhile, or subscribed again (that subscription's own snapshot follows).
    if (it == subscriptions_.end() || it->second.generation != generation || closing_) return;
    Subscription& sub = it->second;
    if (status != 200) {
        hub_.unsubscribe(channel, this);
        subscriptions_.erase(it);
        // The body is {"code":...,"message":...}: pass it on with the channel.
        std::string out = reply_head("error", {});
        out += R"(,"channel":")" + channel + R"(","status":)" + std::to_string(status) + R"(,"error":)" + body + "}";
        return send(std::move(out));
    }
    sub.snapshot_pending = false;
    sub.snapshot_seq = seq;
    const std::optional<Channel> parsed = parse_channel(channel);
    if (parsed && parsed->spec->kind == ChannelKind::Trades) {
        // The read proved the market exists and fixed the sequence number;
        // past trades are history's (GET routes), the channel starts empty.
        body.clear();
        JsonWriter w(body);
        w.begin_object();
        w.key("pair").plain_string(parsed->subject);
        w.key("trades").begin_array();
        w.end_array();
        w.end_object();
    }
    send_channel_message(channel, sub, *message_tail(seq, time, "snapshot", body));
    for (auto& [held_seq, tail] : sub.held)
        if (held_seq > seq) send_channel_message(channel, sub, *tail);
    sub.held.clear();
    sub.held.shrink_to_fit();
    sub.held_bytes = 0;
}

void WsSession::deliver(const std::string& channel, std::uint64_t seq, std::shared_ptr<const std::string> tail) {
    net::post(ws_.get_executor(), [self = shared_from_this(), channel, seq, tail = std::move(tail)]() mutable {
        self->on_message(channel, seq, std::move(tail));
    });
}

void WsSession::on_message(const std::string& channel, std::uint64_t seq, std::shared_ptr<const std::string> tail) {
    const auto it = subscriptions_.find(channel);
    if (it == subscriptions_.end() || closing_) return;
    Subscription& sub = it->second;
    if (sub.snapshot_pending) {
        sub.held_bytes += tail->size();
        if (sub.held_bytes > hub_.options().max_queued_bytes)
            return close_with("too many messages while the snapshot was read");
        sub.held.emplace_back(seq, std::move(tail));
        return;
    }
    if (seq <= sub.snapshot_seq) return;  // the snapshot shows it already
    send_channel_message(channel, sub, *tail);
}

void WsSession::send_channel_message(const std::string& channel, Subscription& sub, const std::string& tail) {
    std::string message;
    message.reserve(32 + channel.size() + tail.size());
    message += R"({"channel":")";
    message += channel;
    message += R"(","n":)";
    message += std::to_string(sub.next_n++);
    message += tail;
    send(std::move(message));
}

void WsSession::send(std::string message) {
    if (closing_) return;
    if (queued_bytes_ + message.size() > hub_.options().max_queued_bytes) {
        hub_.count_cut_off();
        return close_with("send queue full: the client reads too slowly (" + std::to_string(queue_.size()) +
                          " messages, " + std::to_string(queued_bytes_) + " bytes waiting)");
    }
    queued_bytes_ += message.size();
    queue_.push_back(std::move(message));
    if (!writing_) write_next();
}

void WsSession::write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()), beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
}

void WsSession::on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return leave();
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    hub_.count_sent(1);
    if (!queue_.empty() && !closing_) write_next();
}

void WsSession::cut(std::string reason, bool going_away) {
    net::post(ws_.get_executor(), [self = shared_from_this(), reason = std::move(reason), going_away]() mutable {
        self->close_with(std::move(reason), going_away);
    });
}

void WsSession::close_with(std::string reason, bool going_away) {
    if (closing_) return;
    closing_ = true;
    // What is queued is dropped; a write in flight finishes first (Beast
    // sends the close frame after it), and a client that never reads is
    // dropped when the close handshake times out.
    while (queue_.size() > (writing_ ? 1u : 0u)) {
        queued_bytes_ -= queue_.back().size();
        queue_.pop_back();
    }
    if (reason.size() > 120) reason.resize(120);  // a close frame's reason is at most 123 bytes
    spdlog::info("websocket {}: closing: {}", client_, reason);
    ws_.async_close(websocket::close_reason(
                        going_away ? websocket::close_code::going_away : websocket::close_code::policy_error, reason),
                    [self = shared_from_this()](beast::error_code) { self->leave(); });
}

void WsSession::error(std::string_view id, std::string_view code, std::string_view message) {
    std::string out = reply_head("error", id);
    out += R"(,"code":")";
    out += code;
    out += R"(","message":)";
    JsonWriter w(out);
    w.string(message);
    out += '}';
    send(std::move(out));
}

void WsSession::leave() {
    if (left_) return;
    left_ = true;
    for (const auto& [channel, sub] : subscriptions_) hub_.unsubscribe(channel, this);
    subscriptions_.clear();
    hub_.closed(this, client_);
}

}  // namespace ballast::api
