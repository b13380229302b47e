// The WebSocket feeds (GET /v1/ws) against an in-process exchange: the
// sequencer, the event bus, the router, the hub and the HTTP server, with a
// Beast WebSocket client. What a subscriber is promised: a snapshot at one
// sequence number, then every message after it, numbered without gaps, and
// nothing twice, even while writers run; a slow reader is cut off with its
// reason and nobody else notices.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "api/http_server.hpp"
#include "api/openapi.hpp"
#include "api/router.hpp"
#include "api/ws_channels.hpp"
#include "api/ws_hub.hpp"
#include "engine_harness.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"
#include "ws_client.hpp"

namespace ballast::api {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using core::Name;
using testing::amt;
using testing::TempDir;
using Json = boost::json::value;
using testing::WsClient;

boost::json::object op(std::string_view name, std::string_view channel = {}, std::int64_t id = 0) {
    boost::json::object o{{"op", name}};
    if (!channel.empty()) o["channel"] = channel;
    if (id != 0) o["id"] = id;
    return o;
}

std::string text(const Json& v, std::string_view pointer) {
    const Json& f = v.at_pointer(pointer);
    return f.is_string() ? std::string(f.as_string()) : boost::json::serialize(f);
}

// An exchange with one market (BTC at 100), a funded vault and funded
// traders "alice" and "bob", serving HTTP and WebSocket on a free port.
class Exchange {
public:
    explicit Exchange(WsOptions ws = {}) {
        sequencer::SequencerConfig config;
        config.data_dir = dir_.path();
        config.fsync = sequencer::FsyncPolicy::Off;
        config.bus = &bus_;
        sequencer_ = std::make_unique<sequencer::Sequencer>(config);
        sequencer_->recover();
        GatewayConfig gateway;
        gateway.admin_token = "admin-secret";
        gateway.oracle_token = "oracle-secret";
        gateway.bridge_token = "bridge-secret";
        gateway.verify_signatures = false;
        gateway.per_client = {1'000'000, 1'000'000};
        gateway.per_key = {1'000'000, 1'000'000};
        router_ = std::make_unique<Router>(gateway, *sequencer_, registry_);
        hub_ = std::make_unique<WsHub>(bus_, *sequencer_, *router_, ws, gateway.admin_token, registry_);
        server_ = std::make_unique<HttpServer>(*router_, "127.0.0.1", 0, HttpServerOptions{2, 1'000, hub_.get()});
        hub_->start();
        sequencer_->start();
        server_->start();
        must(core::SetPair{Name::from("BTC"), core::PairParams{testing::dec("1000"), testing::dec("0.05"),
                                                               testing::dec("100000"), testing::dec("0.1")}});
        oracle("100");
        must(core::DepositMargin{Name::from("lp"), amt("100000000")});
        must(core::DepositLiquidity{Name::from("lp"), amt("100000000"), std::nullopt});
        for (const char* trader : {"alice", "bob"}) must(core::DepositMargin{Name::from(trader), amt("10000000")});
    }
    ~Exchange() {
        server_->stop();
        sequencer_->stop();
        hub_->stop();
    }

    unsigned short port() const { return server_->port(); }

    sequencer::Response call(core::CommandBody command) {
        return sequencer_->call(sequencer::WriteRequest{std::move(command), std::nullopt, {}, false});
    }
    void must(core::CommandBody command) {
        const sequencer::Response r = call(std::move(command));
        ASSERT_EQ(r.status, 200) << r.body;
    }
    void oracle(std::string_view price) {
        must(core::OracleUpdate{{core::PriceUpdate{Name::from("BTC"), testing::dec(price)}}});
    }
    // A market order; returns the reply's body.
    std::string market(std::string_view trader, std::string_view size) {
        const sequencer::Response r =
            call(core::SubmitOrder{Name::from(trader), Name::from("BTC"), testing::dec(size), core::OrderKind::Market,
                                   testing::dec("0.05"), core::Dec::zero(), false});
        EXPECT_EQ(r.status, 200) << r.body;
        return r.body;
    }
    std::string read(sequencer::ReadKind kind, std::string_view subject = {}) {
        sequencer::ReadRequest r = sequencer::ReadRequest::of(kind);
        if (!subject.empty()) r.subject = Name::from(subject);
        return sequencer_->call(r).body;
    }

private:
    TempDir dir_{"ws-feed"};
    prometheus::Registry registry_;
    sequencer::EventBus bus_;
    std::unique_ptr<sequencer::Sequencer> sequencer_;
    std::unique_ptr<Router> router_;
    std::unique_ptr<WsHub> hub_;
    std::unique_ptr<HttpServer> server_;
};

// Subscribes and returns the snapshot (checking the acknowledgement first).
Json subscribe(WsClient& client, std::string_view channel) {
    client.send(op("subscribe", channel, 7));
    const auto ack = client.next_of(channel);
    EXPECT_TRUE(ack && text(*ack, "/type") == "subscribed") << (ack ? boost::json::serialize(*ack) : "nothing");
    const auto snapshot = client.next_of(channel);
    EXPECT_TRUE(snapshot && text(*snapshot, "/type") == "snapshot")
        << (snapshot ? boost::json::serialize(*snapshot) : "nothing");
    return snapshot.value_or(Json{});
}

TEST(WsFeed, ATradeReachesTheMarketAndTheTraderWithItsNumbersAndSequence) {
    Exchange exchange;
    WsClient client(exchange.port());
    ASSERT_TRUE(client.connected());
    const Json trades = subscribe(client, "market.BTC.trades");
    EXPECT_EQ(text(trades, "/n"), "0");
    EXPECT_EQ(text(trades, "/data/pair"), "BTC");
    EXPECT_TRUE(trades.at_pointer("/data/trades").as_array().empty());
    const Json account = subscribe(client, "trader.alice");
    EXPECT_EQ(text(account, "/data/margin"), "10000000");

    // Buying 10 at oracle 100 with skew scale 1000 and no skew: the premium
    // runs from 0 to 10/1000, the average 0.005, so the price is 100.5.
    const std::string reply = exchange.market("alice", "10");
    const Json placed = boost::json::parse(reply);
    const std::string seq = text(placed, "/seq");

    const auto trade = client.next_of("market.BTC.trades");
    ASSERT_TRUE(trade);
    EXPECT_EQ(text(*trade, "/n"), "1");
    EXPECT_EQ(text(*trade, "/seq"), seq);
    EXPECT_EQ(text(*trade, "/type"), "trade");
    EXPECT_EQ(text(*trade, "/data/price"), "100.5");
    EXPECT_EQ(text(*trade, "/data/size"), "10");
    EXPECT_EQ(text(*trade, "/data/side"), "buy");
    EXPECT_EQ(text(*trade, "/data/trader"), "alice");
    EXPECT_EQ(text(*trade, "/data/kind"), "order");
    EXPECT_EQ(text(*trade, "/data/order_id"), text(placed, "/result/order_id"));

    const auto fill = client.next_of("trader.alice");
    ASSERT_TRUE(fill);
    EXPECT_EQ(text(*fill, "/n"), "1");
    EXPECT_EQ(text(*fill, "/seq"), seq);
    EXPECT_EQ(text(*fill, "/type"), "event");
    EXPECT_EQ(text(*fill, "/data/type"), "fill");
    EXPECT_EQ(text(*fill, "/data/price"), "100.5");
    EXPECT_EQ(text(*fill, "/data/size"), "10");

    // Then her account as the fill left it: 10 contracts that cost
    // 10 × 100.5 = 1005, worth 10 × 100 = 1000 at the oracle, so -5 unrealized
    // and equity 10,000,000 - 5. This market was set up with neither fees
    // nor a maintenance ratio: no maintenance margin, no liquidation price.
    const auto account_update = client.next_of("trader.alice");
    ASSERT_TRUE(account_update);
    EXPECT_EQ(text(*account_update, "/n"), "2");
    EXPECT_EQ(text(*account_update, "/seq"), seq);
    EXPECT_EQ(text(*account_update, "/type"), "account");
    EXPECT_EQ(text(*account_update, "/data/margin"), "10000000");
    EXPECT_EQ(text(*account_update, "/data/equity"), "9999995");
    EXPECT_EQ(text(*account_update, "/data/maintenance_margin"), "0");
    EXPECT_EQ(text(*account_update, "/data/positions/BTC/size"), "10");
    EXPECT_EQ(text(*account_update, "/data/positions/BTC/cost_basis"), "1005");
    EXPECT_EQ(text(*account_update, "/data/positions/BTC/entry_price"), "100.5");
    EXPECT_EQ(text(*account_update, "/data/positions/BTC/unrealized_pnl"), "-5");
    EXPECT_EQ(text(*account_update, "/data/positions/BTC/liquidation_price"), "null");
}

TEST(WsFeed, TheTickerShowsTheMarketAfterAnOracleUpdateWithTheQuoteLadder) {
    Exchange exchange;
    WsClient client(exchange.port());
    const Json snapshot = subscribe(client, "market.BTC.ticker");
    EXPECT_EQ(text(snapshot, "/data/oracle_price"), "100");
    exchange.oracle("120");
    const auto ticker = client.next_of("market.BTC.ticker");
    ASSERT_TRUE(ticker);
    EXPECT_EQ(text(*ticker, "/type"), "ticker");
    EXPECT_EQ(text(*ticker, "/n"), "1");
    EXPECT_EQ(text(*ticker, "/data/oracle_price"), "120");
    EXPECT_EQ(text(*ticker, "/data/skew"), "0");
    // With no skew, a buy of 1 pays the average premium 0.5/1000 on 120:
    // 120 × 1.0005 = 120.06; a sell of 1, 120 × 0.9995 = 119.94.
    const auto& quotes = ticker->at_pointer("/data/quotes").as_array();
    ASSERT_EQ(quotes.size(), 6u);
    EXPECT_EQ(text(quotes[0], "/size"), "1");
    EXPECT_EQ(text(quotes[0], "/exec_price"), "120.06");
    EXPECT_EQ(text(quotes[1], "/size"), "-1");
    EXPECT_EQ(text(quotes[1], "/exec_price"), "119.94");
}

// Reads every message of one channel on its own thread, as a real client
// does, until nothing comes for a second.
class Subscriber {
public:
    Subscriber(unsigned short port, std::string channel) : client_(port), channel_(std::move(channel)) {
        snapshot_seq_ = std::stoull(text(subscribe(client_, channel_), "/seq"));
        thread_ = std::thread([this] {
            std::uint64_t n = 0;
            while (auto m = client_.next(std::chrono::milliseconds(1'000))) {
                if (text(*m, "/n") != std::to_string(++n)) gaps_ = true;
                seqs_.push_back(std::stoull(text(*m, "/seq")));
            }
        });
    }
    ~Subscriber() {
        if (thread_.joinable()) thread_.join();
    }
    // Waits until the stream goes quiet.
    const std::vector<std::uint64_t>& seqs() {
        if (thread_.joinable()) thread_.join();
        return seqs_;
    }
    bool gaps() const { return gaps_; }
    std::uint64_t snapshot_seq() const { return snapshot_seq_; }

private:
    WsClient client_;
    std::string channel_;
    std::uint64_t snapshot_seq_ = 0;
    std::vector<std::uint64_t> seqs_;
    bool gaps_ = false;
    std::thread thread_;
};

TEST(WsFeed, ASubscriberThatJoinsMidStreamGetsEverythingAfterItsSnapshotOnceAndInOrder) {
    Exchange exchange;
    Subscriber early(exchange.port(), "market.BTC.trades");

    // Four writers trade while subscribers join at different moments.
    std::atomic<bool> stop{false};
    std::atomic<int> filled{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
            const std::string who = w % 2 == 0 ? "alice" : "bob";
            for (int k = 0; !stop.load(); ++k) {
                const std::string body = exchange.market(who, k % 2 == 0 ? "0.5" : "-0.5");
                if (body.find(R"("filled":"0")") == std::string::npos) ++filled;
                // Up to 4,000 orders a second in all: what is tested is the
                // order of messages, not how fast a loaded 2-core machine
                // can push them (a reader that falls 4 MiB behind is cut).
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        });
    }
    std::vector<std::unique_ptr<Subscriber>> late;
    for (int k = 0; k < 6; ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        late.push_back(
            std::make_unique<Subscriber>(exchange.port(), k % 2 == 0 ? "market.BTC.trades" : "trader.alice"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop.store(true);
    for (auto& t : writers) t.join();
    ASSERT_GT(filled.load(), 100) << "the writers must trade for this to test anything";

    // The early subscriber saw every fill, numbered 1, 2, ... in sequence order.
    const std::vector<std::uint64_t>& all = early.seqs();
    EXPECT_FALSE(early.gaps());
    ASSERT_EQ(all.size(), static_cast<std::size_t>(filled.load()));
    EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
    EXPECT_EQ(std::set<std::uint64_t>(all.begin(), all.end()).size(), all.size()) << "one fill per market order";
    // Each late one saw exactly those after its snapshot: every trade, or
    // every command of alice's (one fill each; her orders all fill).
    for (std::size_t k = 0; k < late.size(); ++k) {
        Subscriber& l = *late[k];
        std::vector<std::uint64_t> expected;
        for (const std::uint64_t s : all)
            if (s > l.snapshot_seq()) expected.push_back(s);
        std::vector<std::uint64_t> seen = l.seqs();
        EXPECT_FALSE(l.gaps());
        if (k % 2 == 1) {
            // alice's fills are a subset of the trades: those not bob's.
            for (const std::uint64_t s : seen)
                EXPECT_TRUE(std::binary_search(expected.begin(), expected.end(), s)) << s;
            EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
            EXPECT_GT(seen.size(), 0u);
        } else {
            EXPECT_EQ(seen, expected) << "joined at seq " << l.snapshot_seq();
        }
    }
}

TEST(WsFeed, AClientThatStopsReadingIsCutOffWithItsReasonAndOthersAreNot) {
    WsOptions options;
    options.max_queued_bytes = 256 << 10;
    options.socket_send_buffer_bytes = 64 << 10;
    Exchange exchange(options);
    WsClient slow(exchange.port(), {}, /*receive_buffer=*/4'096);
    WsClient reader(exchange.port());
    // About 1.5 MB for the slow one: more than the socket buffers and the queue hold.
    for (const char* channel : {"market.BTC.trades", "trader.alice", "trader.bob"}) subscribe(slow, channel);
    subscribe(reader, "market.BTC.trades");

    // The reader keeps reading on its own thread while trades pour out.
    std::promise<std::vector<std::string>> numbers;
    std::thread reading([&] {
        std::vector<std::string> n;
        while (auto m = reader.next(std::chrono::milliseconds(1'000))) n.push_back(text(*m, "/n"));
        numbers.set_value(std::move(n));
    });
    int trades = 0;
    for (int k = 0; k < 3'000; ++k) {
        exchange.market(k % 2 == 0 ? "alice" : "bob", k % 4 < 2 ? "0.25" : "-0.25");
        ++trades;
        // At most 20,000 a second, which the reader keeps up with.
        if (k % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reading.join();
    const std::vector<std::string> seen = numbers.get_future().get();
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(trades)) << "the reader missed messages";
    EXPECT_EQ(seen.back(), std::to_string(trades));

    // The slow client finds, after what the buffers held, the close and why.
    int before_close = 0;
    while (slow.next(std::chrono::milliseconds(2'000))) ++before_close;
    EXPECT_LT(before_close, 2 * trades) << "every message got through: the cut-off was not tested";
    EXPECT_EQ(slow.last_error(), websocket::error::closed);
    EXPECT_EQ(slow.close_reason().code, websocket::close_code::policy_error);
    const std::string reason(slow.close_reason().reason.data(), slow.close_reason().reason.size());
    EXPECT_NE(reason.find("send queue full"), std::string::npos) << reason;
}

TEST(WsFeed, AdminChannelsNeedTheAdminTokenAndShowParameterAndStatusChanges) {
    Exchange exchange;
    WsClient anyone(exchange.port());
    anyone.send(op("subscribe", "admin.all", 1));
    const auto refused = anyone.next();
    ASSERT_TRUE(refused);
    EXPECT_EQ(text(*refused, "/type"), "error");
    EXPECT_EQ(text(*refused, "/code"), "forbidden");
    EXPECT_EQ(text(*refused, "/id"), "1");

    WsClient admin(exchange.port(), "Bearer admin-secret");
    subscribe(admin, "admin.all");
    subscribe(admin, "admin.BTC");
    exchange.must(core::SetPairStatus{Name::from("BTC"), core::PairStatus::ReduceOnly});
    for (const char* channel : {"admin.all", "admin.BTC"}) {
        const auto change = admin.next_of(channel);
        ASSERT_TRUE(change) << channel;
        EXPECT_EQ(text(*change, "/type"), "status");
        EXPECT_EQ(text(*change, "/n"), "1");
        EXPECT_EQ(text(*change, "/data/command/cmd"), "set_pair_status");
        EXPECT_EQ(text(*change, "/data/command/status"), "reduce_only");
    }
}

TEST(WsFeed, MalformedMessagesAreAnsweredAndTheConnectionStays) {
    Exchange exchange;
    WsClient client(exchange.port());
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"not json", "invalid_input"},
        {"[1,2]", "invalid_input"},
        {R"({"op":"dance"})", "invalid_input"},
        {R"({"op":"subscribe"})", "invalid_input"},
        {R"({"op":"subscribe","channel":"market.BTC"})", "unknown_channel"},
        {R"({"op":"subscribe","channel":"trader.has space"})", "unknown_channel"},
        {R"({"op":"unsubscribe","channel":"market.BTC.trades"})", "not_subscribed"},
        {R"({"op":"ping","id":{"x":1}})", "invalid_input"},
        {R"({"op":"post","route":"nowhere"})", "invalid_input"},
    };
    for (const auto& [message, code] : cases) {
        client.send(message);
        const auto reply = client.next();
        ASSERT_TRUE(reply) << message;
        EXPECT_EQ(text(*reply, "/type"), "error") << message;
        EXPECT_EQ(text(*reply, "/code"), code) << message;
    }
    // An unknown market is refused when its snapshot is read.
    client.send(op("subscribe", "market.ETH.ticker", 3));
    EXPECT_EQ(text(*client.next(), "/type"), "subscribed");
    const auto unknown = client.next();
    ASSERT_TRUE(unknown);
    EXPECT_EQ(text(*unknown, "/type"), "error");
    EXPECT_EQ(text(*unknown, "/error/code"), "unknown_pair");
    client.send(op("ping", {}, 9));
    const auto pong = client.next();
    ASSERT_TRUE(pong);
    EXPECT_EQ(text(*pong, "/type"), "pong");
    EXPECT_EQ(text(*pong, "/id"), "9");
}

TEST(WsFeed, LimitsOnSubscriptionsAndMessageSize) {
    WsOptions options;
    options.max_subscriptions = 2;
    options.max_message_bytes = 1'024;
    Exchange exchange(options);
    WsClient client(exchange.port());
    subscribe(client, "market.BTC.trades");
    subscribe(client, "market.BTC.ticker");
    client.send(op("subscribe", "trader.alice", 1));
    const auto refused = client.next();
    ASSERT_TRUE(refused);
    EXPECT_EQ(text(*refused, "/code"), "too_many_subscriptions");
    client.send(op("subscribe", "market.BTC.trades", 2));
    EXPECT_EQ(text(*client.next(), "/code"), "already_subscribed");

    // Beast closes with 1009 (too big) itself.
    client.send(std::string(2'000, ' '));
    EXPECT_FALSE(client.next());
    EXPECT_EQ(client.close_reason().code, websocket::close_code::too_big);
}

TEST(WsFeed, SubscribingAgainAtOnceGivesOneSnapshotAndNoGap) {
    Exchange exchange;
    WsClient client(exchange.port());
    // Sent together: the first subscription's snapshot may come back after
    // the second subscription was made; it must not be taken for its.
    client.send(op("subscribe", "market.BTC.trades", 1));
    client.send(op("unsubscribe", "market.BTC.trades", 2));
    client.send(op("subscribe", "market.BTC.trades", 3));
    // The first snapshot may come before the unsubscription or not at all.
    std::vector<std::string> seen;
    while (seen.size() < 4 || seen.back() != "snapshot") {
        const auto m = client.next();
        ASSERT_TRUE(m);
        seen.push_back(text(*m, "/type"));
        if (seen.back() == "snapshot") {
            EXPECT_EQ(text(*m, "/n"), "0");
        }
    }
    const std::vector<std::string> without_first = {"subscribed", "unsubscribed", "subscribed", "snapshot"};
    const std::vector<std::string> with_first = {"subscribed", "snapshot", "unsubscribed", "subscribed", "snapshot"};
    EXPECT_TRUE(seen == without_first || seen == with_first) << seen.size();
    // Then the trade, numbered 1: no second snapshot for the second subscription.
    const std::string seq = text(boost::json::parse(exchange.market("alice", "1")), "/seq");
    const auto trade = client.next();
    ASSERT_TRUE(trade);
    EXPECT_EQ(text(*trade, "/type"), "trade");
    EXPECT_EQ(text(*trade, "/n"), "1");
    EXPECT_EQ(text(*trade, "/seq"), seq);
}

TEST(WsFeed, ConnectionsPerAddressAndOperationsAreLimited) {
    WsOptions options;
    options.max_connections_per_ip = 2;
    options.ops_per_ip = {1, 3};  // three at once, then one a second
    Exchange exchange(options);
    auto first = std::make_unique<WsClient>(exchange.port());
    WsClient second(exchange.port());
    ASSERT_TRUE(first->connected() && second.connected());
    WsClient third(exchange.port());
    EXPECT_FALSE(third.connected()) << "a third connection from one address is refused (429)";

    for (int k = 1; k <= 3; ++k) {
        second.send(op("ping", {}, k));
        EXPECT_EQ(text(*second.next(), "/type"), "pong");
    }
    second.send(op("ping", {}, 4));
    const auto limited = second.next();
    ASSERT_TRUE(limited);
    EXPECT_EQ(text(*limited, "/code"), "rate_limited");
    EXPECT_EQ(text(*limited, "/id"), "4");

    // A closed connection frees its place.
    first.reset();
    EXPECT_TRUE(ballast::testing::eventually([&] { return WsClient(exchange.port()).connected(); }));
}

TEST(WsFeed, APostCarriesARestWriteAndIsAnsweredWithItsId) {
    Exchange exchange;
    WsClient client(exchange.port());
    subscribe(client, "trader.0x00000000000000000000000000000000000000aa");
    const std::string trader = "0x00000000000000000000000000000000000000aa";
    client.send(boost::json::object{{"op", "post"},
                                    {"id", "dep-1"},
                                    {"route", "POST /v1/admin/deposits"},
                                    {"headers", {{"Authorization", "Bearer bridge-secret"}}},
                                    {"body", {{"tx_id", "t1"}, {"trader", trader}, {"amount", "5000"}}}});
    const auto response = client.next_of("none");
    ASSERT_TRUE(response);
    EXPECT_EQ(text(*response, "/type"), "response");
    EXPECT_EQ(text(*response, "/id"), "dep-1");
    EXPECT_EQ(text(*response, "/status"), "200");
    // The deposit reaches the trader's channel: the account appears, then its margin.
    const auto created = client.next_of("trader." + trader);
    ASSERT_TRUE(created);
    EXPECT_EQ(text(*created, "/data/type"), "account_created");
    const auto margin = client.next_of("trader." + trader);
    ASSERT_TRUE(margin);
    EXPECT_EQ(text(*margin, "/type"), "margin");
    EXPECT_EQ(text(*margin, "/data/change"), "deposit");
    EXPECT_EQ(text(*margin, "/data/amount"), "5000");
}

// The level a book message shows at `price` on a side: "size/orders", or "" if absent.
std::string level_at(const Json& message, std::string_view side, std::string_view price) {
    for (const Json& level : message.at_pointer(std::string("/data/") + std::string(side)).as_array())
        if (text(level, "/price") == price) return text(level, "/size") + "/" + text(level, "/orders");
    return "";
}

TEST(WsFeed, TheBookShowsPriceLevelsAndEachChangeWithTheLevelsNewTotal) {
    Exchange exchange;
    WsClient client(exchange.port());
    const Json empty = subscribe(client, "market.BTC.book");
    EXPECT_TRUE(empty.at_pointer("/data/bids").as_array().empty());
    EXPECT_TRUE(empty.at_pointer("/data/asks").as_array().empty());

    // Bids below the oracle (100) and an ask above it all rest.
    auto limit = [&](std::string_view who, std::string_view size, std::string_view price) {
        const sequencer::Response r =
            exchange.call(core::SubmitOrder{Name::from(who), Name::from("BTC"), testing::dec(size),
                                            core::OrderKind::Limit, core::Dec::zero(), testing::dec(price), false});
        EXPECT_EQ(r.status, 200) << r.body;
        return text(boost::json::parse(r.body), "/result/order_id");
    };
    auto next_book = [&] {
        const auto m = client.next_of("market.BTC.book");
        EXPECT_TRUE(m && text(*m, "/type") == "book") << (m ? boost::json::serialize(*m) : "nothing");
        return m.value_or(Json{});
    };
    const std::string alice_bid = limit("alice", "2", "95");
    EXPECT_EQ(level_at(next_book(), "bids", "95"), "2/1");
    limit("bob", "3", "95");
    EXPECT_EQ(level_at(next_book(), "bids", "95"), "5/2");
    limit("bob", "1.5", "94");
    Json m = next_book();
    EXPECT_EQ(level_at(m, "bids", "94"), "1.5/1");
    EXPECT_EQ(level_at(m, "bids", "95"), "") << "only the levels that changed";
    limit("alice", "-1", "110");
    EXPECT_EQ(level_at(next_book(), "asks", "110"), "1/1");

    exchange.must(core::CancelOrder{Name::from("alice"), Name::from("BTC"), std::stoull(alice_bid)});
    EXPECT_EQ(level_at(next_book(), "bids", "95"), "3/1");

    // At oracle 94.5 and no skew, buying 3 costs 94.5 × (1 + 1.5/1000) =
    // 94.64175, within bob's 95 but not his 94 (buying 1.5 there would cost
    // 94.5 × 1.00075 = 94.5708...; after the first fill the skew is 3 and the
    // price higher still). The ask at 110 stays: selling 1 pays about 94.6.
    exchange.oracle("94.5");
    m = next_book();
    EXPECT_EQ(level_at(m, "bids", "95"), "0/0") << "the level is gone";
    EXPECT_EQ(level_at(m, "bids", "94"), "");

    // A newcomer's snapshot is what the REST read shows, and what the first
    // subscriber built from its messages.
    WsClient late(exchange.port());
    const Json snapshot = subscribe(late, "market.BTC.book");
    EXPECT_EQ(snapshot.at("data"), boost::json::parse(exchange.read(sequencer::ReadKind::Book, "BTC")));
    EXPECT_EQ(level_at(snapshot, "bids", "94"), "1.5/1");
    EXPECT_EQ(level_at(snapshot, "asks", "110"), "1/1");
    EXPECT_EQ(snapshot.at_pointer("/data/bids").as_array().size(), 1u);

    // The book of a market that does not exist is an error, not a closed connection.
    late.send(op("subscribe", "market.NOPE.book", 9));
    const auto ack = late.next_of("market.NOPE.book");
    ASSERT_TRUE(ack);
    EXPECT_EQ(text(*ack, "/type"), "subscribed");
    const auto refused = late.next_of("market.NOPE.book");
    ASSERT_TRUE(refused);
    EXPECT_EQ(text(*refused, "/type"), "error");
    EXPECT_EQ(text(*refused, "/status"), "404");
    late.send(op("ping", {}, 10));
    const auto pong = late.next();
    ASSERT_TRUE(pong) << "the connection stays open";
    EXPECT_EQ(text(*pong, "/type"), "pong");
}

// A book as a client keeps it: (side, price) -> "size/orders". A message
// replaces the levels it lists; orders 0 removes one.
using Book = std::map<std::pair<std::string, std::string>, std::string>;

void apply_book(Book& book, const Json& message) {
    for (const char* side : {"bids", "asks"})
        for (const Json& level : message.at_pointer(std::string("/data/") + side).as_array()) {
            const auto key = std::make_pair(std::string(side), text(level, "/price"));
            if (text(level, "/orders") == "0")
                book.erase(key);
            else
                book[key] = text(level, "/size") + "/" + text(level, "/orders");
        }
}

// What a client rebuilds from one connection subscribed to a market's book
// and trades and to two traders' channels, reading on its own thread until
// nothing comes for a second.
class FeedReader {
public:
    static constexpr std::array<const char*, 4> kChannels{"market.BTC.book", "market.BTC.trades", "trader.alice",
                                                          "trader.bob"};

    explicit FeedReader(unsigned short port) : client_(port) {
        for (const char* channel : kChannels) client_.send(op("subscribe", channel, 1));
        thread_ = std::thread([this] {
            while (auto m = client_.next(std::chrono::milliseconds(1'000))) take(*m);
        });
    }
    ~FeedReader() { join(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }

    Book book;
    std::map<std::string, std::string> accounts;  // trader -> margin and each position's state fields
    std::vector<std::string> trades;              // "seq trader size price", after trades_from
    std::uint64_t trades_from = 0;
    bool gaps = false;
    std::size_t messages = 0;

    // The fields of an account a later read must show the same: margin, and
    // per position its size, cost basis and funding entry (PnL moves with time).
    static std::string account_state(const Json& data) {
        std::string out = "margin " + text(data, "/margin");
        for (const auto& [pair, p] : data.at("positions").as_object())
            out += " | " + std::string(pair) + " " + text(p, "/size") + " " + text(p, "/cost_basis") + " " +
                   text(p, "/entry_funding_per_unit");
        return out;
    }

private:
    void take(const Json& m) {
        const auto& o = m.as_object();
        if (!o.contains("n")) {  // acknowledgements; an error is a failure
            if (text(m, "/type") == "error") gaps = true;
            return;
        }
        ++messages;
        const std::string channel = text(m, "/channel");
        if (std::stoull(text(m, "/n")) != next_n_[channel]++) gaps = true;
        const std::string type = text(m, "/type");
        if (channel == "market.BTC.book") {
            apply_book(book, m);
        } else if (channel == "market.BTC.trades") {
            if (type == "snapshot")
                trades_from = std::stoull(text(m, "/seq"));
            else
                trades.push_back(text(m, "/seq") + " " + text(m, "/data/trader") + " " + text(m, "/data/size") + " " +
                                 text(m, "/data/price"));
        } else if (type == "snapshot" || type == "account") {
            accounts[channel.substr(7)] = account_state(m.at("data"));
        }
    }

    WsClient client_;
    std::map<std::string, std::uint64_t> next_n_;
    std::thread thread_;
};

// The issue's gap-free load test, scaled for CI by default: 4 writers
// (limit orders placed and canceled, market orders, an oracle walking across
// the resting prices so that they fill) while subscribers join at different
// moments. At the end, what each rebuilt from its messages equals the reads:
// the book, both traders' margin and positions; and each saw exactly the
// trades after its snapshot that the first one saw. BALLAST_WS_LOAD_READERS
// and BALLAST_WS_LOAD_MS scale it (the issue's run: 50 readers, 20,000 ms).
TEST(WsFeed, FeedsRebuiltFromTheirMessagesUnderLoadEqualTheReads) {
    const auto env = [](const char* name, int fallback) {
        const char* v = std::getenv(name);
        return v ? std::max(1, std::atoi(v)) : fallback;
    };
    const int reader_count = env("BALLAST_WS_LOAD_READERS", 6);
    const int run_ms = env("BALLAST_WS_LOAD_MS", 800);
    WsOptions options;
    options.max_connections_per_ip = static_cast<std::size_t>(reader_count) + 8;
    options.ops_per_ip = {1'000'000, 1'000'000};
    Exchange exchange(options);
    // One reader from the start (every level and position it knows came in
    // a message), the others joining while the writers run.
    std::vector<std::unique_ptr<FeedReader>> readers;
    readers.push_back(std::make_unique<FeedReader>(exchange.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::atomic<bool> stop{false};
    std::atomic<int> commands{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
            const std::string who = w % 2 == 0 ? "alice" : "bob";
            std::vector<std::string> mine;
            for (int k = 0; !stop.load(); ++k, ++commands) {
                if (w == 3) {  // the oracle walks between 95 and 105, filling what it crosses
                    exchange.oracle(std::to_string(95 + (k * 7) % 11));
                } else if (w == 2 && k % 4 == 0) {
                    exchange.market(who, k % 8 == 0 ? "0.5" : "-0.5");
                } else if (k % 3 == 2 && !mine.empty()) {
                    // Cancels one from the middle, so that old levels empty too.
                    const std::size_t at = static_cast<std::size_t>(k) % mine.size();
                    exchange.call(core::CancelOrder{Name::from(who), Name::from("BTC"), std::stoull(mine[at])});
                    mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(at));
                } else {
                    const bool buy = (k + w) % 2 == 0;
                    const std::string price = std::to_string(buy ? 90 + k % 12 : 100 + k % 12);
                    const std::string size = std::string(buy ? "" : "-") + (k % 4 == 0 ? "2.5" : "1");
                    const sequencer::Response r = exchange.call(
                        core::SubmitOrder{Name::from(who), Name::from("BTC"), testing::dec(size),
                                          core::OrderKind::Limit, core::Dec::zero(), testing::dec(price), false});
                    if (r.status == 200) mine.push_back(text(boost::json::parse(r.body), "/result/order_id"));
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        });
    }
    for (int k = 1; k < reader_count; ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(run_ms / reader_count));
        readers.push_back(std::make_unique<FeedReader>(exchange.port()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms / reader_count));
    stop.store(true);
    for (auto& t : writers) t.join();

    Book book;
    apply_book(book, Json{{"data", boost::json::parse(exchange.read(sequencer::ReadKind::Book, "BTC"))}});
    std::map<std::string, std::string> accounts;
    for (const char* trader : {"alice", "bob"})
        accounts[trader] =
            FeedReader::account_state(boost::json::parse(exchange.read(sequencer::ReadKind::Account, trader)));
    ASSERT_GT(book.size(), 3u) << "the writers must leave a book for this to test anything";
    std::size_t messages = 0;
    for (auto& reader : readers) reader->join();
    const FeedReader& first = *readers.front();
    ASSERT_GT(first.trades.size(), 20u) << "the writers must trade for this to test anything";
    for (const auto& reader : readers) {
        messages += reader->messages;
        EXPECT_FALSE(reader->gaps);
        EXPECT_EQ(reader->book, book);
        EXPECT_EQ(reader->accounts, accounts);
        std::vector<std::string> expected;
        for (const std::string& trade : first.trades)
            if (std::stoull(trade) > reader->trades_from) expected.push_back(trade);
        EXPECT_EQ(reader->trades, expected) << "joined at seq " << reader->trades_from;
    }
    std::printf("%d readers, %d ms: %d commands, %zu messages delivered\n", reader_count, run_ms, commands.load(),
                messages);
}

TEST(WsFeed, TheAsyncApiDocumentListsExactlyTheChannelsServed) {
    const boost::json::object channels = boost::json::parse(asyncapi_document()).at("channels").as_object();
    std::set<std::string> documented;
    for (const auto& [name, channel] : channels) documented.insert(std::string(name));
    std::set<std::string> served;
    for (const ChannelSpec& spec : kChannels) {
        const std::string name =
            spec.subject.empty() ? channel_name(spec, {}) : channel_name(spec, "{" + std::string(spec.subject) + "}");
        served.insert(name);
        // The documented name, with a subject filled in, is one the server takes.
        std::string example = name;
        if (const auto at = example.find('{'); at != std::string::npos)
            example.replace(at, example.find('}') - at + 1, "X");
        const auto parsed = parse_channel(example);
        ASSERT_TRUE(parsed) << example;
        EXPECT_EQ(parsed->spec, &spec) << example;
    }
    EXPECT_EQ(documented, served);
}

}  // namespace
}  // namespace ballast::api

namespace ballast::api {
namespace {

// After kill -9 and a restart, a client that connects again gets a snapshot
// of the recovered state: what the REST read returns, at the sequence
// number the server recovered to.
TEST(WsFeed, AfterKill9AReconnectingClientGetsTheRecoveredState) {
    TempDir dir("ws-restart");
    const unsigned short port = ballast::testing::free_port();
    const std::string config = (dir.path() / "ballast.toml").string();
    {
        std::ofstream out(config);
        out << "listen = \"127.0.0.1:" << port << "\"\n"
            << "data_dir = \"" << (dir.path() / "data").string() << "\"\n"
            << "[eip712]\nverify_signatures = false\n"
            << "[tokens]\nadmin = \"a\"\noracle = \"o\"\nbridge = \"b\"\n"
            << "[[markets]]\npair = \"BTC\"\nskew_scale = \"1000\"\nmax_abs_premium = \"0.05\"\n"
            << "max_abs_oi = \"1000\"\ninitial_margin_ratio = \"0.1\"\n";
    }
    const std::string log = (dir.path() / "server.log").string();
    const std::string trader = "0x00000000000000000000000000000000000000bb";
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto serving = [&](ballast::testing::Client& http) {
        return ballast::testing::eventually([&] {
            const auto r = http.get("/v1/health");
            return r && r->result_int() == 200;
        });
    };
    {
        ballast::testing::Process server({"serve", "--config", config}, log);
        ballast::testing::Client http(port);
        ASSERT_TRUE(serving(http)) << log;
        ASSERT_EQ(http.post("/v1/oracle/prices", R"({"prices":{"BTC":"100"}})", "Bearer o")->result_int(), 200);
        ASSERT_EQ(http.post("/v1/admin/deposits", R"({"tx_id":"t1","trader":")" + trader + R"(","amount":"5000"})",
                            "Bearer b")
                      ->result_int(),
                  200);
        const std::string lp = "0x00000000000000000000000000000000000001a9";
        ASSERT_EQ(
            http.post("/v1/admin/deposits", R"({"tx_id":"lp","trader":")" + lp + R"(","amount":"100000"})", "Bearer b")
                ->result_int(),
            200);
        const auto vault =
            http.post("/v1/vault/deposit", R"({"trader":")" + lp + R"(","amount":"100000","nonce":1,"expiry":)" +
                                               std::to_string(now_ms + 600'000) + R"(,"signature":"0x"})");
        ASSERT_TRUE(vault && vault->result_int() == 200) << (vault ? vault->body() : "no reply");
        // A resting bid: it holds margin, and must still be there after the crash.
        const auto placed = http.post("/v1/orders", R"({"trader":")" + trader +
                                                        R"(","pair":"BTC","size":"2","kind":"limit","price":"90",)"
                                                        R"("nonce":1,"expiry":)" +
                                                        std::to_string(now_ms + 600'000) + R"(,"signature":"0x"})");
        ASSERT_TRUE(placed && placed->result_int() == 200) << (placed ? placed->body() : "no reply");
        WsClient before(port);
        subscribe(before, "trader." + trader);
        server.kill(SIGKILL);
    }
    ballast::testing::Process server({"serve", "--config", config}, log);
    ballast::testing::Client http(port);
    ASSERT_TRUE(serving(http)) << log;
    WsClient client(port);
    ASSERT_TRUE(client.connected());
    const Json snapshot = subscribe(client, "trader." + trader);
    const auto account = http.get("/v1/account?trader=" + trader);
    const auto status = http.get("/v1/admin/status", "Bearer a");
    ASSERT_TRUE(account && status);
    EXPECT_EQ(snapshot.at("data"), boost::json::parse(account->body()));
    EXPECT_EQ(text(snapshot, "/seq"), text(boost::json::parse(status->body()), "/seq"));
    EXPECT_EQ(snapshot.at_pointer("/data/open_orders").as_array().size(), 1u);
    EXPECT_EQ(text(snapshot, "/data/margin"), "5000");
    const Json book = subscribe(client, "market.BTC.book");
    const auto read_book = http.get("/v1/markets/BTC/book");
    ASSERT_TRUE(read_book && read_book->result_int() == 200);
    EXPECT_EQ(book.at("data"), boost::json::parse(read_book->body()));
    EXPECT_EQ(level_at(book, "bids", "90"), "2/1");
}

}  // namespace
}  // namespace ballast::api
