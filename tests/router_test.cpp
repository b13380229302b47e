// The REST API through the router and over real HTTP: authentication, EIP-712
// signatures, idempotency, rate limits, errors, and the OpenAPI document.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <future>
#include <set>

#include "api/http_server.hpp"
#include "api/router.hpp"
#include "engine_harness.hpp"
#include "temp_dir.hpp"

namespace ballast::api {
namespace {

using core::Name;
using testing::amt;
using testing::dec;
using testing::TempDir;

PrivateKey key_of(std::uint8_t fill) {
    PrivateKey k;
    k.fill(fill);
    return k;
}
const PrivateKey kAliceKey = key_of(0x11);
const PrivateKey kBobKey = key_of(0x22);

std::string hex_of(const PrivateKey& key) { return address_to_hex(address_of_private_key(key)); }

class RouterTest : public ::testing::Test {
protected:
    RouterTest() {
        sequencer::SequencerConfig sc;
        sc.data_dir = dir_.path();
        sequencer_ = std::make_unique<sequencer::Sequencer>(sc);
        sequencer_->start();
        config_.admin_token = "admin-secret";
        config_.oracle_token = "oracle-secret";
        config_.bridge_token = "bridge-secret";
        config_.domain = {"Ballast", "1", 31337, *parse_address("0x00000000000000000000000000000000000ba1a5")};
        config_.per_client = {100'000, 100'000};
        config_.per_key = {100'000, 100'000};
        router_ = std::make_unique<Router>(config_, *sequencer_, registry_);

        expect_ok(call("POST", "/v1/admin/markets",
                       R"({"cmd":"set_pair","pair":"BTC","skew_scale":"1000","max_abs_premium":"0.05",)"
                       R"("max_abs_oi":"500","initial_margin_ratio":"0.1"})",
                       "Bearer admin-secret"));
        expect_ok(call("POST", "/v1/oracle/prices", R"({"prices":{"BTC":"100"}})", "Bearer oracle-secret"));
        sequencer_->call(
            sequencer::WriteRequest{core::DepositMargin{Name::from("lp"), amt("1000000")}, std::nullopt, {}, false});
        sequencer_->call(sequencer::WriteRequest{
            core::DepositLiquidity{Name::from("lp"), amt("1000000"), std::nullopt}, std::nullopt, {}, false});
        expect_ok(deposit(kAliceKey, "0xdeposit-a", "10000"));
        expect_ok(deposit(kBobKey, "0xdeposit-b", "10000"));
    }
    ~RouterTest() override { sequencer_->stop(); }

    HttpReply call(std::string_view method, std::string_view target, std::string_view body = {},
                   std::string_view authorization = {}, std::string_view idempotency_key = {},
                   std::string_view client = "10.0.0.1") {
        std::promise<HttpReply> promise;
        auto future = promise.get_future();
        router_->handle({method, target, authorization, idempotency_key, body, client},
                        [&promise](HttpReply&& r) { promise.set_value(std::move(r)); });
        return future.get();
    }
    static void expect_ok(const HttpReply& r) { EXPECT_EQ(r.status, 200u) << r.body; }

    HttpReply deposit(const PrivateKey& key, std::string_view tx, std::string_view amount) {
        return call("POST", "/v1/admin/deposits",
                    R"({"tx_id":")" + std::string(tx) + R"(","trader":")" + hex_of(key) + R"(","amount":")" +
                        std::string(amount) + R"("})",
                    "Bearer bridge-secret");
    }

    std::string sign(const TypedMessage& message, const PrivateKey& key) const {
        return sign_digest(typed_data_digest(domain_separator(config_.domain), message.struct_hash()), key);
    }

    // A signed limit order body. `signed_size` lets a test sign one size and send another.
    std::string limit_order(const PrivateKey& key, std::string_view size, std::string_view price, std::uint64_t nonce,
                            std::optional<std::string_view> signed_size = std::nullopt) const {
        const std::uint64_t expiry = static_cast<std::uint64_t>(sequencer::wall_clock_ms() + 30'000);
        TypedMessage m(order_type());
        m.add_address(address_of_private_key(key))
            .add_string("BTC")
            .add_string(signed_size.value_or(size))
            .add_string("limit")
            .add_string(price)
            .add_string("0")
            .add_bool(false)
            .add_uint64(nonce)
            .add_uint64(expiry);
        return R"({"trader":")" + hex_of(key) + R"(","pair":"BTC","size":")" + std::string(size) +
               R"(","kind":"limit","price":")" + std::string(price) + R"(","nonce":)" + std::to_string(nonce) +
               R"(,"expiry":)" + std::to_string(expiry) + R"(,"signature":")" + sign(m, key) + R"("})";
    }

    std::string cancel(const PrivateKey& key, std::uint64_t order_id, std::uint64_t nonce) const {
        const std::uint64_t expiry = static_cast<std::uint64_t>(sequencer::wall_clock_ms() + 30'000);
        TypedMessage m(cancel_type());
        m.add_address(address_of_private_key(key))
            .add_string("BTC")
            .add_uint64(order_id)
            .add_uint64(nonce)
            .add_uint64(expiry);
        return R"({"trader":")" + hex_of(key) + R"(","pair":"BTC","nonce":)" + std::to_string(nonce) + R"(,"expiry":)" +
               std::to_string(expiry) + R"(,"signature":")" + sign(m, key) + R"("})";
    }

    TempDir dir_{"router"};
    prometheus::Registry registry_;
    GatewayConfig config_;
    std::unique_ptr<sequencer::Sequencer> sequencer_;
    std::unique_ptr<Router> router_;
};

std::string field(const std::string& json, std::string_view pointer) {
    const boost::json::value v = boost::json::parse(json);
    const boost::json::value& f = v.at_pointer(pointer);
    return f.is_string() ? std::string(f.as_string()) : boost::json::serialize(f);
}

TEST_F(RouterTest, UnknownRoutesAndMethodsAreJsonErrors) {
    expect_ok(call("GET", "/v1/health"));
    const HttpReply missing = call("GET", "/v1/nothing");
    EXPECT_EQ(missing.status, 404u);
    EXPECT_EQ(field(missing.body, "/code"), "not_found");
    const HttpReply wrong_method = call("PUT", "/v1/orders");
    EXPECT_EQ(wrong_method.status, 405u);
    EXPECT_EQ(field(wrong_method.body, "/code"), "method_not_allowed");
}

TEST_F(RouterTest, EachRoleNeedsItsOwnToken) {
    const std::string set_status = R"({"cmd":"set_pair_status","pair":"BTC","status":"paused"})";
    EXPECT_EQ(call("POST", "/v1/admin/markets", set_status).status, 401u);
    EXPECT_EQ(call("POST", "/v1/admin/markets", set_status, "Bearer oracle-secret").status, 403u);
    EXPECT_EQ(call("POST", "/v1/admin/markets", set_status, "Bearer admin-secre").status, 403u);
    EXPECT_EQ(call("POST", "/v1/oracle/prices", R"({"prices":{"BTC":"101"}})", "Bearer admin-secret").status, 403u);
    EXPECT_EQ(call("GET", "/v1/admin/withdrawals", {}, "Bearer oracle-secret").status, 403u);
    // Admin routes take only admin commands.
    const HttpReply deposit_via_admin =
        call("POST", "/v1/admin/markets", R"({"cmd":"deposit_margin","user":"x","amount":"1"})", "Bearer admin-secret");
    EXPECT_EQ(deposit_via_admin.status, 400u);
    expect_ok(call("POST", "/v1/admin/markets", set_status, "Bearer admin-secret"));
    const HttpReply market = call("GET", "/v1/markets/BTC");
    EXPECT_EQ(field(market.body, "/market/status"), "paused");
}

TEST_F(RouterTest, BridgeDepositsAreIdempotentByTransaction) {
    const HttpReply first = deposit(kAliceKey, "0xtx-1", "500");
    expect_ok(first);
    const HttpReply again = deposit(kAliceKey, "0xtx-1", "500");
    EXPECT_EQ(again.body, first.body);
    const HttpReply account = call("GET", "/v1/account?trader=" + hex_of(kAliceKey));
    EXPECT_EQ(field(account.body, "/margin"), "10500");  // 10000 at setup + 500 once
}

TEST_F(RouterTest, ASignedOrderIsAcceptedOnceAndATamperedOneIsRefused) {
    const std::string body = limit_order(kAliceKey, "1", "99", 1);
    const HttpReply placed = call("POST", "/v1/orders", body);
    ASSERT_EQ(placed.status, 200u) << placed.body;
    EXPECT_EQ(field(placed.body, "/result/rested"), "1");

    const HttpReply replayed = call("POST", "/v1/orders", body);
    EXPECT_EQ(replayed.status, 409u);
    EXPECT_EQ(field(replayed.body, "/code"), "nonce_reused");

    const HttpReply tampered = call("POST", "/v1/orders", limit_order(kAliceKey, "2", "99", 2, "1"));
    EXPECT_EQ(tampered.status, 401u);
    EXPECT_EQ(field(tampered.body, "/code"), "wrong_signer");

    std::string garbage = limit_order(kAliceKey, "1", "99", 3);
    garbage.replace(garbage.find("\"signature\":\"0x") + 15, 4, "zzzz");
    EXPECT_EQ(field(call("POST", "/v1/orders", garbage).body, "/code"), "bad_signature");

    const HttpReply not_canonical = call("POST", "/v1/orders", limit_order(kAliceKey, "1.50", "99", 4));
    EXPECT_EQ(not_canonical.status, 400u);
    EXPECT_NE(field(not_canonical.body, "/message").find("canonical"), std::string::npos);

    const HttpReply orders = call("GET", "/v1/orders?trader=" + hex_of(kAliceKey));
    const boost::json::array resting = boost::json::parse(orders.body).at("orders").as_array();
    ASSERT_EQ(resting.size(), 1u) << "only the first order rests";
    EXPECT_EQ(resting[0].at("order_id").as_string(), "1");
}

TEST_F(RouterTest, NonceAndExpiryMustBeJsonIntegers) {
    // A correctly signed order whose nonce (or expiry) is then written as a
    // JSON string: the only difference from a valid body is the quoting.
    const std::string body = limit_order(kAliceKey, "1", "99", 1000);
    auto quoted = [&](std::string_view key) {
        std::string out = body;
        const std::string field = "\"" + std::string(key) + "\":";
        const std::size_t start = out.find(field) + field.size();
        const std::size_t end = out.find(',', start);
        out.insert(end, "\"");
        out.insert(start, "\"");
        return out;
    };
    for (std::string_view key : {"nonce", "expiry"}) {
        const HttpReply refused = call("POST", "/v1/orders", quoted(key));
        EXPECT_EQ(refused.status, 400u) << key << ": " << refused.body;
        EXPECT_EQ(field(refused.body, "/code"), "invalid_input");
        EXPECT_EQ(field(refused.body, "/message"),
                  "'" + std::string(key) +
                      "' must be a JSON integer, not a string or a fraction (e.g. 1718000000000, not "
                      "\"1718000000000\")");
    }
    std::string fraction = body;
    fraction.replace(fraction.find("\"nonce\":1000"), 12, "\"nonce\":1000.5");
    EXPECT_EQ(call("POST", "/v1/orders", fraction).status, 400u);
    // Refused at the door: the nonce is still free for the integer form.
    expect_ok(call("POST", "/v1/orders", body));
}

TEST_F(RouterTest, InfoPublishesTheDomainTheMessageTypesAndTheLimits) {
    const HttpReply info = call("GET", "/v1/info");
    ASSERT_EQ(info.status, 200u) << info.body;
    const boost::json::value v = boost::json::parse(info.body);
    // The domain of the fixture, spelt as wallets take it.
    EXPECT_EQ(boost::json::serialize(v.at("domain")),
              R"({"name":"Ballast","version":"1","chainId":31337,)"
              R"("verifyingContract":"0x00000000000000000000000000000000000ba1a5"})");
    // The message types as written in src/api/eip712.hpp, field by field.
    auto fields = [&](std::string_view type) {
        std::string out;
        for (const auto& f : v.at("types").at(type).as_array())
            out += std::string(f.at("type").as_string()) + " " + std::string(f.at("name").as_string()) + ",";
        return out;
    };
    EXPECT_EQ(fields("Order"),
              "address trader,string pair,string size,string kind,string price,string maxSlippage,bool reduceOnly,"
              "uint64 nonce,uint64 expiry,");
    EXPECT_EQ(fields("Cancel"), "address trader,string pair,uint64 orderId,uint64 nonce,uint64 expiry,");
    EXPECT_EQ(fields("CancelAll"), "address trader,string pair,uint64 nonce,uint64 expiry,");
    EXPECT_EQ(fields("Withdraw"), "address trader,string amount,uint64 nonce,uint64 expiry,");
    EXPECT_EQ(fields("VaultDeposit"), "address trader,string amount,string minShares,uint64 nonce,uint64 expiry,");
    EXPECT_EQ(fields("VaultUnlock"), "address trader,string shares,uint64 nonce,uint64 expiry,");
    EXPECT_EQ(v.at("types").as_object().size(), 6u);
    // No settlement asset configured here.
    EXPECT_TRUE(v.at_pointer("/settlement/asset").is_null());
    EXPECT_TRUE(v.at_pointer("/settlement/decimals").is_null());
    // 10^20 base units of money; 10^15 contracts and base units per contract.
    EXPECT_EQ(field(info.body, "/limits/max_money"), "100000000000000000000");
    EXPECT_EQ(field(info.body, "/limits/max_size"), "1000000000000000");
    EXPECT_EQ(field(info.body, "/limits/max_price"), "1000000000000000");
    EXPECT_EQ(field(info.body, "/limits/max_body_bytes"), "65536");               // 64 KiB
    EXPECT_EQ(field(info.body, "/limits/max_signed_body_bytes"), "16384");        // 16 KiB
    EXPECT_EQ(field(info.body, "/limits/max_request_lifetime_ms"), "3600000");    // the default, 1 h
    EXPECT_EQ(field(info.body, "/limits/idempotency_retention_ms"), "86400000");  // the default, 24 h
    EXPECT_EQ(field(info.body, "/limits/nonce_window"), "64");
    EXPECT_EQ(field(info.body, "/limits/max_open_orders"), "100");  // the engine's default
    EXPECT_EQ(field(info.body, "/limits/max_page_size"), "1000");
    EXPECT_EQ(field(info.body, "/limits/max_idempotency_key_length"), "64");
    EXPECT_EQ(field(info.body, "/limits/rate_limits/per_client/per_second"), "100000");  // the fixture's
    EXPECT_EQ(field(info.body, "/limits/rate_limits/per_key/burst"), "100000");

    // The engine's limits are read live: an admin's change shows at once.
    expect_ok(call("POST", "/v1/admin/markets", R"({"cmd":"set_params","max_open_orders":5})", "Bearer admin-secret"));
    EXPECT_EQ(field(call("GET", "/v1/info").body, "/limits/max_open_orders"), "5");

    GatewayConfig usdc = config_;
    usdc.settlement_asset = "USDC";
    usdc.settlement_decimals = 6;
    Router with_asset(usdc, *sequencer_, registry_);
    std::promise<HttpReply> p;
    with_asset.handle({"GET", "/v1/info", {}, {}, {}, "10.0.0.1"}, [&p](HttpReply&& r) { p.set_value(std::move(r)); });
    const HttpReply published = p.get_future().get();
    EXPECT_EQ(field(published.body, "/settlement/asset"), "USDC");
    EXPECT_EQ(field(published.body, "/settlement/decimals"), "6");
    EXPECT_EQ(field(published.body, "/settlement/base_unit"), "10^-6 of one USDC");
}

TEST_F(RouterTest, AnIdempotencyKeyReturnsTheFirstResult) {
    const std::string body = limit_order(kAliceKey, "1", "99", 10);
    const HttpReply first = call("POST", "/v1/orders", body, {}, "retry-abc");
    ASSERT_EQ(first.status, 200u) << first.body;
    // The client retries the very same signed request.
    const HttpReply retry = call("POST", "/v1/orders", body, {}, "retry-abc");
    EXPECT_EQ(retry.status, 200u);
    EXPECT_EQ(retry.body, first.body);
    const HttpReply conflict = call("POST", "/v1/orders", limit_order(kAliceKey, "2", "99", 11), {}, "retry-abc");
    EXPECT_EQ(conflict.status, 409u);
    EXPECT_EQ(field(conflict.body, "/code"), "idempotency_conflict");
}

TEST_F(RouterTest, ATraderCannotCancelAnothersOrder) {
    ASSERT_EQ(call("POST", "/v1/orders", limit_order(kAliceKey, "1", "99", 1)).status, 200u);
    const HttpReply stolen = call("DELETE", "/v1/orders/1", cancel(kBobKey, 1, 1));
    EXPECT_EQ(stolen.status, 403u);
    EXPECT_EQ(field(stolen.body, "/code"), "not_your_order");
    // Bob cannot pass off Alice's signed cancel as his either: it is Alice's.
    expect_ok(call("DELETE", "/v1/orders/1", cancel(kAliceKey, 1, 2)));
}

TEST_F(RouterTest, CancelAllTakesOneSignatureForEveryOrder) {
    for (std::uint64_t nonce = 1; nonce <= 3; ++nonce)
        ASSERT_EQ(call("POST", "/v1/orders", limit_order(kAliceKey, "1", "99", nonce)).status, 200u);
    ASSERT_EQ(call("POST", "/v1/orders", limit_order(kBobKey, "1", "98", 1)).status, 200u);
    const std::uint64_t expiry = static_cast<std::uint64_t>(sequencer::wall_clock_ms() + 30'000);
    TypedMessage m(cancel_all_type());
    m.add_address(address_of_private_key(kAliceKey)).add_string("BTC").add_uint64(7).add_uint64(expiry);
    const std::string body = R"({"trader":")" + hex_of(kAliceKey) + R"(","nonce":7,"expiry":)" +
                             std::to_string(expiry) + R"(,"signature":")" + sign(m, kAliceKey) + R"("})";
    const HttpReply canceled = call("DELETE", "/v1/orders?pair=BTC", body);
    ASSERT_EQ(canceled.status, 200u) << canceled.body;
    EXPECT_EQ(boost::json::serialize(boost::json::parse(canceled.body).at("canceled")), R"(["1","2","3"])");
    // The same signed request again is a replay: its nonce is spent.
    const HttpReply again = call("DELETE", "/v1/orders?pair=BTC", body);
    EXPECT_EQ(again.status, 409u);
    EXPECT_EQ(field(again.body, "/code"), "nonce_reused");
    const HttpReply bobs = call("GET", "/v1/orders?trader=" + hex_of(kBobKey));
    EXPECT_EQ(boost::json::parse(bobs.body).at("orders").as_array().size(), 1u) << "Bob's order stays";
}

TEST_F(RouterTest, CancelAllChecksExpiryAndNonceEvenWithNothingToCancel) {
    auto cancel_all = [&](std::uint64_t nonce, std::int64_t expires_in_ms) {
        const std::uint64_t expiry = static_cast<std::uint64_t>(sequencer::wall_clock_ms() + expires_in_ms);
        TypedMessage m(cancel_all_type());
        m.add_address(address_of_private_key(kAliceKey)).add_string("BTC").add_uint64(nonce).add_uint64(expiry);
        return R"({"trader":")" + hex_of(kAliceKey) + R"(","nonce":)" + std::to_string(nonce) + R"(,"expiry":)" +
               std::to_string(expiry) + R"(,"signature":")" + sign(m, kAliceKey) + R"("})";
    };
    // Alice has no open order in any of these.
    const HttpReply expired = call("DELETE", "/v1/orders?pair=BTC", cancel_all(1, -1'000));
    EXPECT_EQ(expired.status, 401u) << expired.body;
    EXPECT_EQ(field(expired.body, "/code"), "request_expired");
    const HttpReply too_far = call("DELETE", "/v1/orders?pair=BTC", cancel_all(2, 10 * 3'600'000));
    EXPECT_EQ(too_far.status, 400u) << too_far.body;
    EXPECT_EQ(field(too_far.body, "/code"), "expiry_too_far");

    ASSERT_EQ(call("POST", "/v1/orders", limit_order(kAliceKey, "1", "99", 5)).status, 200u);
    ASSERT_EQ(call("DELETE", "/v1/orders/1", cancel(kAliceKey, 1, 6)).status, 200u);
    const HttpReply reused = call("DELETE", "/v1/orders?pair=BTC", cancel_all(5, 30'000));
    EXPECT_EQ(reused.status, 409u) << reused.body;
    EXPECT_EQ(field(reused.body, "/code"), "nonce_reused");

    // A valid one cancels nothing and spends its nonce, so that it cannot be
    // replayed later to cancel orders placed after it.
    const std::string body = cancel_all(7, 30'000);
    const HttpReply nothing = call("DELETE", "/v1/orders?pair=BTC", body);
    ASSERT_EQ(nothing.status, 200u) << nothing.body;
    EXPECT_EQ(field(nothing.body, "/canceled"), "[]");
    ASSERT_EQ(call("POST", "/v1/orders", limit_order(kAliceKey, "1", "99", 8)).status, 200u);
    const HttpReply replayed = call("DELETE", "/v1/orders?pair=BTC", body);
    EXPECT_EQ(replayed.status, 409u) << replayed.body;
    EXPECT_EQ(field(replayed.body, "/code"), "nonce_reused");
    const HttpReply orders = call("GET", "/v1/orders?trader=" + hex_of(kAliceKey));
    EXPECT_EQ(boost::json::parse(orders.body).at("orders").as_array().size(), 1u) << "the new order stays";
}

TEST_F(RouterTest, WithdrawalsReachTheBridgeOutbox) {
    const std::uint64_t expiry = static_cast<std::uint64_t>(sequencer::wall_clock_ms() + 30'000);
    TypedMessage m(withdraw_type());
    m.add_address(address_of_private_key(kBobKey)).add_string("250").add_uint64(5).add_uint64(expiry);
    const std::string body = R"({"trader":")" + hex_of(kBobKey) + R"(","amount":"250","nonce":5,"expiry":)" +
                             std::to_string(expiry) + R"(,"signature":")" + sign(m, kBobKey) + R"("})";
    expect_ok(call("POST", "/v1/margin/withdraw", body));
    const HttpReply outbox = call("GET", "/v1/admin/withdrawals?after=0", {}, "Bearer bridge-secret");
    ASSERT_EQ(outbox.status, 200u);
    EXPECT_EQ(field(outbox.body, "/withdrawals/0/trader"), hex_of(kBobKey));
    EXPECT_EQ(field(outbox.body, "/withdrawals/0/amount"), "250");
}

TEST_F(RouterTest, RateLimitsAnswer429) {
    GatewayConfig tight = config_;
    tight.per_client = {1, 3};  // a burst of 3, then one a second
    Router limited(tight, *sequencer_, registry_);
    auto once = [&](std::string_view client) {
        std::promise<HttpReply> p;
        limited.handle({"GET", "/v1/health", {}, {}, {}, client}, [&p](HttpReply&& r) { p.set_value(std::move(r)); });
        return p.get_future().get().status;
    };
    EXPECT_EQ(once("1.1.1.1"), 200u);
    EXPECT_EQ(once("1.1.1.1"), 200u);
    EXPECT_EQ(once("1.1.1.1"), 200u);
    EXPECT_EQ(once("1.1.1.1"), 429u);
    EXPECT_EQ(once("2.2.2.2"), 200u) << "buckets are per client";
}

TEST_F(RouterTest, EveryRouteIsInTheOpenApiDocumentAndServed) {
    const HttpReply doc = call("GET", "/v1/openapi.json");
    ASSERT_EQ(doc.status, 200u);
    const boost::json::object paths = boost::json::parse(doc.body).at("paths").as_object();
    std::size_t documented = 0;
    for (const auto& [path, methods] : paths) documented += methods.as_object().size();
    EXPECT_EQ(documented, kRoutes.size()) << "the document has operations the router does not serve";
    for (const RouteInfo& route : kRoutes) {
        const std::string path(route.path);
        ASSERT_TRUE(paths.contains(path)) << path;
        EXPECT_TRUE(paths.at(path).as_object().contains(std::string(route.method))) << route.method << " " << path;
        // Served: any answer but "no such route".
        std::string target = path;
        if (auto at = target.find("{id}"); at != std::string::npos) target.replace(at, 4, "1");
        if (auto at = target.find("{pair}"); at != std::string::npos) target.replace(at, 6, "BTC");
        std::string method(route.method);
        for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        const HttpReply reply = call(method, target);
        EXPECT_FALSE(reply.status == 404u && field(reply.body, "/code") == "not_found")
            << method << " " << target << " -> " << reply.body;
        EXPECT_NE(reply.status, 405u) << method << " " << target;
    }
}

// The document says, for each signed route, which typed message is signed
// and where each of its fields comes from: it must agree with the message
// types the server verifies, and every field of the body must be signed.
TEST_F(RouterTest, TheOpenApiDocumentSaysWhatEachSignedRouteSigns) {
    const boost::json::value doc = boost::json::parse(call("GET", "/v1/openapi.json").body);
    const boost::json::object& schemas = doc.at("components").at("schemas").as_object();
    auto resolve = [&](const boost::json::value& v) -> const boost::json::value& {
        if (!v.is_object() || !v.as_object().contains("$ref")) return v;
        const std::string ref(v.at("$ref").as_string());
        return schemas.at(ref.substr(ref.rfind('/') + 1));
    };
    std::set<std::string> signed_routes;
    for (const auto& [path, methods] : doc.at("paths").as_object()) {
        for (const auto& [method, operation] : methods.as_object()) {
            if (!operation.as_object().contains("x-eip712")) continue;
            const std::string route = std::string(method) + " " + std::string(path);
            signed_routes.insert(route);
            const boost::json::value& x = operation.at("x-eip712");
            const std::string primary(x.at("primaryType").as_string());
            const MessageType* type = nullptr;
            for (const MessageType* t : trader_message_types())
                if (t->name() == primary) type = t;
            ASSERT_NE(type, nullptr) << route << ": " << primary;
            const boost::json::array& fields = x.at("fields").as_array();
            ASSERT_EQ(fields.size(), type->fields().size()) << route;
            const boost::json::object& body =
                operation.at_pointer("/requestBody/content/application~1json/schema/properties").as_object();
            std::set<std::string> signed_body_fields;
            for (std::size_t i = 0; i < fields.size(); ++i) {
                EXPECT_EQ(fields[i].at("name").as_string(), type->fields()[i].name) << route;
                EXPECT_EQ(fields[i].at("type").as_string(), field_kind_name(type->fields()[i].kind)) << route;
                const std::string from(fields[i].at("from").as_string());
                const std::string where = from.substr(0, from.find('.')), name = from.substr(from.find('.') + 1);
                if (where == "body") {
                    EXPECT_TRUE(body.contains(name)) << route << ": " << from;
                    signed_body_fields.insert(name);
                } else {
                    ASSERT_TRUE(where == "path" || where == "query") << route << ": " << from;
                    bool found = false;
                    for (const auto& p : operation.at("parameters").as_array())
                        found |= p.as_object().contains("in") && p.at("in").as_string() == where &&
                                 p.at("name").as_string() == name;
                    EXPECT_TRUE(found) << route << ": " << from;
                }
            }
            // Every field of the body but the signature itself is signed.
            for (const auto& [name, schema] : body) {
                if (name != "signature") {
                    EXPECT_TRUE(signed_body_fields.count(std::string(name))) << route << ": " << name;
                }
            }
            // nonce and expiry are JSON integers.
            for (const char* name : {"nonce", "expiry"}) {
                EXPECT_EQ(resolve(body.at(name)).at("type").as_string(), "integer") << route << ": " << name;
            }
        }
    }
    EXPECT_EQ(signed_routes,
              (std::set<std::string>{"post /v1/orders", "delete /v1/orders/{id}", "delete /v1/orders",
                                     "post /v1/margin/withdraw", "post /v1/vault/deposit", "post /v1/vault/unlock"}));
}

TEST_F(RouterTest, MetricsArePrometheusText) {
    const HttpReply metrics = call("GET", "/metrics");
    EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4");
    EXPECT_NE(metrics.body.find("ballast_http_responses_total"), std::string::npos);
}

// Two requests over one keep-alive connection to the real server.
TEST_F(RouterTest, ServesHttpKeepAlive) {
    HttpServer server(*router_, "127.0.0.1", 0, {.threads = 1});
    server.start();
    namespace beast = boost::beast;
    namespace http = beast::http;
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
    beast::flat_buffer buffer;
    for (const char* target : {"/v1/health", "/v1/markets"}) {
        http::request<http::string_body> request(http::verb::get, target, 11);
        request.set(http::field::host, "localhost");
        request.keep_alive(true);
        http::write(socket, request);
        http::response<http::string_body> response;
        http::read(socket, buffer, response);
        EXPECT_EQ(response.result_int(), 200u);
        EXPECT_TRUE(response.keep_alive());
        EXPECT_EQ(response[http::field::content_type], "application/json");
    }
    // Garbage gets a 400 and the connection is closed.
    boost::asio::write(socket, boost::asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    EXPECT_EQ(response.result_int(), 400u);
    EXPECT_FALSE(response.keep_alive());
    server.stop();
}

}  // namespace
}  // namespace ballast::api
