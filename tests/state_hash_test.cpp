// The state hash covers the whole state: engine and service layer. A state
// reached by real commands is encoded, every bit of the encoding is flipped
// in turn, and every flip that decodes to a different state must hash
// differently; states that behave differently must never share a hash.
#include <gtest/gtest.h>

#include <fstream>

#include "engine_harness.hpp"
#include "sequencer/exchange_state.hpp"
#include "sequencer/sequencer.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

namespace ballast::sequencer {
namespace {

using core::Name;
using testing::amt;
using testing::dec;
namespace fs = std::filesystem;

const Name kAlice = Name::from("0x00000000000000000000000000000000000000a1");
const Name kBob = Name::from("0x00000000000000000000000000000000000000b2");
const Name kLp = Name::from("lp");
const Name kBtc = Name::from("BTC");
const Name kEth = Name::from("ETH");
constexpr core::TimeMs kStart = 1'000'000;

core::PairParams params(const char* skew_scale) {
    core::PairParams p;
    p.skew_scale = dec(skew_scale);
    p.max_abs_premium = dec("0.05");
    p.max_abs_oi = dec("100000");
    p.initial_margin_ratio = dec("0.1");
    p.maintenance_margin_ratio = dec("0.05");
    p.liquidation_fee_rate = dec("0.01");
    p.maker_fee_rate = dec("0.0002");
    p.taker_fee_rate = dec("0.0006");
    p.max_funding_velocity = dec("3");
    p.max_abs_funding_rate = dec("0.1");
    p.max_limit_price_deviation = dec("0.2");
    p.min_order_notional = dec("1");
    return p;
}

core::SubmitOrder order(const Name& user, const Name& pair, const char* size, const char* limit_price = nullptr) {
    core::SubmitOrder o;
    o.user = user;
    o.pair = pair;
    o.size = dec(size);
    if (limit_price != nullptr) {
        o.kind = core::OrderKind::Limit;
        o.limit_price = dec(limit_price);
    } else {
        o.max_slippage = dec("0.1");
    }
    return o;
}

// Journals commands into a state the way the sequencer does, checking each is accepted.
class Session {
public:
    Response run(const core::CommandBody& command, core::TimeMs time, std::optional<SignedBy> signed_by = {},
                 std::string key = {}, bool key_never_expires = false) {
        JournalRecord record;
        record.seq = state.last_seq() + 1;
        record.time = time;
        record.signed_by = std::move(signed_by);
        record.idempotency_key = std::move(key);
        record.key_never_expires = key_never_expires;
        record.command = core::Command{time, command};
        const Response r = state.apply(record);
        EXPECT_EQ(r.status, 200) << "seq " << record.seq << ": " << r.body;
        return r;
    }

    ExchangeState state;
};

// Every part of the state holds something: global and pair parameters,
// prices and their times, funding, open interest, a paused pair, positions,
// resting orders, vault shares and an unlock, nonces, idempotent replies
// (one never expiring) and the withdrawal outbox.
void reach_a_rich_state(Session& s) {
    core::TimeMs t = kStart;
    core::SetParams global;
    global.vault_cooldown_ms = 3'600'000;
    global.max_open_orders = 50;
    global.max_oracle_age_ms = 600'000;
    global.adl_trigger_ratio = dec("0.05");
    global.protocol_fee_share = dec("0.2");
    s.run(global, t);
    s.run(core::SetPair{kBtc, params("10000")}, t);
    s.run(core::SetPair{kEth, params("200000")}, t);
    s.run(core::OracleUpdate{{{kBtc, dec("100")}, {kEth, dec("10")}}}, t);
    s.run(core::DepositMargin{kLp, amt("1000000")}, t);
    s.run(core::DepositLiquidity{kLp, amt("1000000"), std::nullopt}, t);
    s.run(core::DepositMargin{kAlice, amt("100000")}, t, {}, "bridge:tx:0x01", true);
    s.run(core::DepositMargin{kBob, amt("100000")}, t, {}, "bridge:tx:0x02", true);
    t += 1'000;
    s.run(order(kAlice, kBtc, "5"), t, SignedBy{kAlice, 1, t + 60'000}, std::string(kAlice.view()) + ":k1");
    s.run(order(kBob, kEth, "-20"), t, SignedBy{kBob, 1, t + 60'000});
    s.run(order(kAlice, kBtc, "1", "95"), t, SignedBy{kAlice, 2, t + 60'000});
    s.run(order(kBob, kEth, "-2", "11"), t, SignedBy{kBob, 2, t + 60'000});
    t += 60'000;
    s.run(core::OracleUpdate{{{kBtc, dec("101")}, {kEth, dec("10.1")}}}, t);
    s.run(core::WithdrawMargin{kBob, amt("100")}, t, SignedBy{kBob, 3, t + 60'000});
    const core::Engine& engine = s.state.engine();
    const core::Amount shares = engine.user(*engine.find_user(kLp)).vault_shares;
    s.run(core::UnlockLiquidity{kLp, core::Amount(shares.units() / 10)}, t);
    s.run(core::SetPairStatus{kEth, core::PairStatus::Paused}, t);
}

std::string canonical(const ExchangeState& state) {
    std::string out;
    state.encode_canonical(out);
    return out;
}

TEST(StateHash, EveryBitOfARestoredStateThatChangesItChangesTheHash) {
    Session s;
    reach_a_rich_state(s);
    std::string bytes;
    s.state.encode_snapshot(bytes);
    const std::string original = canonical(s.state);
    const std::string hash = s.state.state_hash();

    int decoded = 0, different = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string mutated = bytes;
            mutated[i] = static_cast<char>(mutated[i] ^ (1 << bit));
            ExchangeState restored;
            std::string error;
            if (!restored.decode_snapshot(mutated, error)) continue;
            ++decoded;
            // A flip that decodes to the same state (a redundant encoding of
            // the same value) must hash the same; any other must not.
            if (canonical(restored) == original) {
                EXPECT_EQ(restored.state_hash(), hash) << "byte " << i << " bit " << bit;
            } else {
                ++different;
                EXPECT_NE(restored.state_hash(), hash) << "byte " << i << " bit " << bit << " of " << bytes.size();
            }
        }
    }
    // Most flips break a checked structure; thousands still decode.
    EXPECT_GT(different, 1'000) << decoded << " of " << bytes.size() * 8 << " flips decoded";
}

TEST(StateHash, APausedPairAndAnActiveOneHashDifferently) {
    Session active, paused;
    reach_a_rich_state(active);
    reach_a_rich_state(paused);
    const core::TimeMs t = active.state.last_time();
    active.run(core::SetPairStatus{kEth, core::PairStatus::Active}, t);
    paused.run(core::SetPairStatus{kEth, core::PairStatus::Paused}, t);
    ASSERT_EQ(active.state.last_seq(), paused.state.last_seq());
    EXPECT_NE(active.state.state_hash(), paused.state.state_hash());

    // They behave differently: the same order fills in one and is refused in the other.
    JournalRecord record;
    record.seq = active.state.last_seq() + 1;
    record.time = t;
    record.command = core::Command{t, order(kAlice, kEth, "1")};
    EXPECT_EQ(active.state.apply(record).status, 200);
    const Response refused = paused.state.apply(record);
    EXPECT_EQ(refused.status, 422);
    EXPECT_NE(refused.body.find("market_paused"), std::string::npos) << refused.body;
}

TEST(StateHash, EqualStatesHashTheSameWhateverTheirHistoryOfInsertions) {
    Session s;
    reach_a_rich_state(s);
    std::string bytes;
    s.state.encode_snapshot(bytes);
    ExchangeState restored;
    std::string error;
    ASSERT_TRUE(restored.decode_snapshot(bytes, error)) << error;
    EXPECT_EQ(canonical(restored), canonical(s.state));
    EXPECT_EQ(restored.state_hash(), s.state.state_hash());
    // The canonical encoding is itself a valid snapshot of the same state.
    ExchangeState from_canonical;
    ASSERT_TRUE(from_canonical.decode_snapshot(canonical(s.state), error)) << error;
    EXPECT_EQ(from_canonical.state_hash(), s.state.state_hash());
}

// Out of line: GCC 12 at -O3 warns falsely (maybe-uninitialized) about the
// nested variant when this is inlined into a test body.
[[gnu::noinline]] Response cancel_all(Sequencer& s, const Name& trader, SignedBy signed_by) {
    return s.call(WriteRequest{CancelAllOrders{trader, kBtc}, signed_by, {}, false});
}

// `ballast journal dump | ballast replay --state-hash` rebuilds the service
// layer too: signed requests' nonces, idempotent replies (and their expiry,
// which depends on the configured retention), the withdrawal outbox.
TEST(StateHash, AnOfflineReplayOfTheJournalHashesLikeTheLiveExchange) {
    testing::TempDir dir("offline-hash");
    SequencerConfig config;
    config.data_dir = dir.path() / "data";
    config.limits.idempotency_retention_ms = 60'000;
    std::atomic<core::TimeMs> now{kStart};
    std::string live_hash;
    {
        Sequencer s(config, nullptr, [&] { return now.load(); });
        s.start();
        auto write = [&](core::CommandBody command, std::optional<SignedBy> signed_by = {}, std::string key = {},
                         bool never = false) {
            WriteRequest request;
            request.body = std::move(command);
            request.signed_by = std::move(signed_by);
            request.idempotency_key = std::move(key);
            request.key_never_expires = never;
            const Response r = s.call(std::move(request));
            EXPECT_EQ(r.status, 200) << r.body;
        };
        write(core::SetPair{kBtc, params("10000")});
        write(core::OracleUpdate{{{kBtc, dec("100")}}});
        write(core::DepositMargin{kLp, amt("1000000")});
        write(core::DepositLiquidity{kLp, amt("1000000"), std::nullopt});
        write(core::DepositMargin{kAlice, amt("100000")}, {}, "bridge:tx:0x01", true);
        write(order(kAlice, kBtc, "1"), SignedBy{kAlice, 1, kStart + 30'000}, std::string(kAlice.view()) + ":k1");
        write(order(kAlice, kBtc, "1", "95"), SignedBy{kAlice, 2, kStart + 30'000});
        now = kStart + 61'000;  // the first key's reply has expired and is dropped at the next command
        write(core::OracleUpdate{{{kBtc, dec("101")}}});
        write(order(kAlice, kBtc, "-1"), SignedBy{kAlice, 3, now + 30'000}, std::string(kAlice.view()) + ":k2");
        write(core::WithdrawMargin{kAlice, amt("10")}, SignedBy{kAlice, 4, now + 30'000});
        const Response all = cancel_all(s, kAlice, SignedBy{kAlice, 5, now + 30'000});
        EXPECT_EQ(all.status, 200) << all.body;
        s.stop();
        live_hash = s.state().state_hash();
    }
    const std::string bin = testing::ballast_binary();
    const std::string dump = bin + " journal dump " + config.data_dir.string() + " | " + bin + " replay --state-hash";
    const fs::path toml = dir.path() / "ballast.toml";
    std::ofstream(toml) << "[limits]\nidempotency_retention_seconds = 60\n";
    EXPECT_EQ(testing::run_command(dump + " --config " + toml.string()), live_hash + "\n");
    // With the default retention (24 h) the first reply would still be held: another state.
    EXPECT_NE(testing::run_command(dump), live_hash + "\n");

    // Without --state-hash the service-fields lines print nothing: one result per command.
    const std::string lines = testing::run_command(bin + " journal dump " + config.data_dir.string());
    const std::string results =
        testing::run_command(bin + " journal dump " + config.data_dir.string() + " | " + bin + " replay");
    const auto count = [](const std::string& text, std::string_view starting) {
        std::size_t n = 0;
        for (std::size_t at = 0; at < text.size(); at = text.find('\n', at) + 1) {
            if (std::string_view(text).substr(at).starts_with(starting)) ++n;
        }
        return n;
    };
    EXPECT_EQ(count(lines, R"({"cmd":)"), 11u) << lines;  // 10 writes, and the cancel-all as 1 cancel
    EXPECT_GT(count(lines, R"({"journal":)"), 0u) << lines;
    EXPECT_EQ(count(results, "{"), 11u) << results;
}

}  // namespace
}  // namespace ballast::sequencer
