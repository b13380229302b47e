// The service layer's memory: idempotent retries, nonces, expiry, the
// withdrawal outbox, and all of it surviving a snapshot.
#include <gtest/gtest.h>

#include "engine_harness.hpp"
#include "sequencer/exchange_state.hpp"

namespace ballast::sequencer {
namespace {

using core::Name;
using testing::amt;
using testing::dec;

const Name kAlice = Name::from("0x00000000000000000000000000000000000000a1");
const Name kBob = Name::from("0x00000000000000000000000000000000000000b2");
const Name kBtc = Name::from("BTC");
constexpr core::TimeMs kStart = 1'000'000;

class ExchangeStateTest : public ::testing::Test {
protected:
    ExchangeStateTest()
        : state_(ExchangeLimits{/*idempotency_retention_ms=*/60'000, /*max_request_lifetime_ms=*/10'000}) {
        core::PairParams params;
        params.skew_scale = dec("1000");
        params.max_abs_premium = dec("0.05");
        params.max_abs_oi = dec("500");
        params.initial_margin_ratio = dec("0.1");
        journal(core::SetPair{kBtc, params});
        journal(core::OracleUpdate{{{kBtc, dec("100")}}});
        journal(core::DepositMargin{Name::from("lp"), amt("1000000")});
        journal(core::DepositLiquidity{Name::from("lp"), amt("1000000"), std::nullopt});
        journal(core::DepositMargin{kAlice, amt("1000")});
        journal(core::DepositMargin{kBob, amt("1000")});
    }

    // What the sequencer does for one write: precheck, else journal and apply.
    Response write(const WriteRequest& request, core::TimeMs time) {
        const auto& command = std::get<core::CommandBody>(request.body);
        if (auto early = state_.precheck(request, command, time)) return *early;
        ++journaled_;
        return apply(command, time, request);
    }
    Response apply(const core::CommandBody& command, core::TimeMs time, const WriteRequest& request = {}) {
        JournalRecord record;
        record.seq = state_.last_seq() + 1;
        record.time = time;
        record.signed_by = request.signed_by;
        record.idempotency_key = request.idempotency_key;
        record.key_never_expires = request.key_never_expires;
        record.command = core::Command{time, command};
        return state_.apply(record);
    }
    Response journal(const core::CommandBody& command) { return apply(command, now_); }

    static WriteRequest signed_order(const Name& trader, const char* size, std::uint64_t nonce, core::TimeMs expiry,
                                     std::string key = {}) {
        core::SubmitOrder order;
        order.user = trader;
        order.pair = kBtc;
        order.size = dec(size);
        order.max_slippage = dec("0.1");
        WriteRequest request;
        request.body = core::CommandBody(order);
        request.signed_by = SignedBy{trader, nonce, expiry};
        request.idempotency_key = key.empty() ? "" : std::string(trader.view()) + ":" + key;
        return request;
    }

    ExchangeState state_;
    core::TimeMs now_ = kStart;
    int journaled_ = 0;
};

TEST_F(ExchangeStateTest, ARetryGetsTheFirstReplyAndIsNotAppliedTwice) {
    const Response first = write(signed_order(kAlice, "1", 1, kStart + 5'000, "k1"), kStart + 10);
    ASSERT_EQ(first.status, 200) << first.body;
    const Response retry = write(signed_order(kAlice, "1", 1, kStart + 5'000, "k1"), kStart + 20);
    EXPECT_EQ(retry.status, first.status);
    EXPECT_EQ(retry.body, first.body);
    EXPECT_EQ(journaled_, 1);
    const auto user = state_.engine().find_user(kAlice);
    EXPECT_EQ(state_.engine().view_user(user).positions.at(0).position.size, dec("1"));
}

TEST_F(ExchangeStateTest, AKeyReusedForADifferentRequestIsAConflict) {
    ASSERT_EQ(write(signed_order(kAlice, "1", 1, kStart + 5'000, "k1"), kStart).status, 200);
    const Response other = write(signed_order(kAlice, "2", 2, kStart + 5'000, "k1"), kStart);
    EXPECT_EQ(other.status, 409);
    EXPECT_NE(other.body.find("idempotency_conflict"), std::string::npos);
    EXPECT_EQ(journaled_, 1);
}

TEST_F(ExchangeStateTest, KeysAreScopedPerTrader) {
    ASSERT_EQ(write(signed_order(kAlice, "1", 1, kStart + 5'000, "same"), kStart).status, 200);
    EXPECT_EQ(write(signed_order(kBob, "1", 1, kStart + 5'000, "same"), kStart).status, 200);
    EXPECT_EQ(journaled_, 2);
}

TEST_F(ExchangeStateTest, AReusedNonceIsRefusedWithoutAKey) {
    ASSERT_EQ(write(signed_order(kAlice, "1", 7, kStart + 5'000), kStart).status, 200);
    const Response again = write(signed_order(kAlice, "1", 7, kStart + 5'000), kStart + 1);
    EXPECT_EQ(again.status, 409);
    EXPECT_NE(again.body.find("nonce_reused"), std::string::npos);
    // Another trader's nonce 7 is their own.
    EXPECT_EQ(write(signed_order(kBob, "1", 7, kStart + 5'000), kStart + 1).status, 200);
}

TEST_F(ExchangeStateTest, NoncesBelowTheWindowAreRefusedAndMemoryStaysBounded) {
    // Fill the window with nonces 100..163, then go higher: the window slides.
    const core::TimeMs expiry = kStart + 5'000;
    for (std::uint64_t nonce = 100; nonce < 100 + ExchangeState::kNonceWindow + 10; ++nonce)
        ASSERT_EQ(write(signed_order(kAlice, "0.01", nonce, expiry), kStart).status, 200) << nonce;
    // Now the window holds 110..173: 105 (used, then forgotten) may not come back.
    const Response old = write(signed_order(kAlice, "0.01", 105, expiry), kStart);
    EXPECT_EQ(old.status, 409);
    EXPECT_NE(old.body.find("nonce_too_old"), std::string::npos);
    EXPECT_EQ(write(signed_order(kAlice, "0.01", 150, expiry), kStart).status, 409) << "in the window: reused";
    EXPECT_EQ(write(signed_order(kAlice, "0.01", 1'000, expiry), kStart).status, 200);
    // A gap above the lowest is still usable: nonces need not be consecutive.
    EXPECT_EQ(write(signed_order(kAlice, "0.01", 500, expiry), kStart).status, 200);
}

TEST_F(ExchangeStateTest, ExpiredAndTooLongLivedRequestsAreRefused) {
    const Response expired = write(signed_order(kAlice, "1", 1, kStart + 100), kStart + 100);
    EXPECT_EQ(expired.status, 401);
    EXPECT_NE(expired.body.find("request_expired"), std::string::npos);
    const Response too_far = write(signed_order(kAlice, "1", 2, kStart + 10'001), kStart);
    EXPECT_EQ(too_far.status, 400);
    EXPECT_EQ(write(signed_order(kAlice, "1", 3, kStart + 10'000), kStart).status, 200);
    EXPECT_EQ(journaled_, 1);
}

TEST_F(ExchangeStateTest, AKeyIsFreeAgainAfterItsRetention) {
    ASSERT_EQ(write(signed_order(kAlice, "1", 1, kStart + 5'000, "k"), kStart).status, 200);
    const core::TimeMs later = kStart + 60'000;  // retention is 60 s
    EXPECT_EQ(write(signed_order(kAlice, "2", 2, later + 5'000, "k"), later).status, 200);
    EXPECT_EQ(journaled_, 2);
}

TEST_F(ExchangeStateTest, BridgeDepositKeysNeverExpire) {
    WriteRequest deposit;
    deposit.body = core::CommandBody(core::DepositMargin{kAlice, amt("5")});
    deposit.idempotency_key = "bridge:tx:0xfeed";
    deposit.key_never_expires = true;
    ASSERT_EQ(write(deposit, kStart).status, 200);
    EXPECT_EQ(write(deposit, kStart + 1'000'000'000).status, 200);
    EXPECT_EQ(journaled_, 1);
    EXPECT_EQ(state_.engine().view_user(state_.engine().find_user(kAlice)).margin, amt("1005"));
}

TEST_F(ExchangeStateTest, AcceptedWithdrawalsGoToTheOutboxInOrder) {
    ASSERT_EQ(journal(core::WithdrawMargin{kAlice, amt("100")}).status, 200);
    const Response refused = journal(core::WithdrawMargin{kBob, amt("5000")});
    EXPECT_EQ(refused.status, 422);
    ASSERT_EQ(journal(core::WithdrawMargin{kBob, amt("250")}).status, 200);

    ReadRequest read = ReadRequest::of(ReadKind::Withdrawals);
    const std::string all = state_.read(read).body;
    const std::string alice =
        R"({"id":"7","trader":")" + std::string(kAlice.view()) + R"(","amount":"100","time":1000000})";
    const std::string bob =
        R"({"id":"9","trader":")" + std::string(kBob.view()) + R"(","amount":"250","time":1000000})";
    EXPECT_EQ(all, R"({"withdrawals":[)" + alice + "," + bob + R"(],"next_after":"9"})");
    read.after = 7;
    EXPECT_EQ(state_.read(read).body, R"({"withdrawals":[)" + bob + R"(],"next_after":"9"})");
}

TEST_F(ExchangeStateTest, CancellingAnotherTradersOrderIs403) {
    core::SubmitOrder order;
    order.user = kAlice;
    order.pair = kBtc;
    order.size = dec("1");
    order.kind = core::OrderKind::Limit;
    order.limit_price = dec("90");
    ASSERT_EQ(journal(order).status, 200);
    const Response r = journal(core::CancelOrder{kBob, kBtc, 1});
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.find("not_your_order"), std::string::npos);
}

TEST_F(ExchangeStateTest, EverythingSurvivesASnapshot) {
    const Response first = write(signed_order(kAlice, "1", 1, kStart + 5'000, "k1"), kStart);
    ASSERT_EQ(journal(core::WithdrawMargin{kBob, amt("10")}).status, 200);
    std::string bytes;
    state_.encode_snapshot(bytes);

    ExchangeState restored(ExchangeLimits{60'000, 10'000});
    std::string error;
    ASSERT_TRUE(restored.decode_snapshot(bytes, error)) << error;
    EXPECT_EQ(restored.state_hash(), state_.state_hash());
    EXPECT_EQ(restored.last_seq(), state_.last_seq());
    const WriteRequest retry = signed_order(kAlice, "1", 1, kStart + 5'000, "k1");
    const auto early = restored.precheck(retry, std::get<core::CommandBody>(retry.body), kStart + 50);
    ASSERT_TRUE(early);
    EXPECT_EQ(early->body, first.body);
    const WriteRequest replayed_nonce = signed_order(kAlice, "3", 1, kStart + 5'000);
    const auto refused =
        restored.precheck(replayed_nonce, std::get<core::CommandBody>(replayed_nonce.body), kStart + 50);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 409);
    EXPECT_EQ(restored.read(ReadRequest::of(ReadKind::Withdrawals)).body,
              state_.read(ReadRequest::of(ReadKind::Withdrawals)).body);

    for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
        ExchangeState partial;
        EXPECT_FALSE(partial.decode_snapshot(std::string_view(bytes).substr(0, cut), error)) << "cut " << cut;
    }
}

}  // namespace
}  // namespace ballast::sequencer
