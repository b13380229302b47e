// Rules of "The exchange service" (docs/SPEC-NOTES.md) at the gateway, each
// through the Router and, where the rule lives in the HTTP layer (body limit,
// Retry-After), over real HTTP: the body limit, per-trader and per-role rate
// limits, idempotency on cancels across a restart, high-s signatures, and a
// final snapshot on SIGTERM.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <future>

#include "api/http_server.hpp"
#include "api/router.hpp"
#include "engine_harness.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

namespace ballast::api {
namespace {

namespace fs = std::filesystem;
using core::Name;
using testing::amt;
using testing::TempDir;

PrivateKey key_of(std::uint8_t fill) {
    PrivateKey k;
    k.fill(fill);
    return k;
}
const PrivateKey kAlice = key_of(0x11);
const PrivateKey kBob = key_of(0x22);

std::string hex_of(const PrivateKey& key) { return address_to_hex(address_of_private_key(key)); }

std::string field(const std::string& json, std::string_view pointer) {
    const boost::json::value v = boost::json::parse(json);
    const boost::json::value& f = v.at_pointer(pointer);
    return f.is_string() ? std::string(f.as_string()) : boost::json::serialize(f);
}

// An exchange with a market, a funded vault and two funded traders, behind a
// Router; restart() replaces the sequencer and the router over the same data.
class Gateway {
public:
    explicit Gateway(GatewayConfig config = defaults()) : config_(std::move(config)) {
        start();
        post_ok("/v1/admin/markets",
                R"({"cmd":"set_pair","pair":"BTC","skew_scale":"1000","max_abs_premium":"0.05",)"
                R"("max_abs_oi":"500","initial_margin_ratio":"0.1"})",
                "Bearer admin-secret");
        post_ok("/v1/oracle/prices", R"({"prices":{"BTC":"100"}})", "Bearer oracle-secret");
        sequencer_->call(
            sequencer::WriteRequest{core::DepositMargin{Name::from("lp"), amt("1000000")}, std::nullopt, {}, false});
        sequencer_->call(sequencer::WriteRequest{
            core::DepositLiquidity{Name::from("lp"), amt("1000000"), std::nullopt}, std::nullopt, {}, false});
        for (const PrivateKey* key : {&kAlice, &kBob})
            post_ok("/v1/admin/deposits",
                    R"({"tx_id":"seed-)" + hex_of(*key) + R"(","trader":")" + hex_of(*key) + R"(","amount":"10000"})",
                    "Bearer bridge-secret");
    }
    ~Gateway() { sequencer_->stop(); }

    static GatewayConfig defaults() {
        GatewayConfig config;
        config.admin_token = "admin-secret";
        config.oracle_token = "oracle-secret";
        config.bridge_token = "bridge-secret";
        config.domain = {"Ballast", "1", 31337, *parse_address("0x00000000000000000000000000000000000ba1a5")};
        config.per_client = {100'000, 100'000};
        config.per_key = {100'000, 100'000};
        return config;
    }

    void restart() {
        router_.reset();
        sequencer_->stop();
        sequencer_.reset();
        start();
    }

    HttpReply call(std::string_view method, std::string_view target, std::string_view body = {},
                   std::string_view authorization = {}, std::string_view idempotency_key = {}) {
        std::promise<HttpReply> promise;
        auto future = promise.get_future();
        router_->handle({method, target, authorization, idempotency_key, body, "10.0.0.1"},
                        [&promise](HttpReply&& r) { promise.set_value(std::move(r)); });
        return future.get();
    }
    void post_ok(std::string_view target, std::string_view body, std::string_view authorization) {
        const HttpReply r = call("POST", target, body, authorization);
        ASSERT_EQ(r.status, 200u) << target << ": " << r.body;
    }

    std::string sign(const TypedMessage& message, const PrivateKey& key) const {
        return sign_digest(typed_data_digest(domain_separator(config_.domain), message.struct_hash()), key);
    }

    std::string limit_order(const PrivateKey& key, std::string_view size, std::string_view price, std::uint64_t nonce,
                            std::optional<std::string> signature = std::nullopt) const {
        const std::uint64_t expiry = static_cast<std::uint64_t>(sequencer::wall_clock_ms() + 60'000);
        TypedMessage m(order_type());
        m.add_address(address_of_private_key(key))
            .add_string("BTC")
            .add_string(size)
            .add_string("limit")
            .add_string(price)
            .add_string("0")
            .add_bool(false)
            .add_uint64(nonce)
            .add_uint64(expiry);
        return R"({"trader":")" + hex_of(key) + R"(","pair":"BTC","size":")" + std::string(size) +
               R"(","kind":"limit","price":")" + std::string(price) + R"(","nonce":)" + std::to_string(nonce) +
               R"(,"expiry":)" + std::to_string(expiry) + R"(,"signature":")" + signature.value_or(sign(m, key)) +
               R"("})";
    }

    std::string cancel(const PrivateKey& key, std::uint64_t order_id, std::uint64_t nonce) const {
        const std::uint64_t expiry = static_cast<std::uint64_t>(sequencer::wall_clock_ms() + 60'000);
        TypedMessage m(cancel_type());
        m.add_address(address_of_private_key(key))
            .add_string("BTC")
            .add_uint64(order_id)
            .add_uint64(nonce)
            .add_uint64(expiry);
        return R"({"trader":")" + hex_of(key) + R"(","pair":"BTC","nonce":)" + std::to_string(nonce) + R"(,"expiry":)" +
               std::to_string(expiry) + R"(,"signature":")" + sign(m, key) + R"("})";
    }

    Router& router() { return *router_; }

private:
    void start() {
        sequencer::SequencerConfig sc;
        sc.data_dir = dir_.path();
        sequencer_ = std::make_unique<sequencer::Sequencer>(sc);
        sequencer_->start();
        registry_ = std::make_unique<prometheus::Registry>();
        router_ = std::make_unique<Router>(config_, *sequencer_, *registry_);
    }

    TempDir dir_{"service-rules"};
    GatewayConfig config_;
    std::unique_ptr<sequencer::Sequencer> sequencer_;
    std::unique_ptr<prometheus::Registry> registry_;
    std::unique_ptr<Router> router_;
};

// The Router behind a real HttpServer, and a keep-alive client for it.
class OverHttp {
public:
    explicit OverHttp(Gateway& gateway) : server_(gateway.router(), "127.0.0.1", 0, {.threads = 1}) { server_.start(); }
    ~OverHttp() { server_.stop(); }
    unsigned short port() const { return server_.port(); }

private:
    HttpServer server_;
};

namespace http = testing::http;

// "413 body over 64 KiB": the limit is the HTTP server's; a body of exactly
// 64 KiB reaches the router (which refuses it as a malformed order: 400).
TEST(ServiceRules, ABodyOverSixtyFourKibIs413AndOneAtTheLimitIsNot) {
    Gateway gateway;
    OverHttp server(gateway);
    constexpr std::size_t kLimit = 64 * 1024;
    testing::Client client(server.port());
    const auto at_limit = client.post("/v1/orders", std::string(kLimit, ' '));
    ASSERT_TRUE(at_limit);
    EXPECT_EQ(at_limit->result_int(), 400u) << at_limit->body();
    EXPECT_EQ(field(at_limit->body(), "/code"), "invalid_input");

    testing::Client fresh(server.port());
    const auto over = fresh.post("/v1/orders", std::string(kLimit + 1, ' '));
    ASSERT_TRUE(over) << "the 413 must reach the client";
    EXPECT_EQ(over->result_int(), 413u) << over->body();
    EXPECT_EQ(field(over->body(), "/code"), "too_large");
    EXPECT_FALSE(over->keep_alive()) << "the unread body leaves the connection unusable";
}

// "a token bucket per client IP on every route, and one per trader address
// (trader writes) or per token role (token routes)", answered 429 with Retry-After.
TEST(ServiceRules, EachTraderAndEachTokenRoleHasItsOwnRateLimit) {
    GatewayConfig config = Gateway::defaults();
    config.per_key = {0.001, 2};  // a burst of 2, then one per 1,000 s: none within the test
    Gateway gateway(config);
    OverHttp server(gateway);
    testing::Client client(server.port());
    auto order = [&](const PrivateKey& key, std::uint64_t nonce) {
        return client.post("/v1/orders", gateway.limit_order(key, "1", "99", nonce));
    };
    // Alice's two writes are the burst; her third is refused, with Retry-After.
    EXPECT_EQ(order(kAlice, 1)->result_int(), 200u);
    EXPECT_EQ(order(kAlice, 2)->result_int(), 200u);
    const auto third = order(kAlice, 3);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->result_int(), 429u) << third->body();
    EXPECT_EQ(field(third->body(), "/code"), "rate_limited");
    EXPECT_EQ((*third)[http::field::retry_after], "1");
    // Bob has his own bucket, and so does each token role; the IP address (one client) is not what limits.
    EXPECT_EQ(order(kBob, 1)->result_int(), 200u);
    // Setup spent one admin, one oracle and two bridge requests: the bridge
    // is at its limit, admin and oracle have one left each.
    EXPECT_EQ(client.get("/v1/admin/status", "Bearer admin-secret")->result_int(), 200u);
    const auto admin = client.get("/v1/admin/status", "Bearer admin-secret");
    ASSERT_TRUE(admin);
    EXPECT_EQ(admin->result_int(), 429u) << admin->body();
    EXPECT_EQ((*admin)[http::field::retry_after], "1");
    const auto bridge =
        client.post("/v1/admin/deposits", R"({"tx_id":"t","trader":")" + hex_of(kBob) + R"(","amount":"1"})",
                    "Bearer bridge-secret");
    EXPECT_EQ(bridge->result_int(), 429u) << bridge->body();
    const auto oracle = client.post("/v1/oracle/prices", R"({"prices":{"BTC":"100"}})", "Bearer oracle-secret");
    EXPECT_EQ(oracle->result_int(), 200u) << oracle->body();
    EXPECT_EQ(client.post("/v1/oracle/prices", R"({"prices":{"BTC":"100"}})", "Bearer oracle-secret")->result_int(),
              429u);
    // Reads are not the trader's: Alice can still read her orders (two rest).
    const auto orders = client.get("/v1/orders?trader=" + hex_of(kAlice));
    ASSERT_EQ(orders->result_int(), 200u);
    EXPECT_EQ(boost::json::parse(orders->body()).at("orders").as_array().size(), 2u);
}

// "Idempotency-Key ... is taken on POST /v1/orders and DELETE /v1/orders/{id}":
// a retried cancel gets its first reply byte for byte, not order_not_found
// nor nonce_reused, also after a restart; the same key on another cancel is a conflict.
TEST(ServiceRules, ACancelRetriedWithItsKeyGetsItsFirstReplyAcrossARestart) {
    Gateway gateway;
    const HttpReply placed = gateway.call("POST", "/v1/orders", gateway.limit_order(kAlice, "1", "99", 1));
    ASSERT_EQ(placed.status, 200u) << placed.body;
    const std::string id = field(placed.body, "/result/order_id");
    const std::string cancel = gateway.cancel(kAlice, std::stoull(id), 2);
    const HttpReply first = gateway.call("DELETE", "/v1/orders/" + id, cancel, {}, "cancel-once");
    ASSERT_EQ(first.status, 200u) << first.body;
    for (int restart = 0; restart < 2; ++restart) {
        const HttpReply retry = gateway.call("DELETE", "/v1/orders/" + id, cancel, {}, "cancel-once");
        EXPECT_EQ(retry.status, 200u) << (restart ? "after a restart: " : "") << retry.body;
        EXPECT_EQ(retry.body, first.body);
        const HttpReply conflict = gateway.call(
            "DELETE", "/v1/orders/" + id, gateway.cancel(kAlice, std::stoull(id), 3 + restart), {}, "cancel-once");
        EXPECT_EQ(conflict.status, 409u) << conflict.body;
        EXPECT_EQ(field(conflict.body, "/code"), "idempotency_conflict");
        // Without the key the same signed cancel is a replay.
        const HttpReply replay = gateway.call("DELETE", "/v1/orders/" + id, cancel);
        EXPECT_EQ(field(replay.body, "/code"), "nonce_reused") << replay.body;
        gateway.restart();
    }
    // Keys are scoped per trader: Bob's "cancel-once" is his own.
    const HttpReply bob_placed = gateway.call("POST", "/v1/orders", gateway.limit_order(kBob, "1", "98", 1));
    ASSERT_EQ(bob_placed.status, 200u) << bob_placed.body;
    const std::string bob_id = field(bob_placed.body, "/result/order_id");
    const HttpReply bobs =
        gateway.call("DELETE", "/v1/orders/" + bob_id, gateway.cancel(kBob, std::stoull(bob_id), 2), {}, "cancel-once");
    EXPECT_EQ(bobs.status, 200u) << bobs.body;
    EXPECT_NE(bobs.body, first.body);
}

// secp256k1's group order n: (r, n - s) with the other recovery id is the
// malleable twin of a signature (r, s), valid for the same key and digest.
constexpr std::uint8_t kCurveOrder[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                          0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                                          0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

std::string high_s_twin(const std::string& signature) {
    auto byte_at = [&](std::size_t i) {
        return static_cast<std::uint8_t>(std::stoi(signature.substr(2 + 2 * i, 2), nullptr, 16));
    };
    std::uint8_t bytes[65];
    for (std::size_t i = 0; i < 65; ++i) bytes[i] = byte_at(i);
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {  // s' = n - s, big-endian
        int d = kCurveOrder[i] - bytes[32 + i] - borrow;
        borrow = d < 0 ? 1 : 0;
        bytes[32 + i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
    }
    bytes[64] = bytes[64] == 27 ? 28 : 27;
    std::string out = "0x";
    char hex[3];
    for (std::uint8_t b : bytes) {
        std::snprintf(hex, sizeof hex, "%02x", b);
        out += hex;
    }
    return out;
}

// "A malformed or high-s signature is 401 bad_signature": the twin of a valid
// signature would recover Alice's key, so only the low-s rule refuses it.
TEST(ServiceRules, AHighSSignatureIsRefusedAsBadSignature) {
    Gateway gateway;
    const std::string valid = gateway.limit_order(kAlice, "1", "99", 1);
    const std::string signature = field(valid, "/signature");
    ASSERT_LE(signature[66], '7') << "libsecp256k1 signs low-s";
    const std::string twin = high_s_twin(signature);
    ASSERT_GE(twin[66], '8') << "n - s is above n/2";
    std::string forged = valid;
    forged.replace(forged.find(signature), signature.size(), twin);
    const HttpReply refused = gateway.call("POST", "/v1/orders", forged);
    EXPECT_EQ(refused.status, 401u) << refused.body;
    EXPECT_EQ(field(refused.body, "/code"), "bad_signature");
    // Nothing was placed and the nonce is unspent: the low-s original goes through.
    EXPECT_EQ(boost::json::parse(gateway.call("GET", "/v1/orders?trader=" + hex_of(kAlice)).body)
                  .at("orders")
                  .as_array()
                  .size(),
              0u);
    const HttpReply placed = gateway.call("POST", "/v1/orders", valid);
    EXPECT_EQ(placed.status, 200u) << placed.body;
}

// "Snapshots are written ... on SIGTERM": with the count and the timer far
// off, a stop still writes one at the last seq, and the restart replays nothing.
TEST(ServiceRules, SigtermWritesAFinalSnapshotAndTheRestartStartsFromIt) {
    TempDir dir("sigterm");
    const unsigned short port = testing::free_port();
    const fs::path config = dir.path() / "ballast.toml";
    std::ofstream(config) << "listen = \"127.0.0.1:" << port << "\"\n"
                          << "data_dir = \"" << (dir.path() / "data").string() << "\"\n"
                          << "[journal]\nsnapshot_every_commands = 1000000\nsnapshot_every_seconds = 3600\n"
                          << "[tokens]\nadmin = \"a\"\noracle = \"o\"\nbridge = \"b\"\n"
                          << "[[markets]]\npair = \"BTC\"\nskew_scale = \"1000\"\nmax_abs_premium = \"0.05\"\n"
                          << "max_abs_oi = \"1000\"\ninitial_margin_ratio = \"0.1\"\n";
    const fs::path log = dir.path() / "server.log";
    std::string last_seq;
    {
        testing::Process server({"serve", "--config", config.string()}, log);
        testing::Client client(port);
        ASSERT_TRUE(testing::wait_serving(client, &server)) << testing::read_text(log);
        for (int i = 0; i < 5; ++i) {
            const auto r = client.post(
                "/v1/admin/deposits",
                R"({"tx_id":"t)" + std::to_string(i) + R"(","trader":")" + hex_of(kAlice) + R"(","amount":"5"})",
                "Bearer b");
            ASSERT_TRUE(r && r->result_int() == 200);
        }
        last_seq = field(client.get("/v1/admin/status", "Bearer a")->body(), "/seq");
        EXPECT_TRUE(!fs::exists(dir.path() / "data" / "snapshots") || fs::is_empty(dir.path() / "data" / "snapshots"))
            << "no snapshot is due before the stop";
        EXPECT_TRUE(testing::exited_with(server.kill(SIGTERM), 0)) << testing::read_text(log);
    }
    char name[64];
    std::snprintf(name, sizeof name, "snapshot-%020llu.snap", std::stoull(last_seq));
    EXPECT_TRUE(fs::exists(dir.path() / "data" / "snapshots" / name)) << name;
    {
        testing::Process server({"serve", "--config", config.string()}, log);
        testing::Client client(port);
        ASSERT_TRUE(testing::wait_serving(client, &server));
        EXPECT_NE(testing::read_text(log).find("snapshot at seq " + last_seq + ", 0 journal records replayed"),
                  std::string::npos)
            << testing::read_text(log);
        EXPECT_EQ(field(client.get("/v1/account?trader=" + hex_of(kAlice))->body(), "/margin"), "25");
    }
}

}  // namespace
}  // namespace ballast::api
