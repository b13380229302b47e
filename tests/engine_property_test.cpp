// Invariants over long random command streams with fixed seeds.
//
// After every command: funds are conserved to the base unit, every user's
// reserved margin is the sum over their resting orders, each pair's OI is the
// sum of its positions, the vault accumulator is the sum of signed cost bases,
// shares add up, and a rejected command left the state byte-identical.
// Replaying the same stream twice gives byte-identical output.
#include <gtest/gtest.h>

#include "api/outcome_encoder.hpp"
#include "command_generator.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

// Money that entered minus money that left, from the commands and events alone.
struct FundsLedger {
    u128 deposited = 0;
    u128 paid_out = 0;

    void record(const Command& command, const Outcome& outcome, const std::vector<Event>& events) {
        if (!outcome.ok()) return;
        if (const auto* d = std::get_if<DepositMargin>(&command.body)) deposited += d->amount.units();
        if (const auto* d = std::get_if<DepositLiquidity>(&command.body)) deposited += d->amount.units();
        if (const auto* w = std::get_if<WithdrawMargin>(&command.body)) paid_out += w->amount.units();
        for (const Event& e : events) {
            if (const auto* r = std::get_if<LiquidityReleasedEvent>(&e)) paid_out += r->amount.units();
        }
    }
};

void check_invariants(const Engine& engine, const FundsLedger& ledger) {
    u128 held = engine.vault().balance.units() + engine.vault().treasury.units();
    u128 shares = 0;
    std::vector<Dec> long_oi(engine.pair_count()), short_oi(engine.pair_count());
    std::vector<i128> entry_sum(engine.pair_count(), 0);
    std::vector<Dec> entry_funding_sum(engine.pair_count());
    std::vector<Dec> accrued_sum(engine.pair_count());
    std::vector<std::size_t> holder_count(engine.pair_count(), 0);
    for (UserId id = 0; id < engine.user_count(); ++id) {
        const UserState& user = engine.user(id);
        held += user.margin.units();
        shares += user.vault_shares.units();
        for (const Unlock& u : user.unlocks) held += u.amount.units();

        u128 reserved = 0;
        for (Slot s = engine.book().first_of_user(id); s != kNoSlot; s = engine.book().next_of_user(s)) {
            const RestingOrder& order = engine.book().at(s);
            reserved += order.reserved_margin.units();
            if (order.reduce_only) {
                ASSERT_TRUE(order.reserved_margin.is_zero()) << "reduce-only order holds margin";
            }
            ASSERT_FALSE(order.size.is_zero());
        }
        ASSERT_TRUE(reserved == user.reserved_margin.units()) << "reserved margin of " << user.name.view();

        for (const PositionEntry& e : user.positions) {
            ASSERT_FALSE(e.position.size.is_zero());
            const PairState& pair = engine.pair(e.pair);
            ASSERT_LT(e.holder_slot, pair.holders.size());
            ASSERT_EQ(pair.holders[e.holder_slot], id) << "holders index";
            ++holder_count[e.pair];
            entry_funding_sum[e.pair] += mul(e.position.size, e.position.entry_funding_per_unit, Rounding::Floor);
            accrued_sum[e.pair] += accrued_funding(e.position.size, engine.funding_now(pair).cumulative_per_unit,
                                                   e.position.entry_funding_per_unit);
            if (e.position.size.is_positive()) {
                long_oi[e.pair] += e.position.size;
                entry_sum[e.pair] += static_cast<i128>(e.position.cost_basis.units());
            } else {
                short_oi[e.pair] += e.position.size;
                entry_sum[e.pair] -= static_cast<i128>(e.position.cost_basis.units());
            }
        }
    }
    ASSERT_TRUE(ledger.deposited - ledger.paid_out == held) << "funds not conserved";
    ASSERT_TRUE(shares == engine.vault().share_supply.units()) << "share supply";
    for (PairId p = 0; p < engine.pair_count(); ++p) {
        ASSERT_EQ(engine.pair(p).long_oi, long_oi[p]) << "long OI of " << engine.pair_name(p);
        ASSERT_EQ(engine.pair(p).short_oi, short_oi[p]) << "short OI of " << engine.pair_name(p);
        ASSERT_TRUE(engine.pair(p).oi_weighted_entry_price == entry_sum[p]) << "entry accumulator";
        ASSERT_EQ(engine.pair(p).oi_weighted_entry_funding, entry_funding_sum[p]) << "entry funding accumulator";
        ASSERT_EQ(engine.pair(p).holders.size(), holder_count[p]) << "holders of " << engine.pair_name(p);
        // Funding owed to the vault by its accumulator equals the sum of what each
        // position owes, to the rounding of each term (1e-18 per term).
        const PairState& pair = engine.pair(p);
        if (!pair.holders.empty()) {
            const Dec by_accumulator = mul(engine.funding_now(pair).cumulative_per_unit, pair.skew(), Rounding::Floor) -
                                       pair.oi_weighted_entry_funding;
            const i128 slack = 3 * static_cast<i128>(pair.holders.size() + 1);
            ASSERT_LE(magnitude((by_accumulator - accrued_sum[p]).raw()), static_cast<u128>(slack))
                << "funding accumulator of " << engine.pair_name(p);
        }
    }
}

struct RunStats {
    int accepted = 0, rejected = 0, fills = 0, shortfalls = 0, bad_debts = 0, releases = 0;
    int liquidations = 0, adls = 0, funding_settlements = 0, fees = 0;
};

// After an oracle update, nobody whose prices are all fresh is left liquidatable.
void check_no_one_liquidatable(const Engine& engine) {
    for (UserId id = 0; id < engine.user_count(); ++id) {
        const UserState& user = engine.user(id);
        bool fresh = true;
        for (const PositionEntry& e : user.positions) {
            const PairState& pair = engine.pair(e.pair);
            fresh = fresh && (engine.params().max_oracle_age_ms == 0 ||
                              engine.clock() - pair.price_time <= engine.params().max_oracle_age_ms);
        }
        if (fresh) {
            ASSERT_FALSE(engine.is_liquidatable(user)) << "left liquidatable: " << user.name.view();
        }
    }
}

// Runs `count` commands; returns the replay-contract output of the whole run.
std::string run_stream(std::uint64_t seed, bool risk, int count, bool check, RunStats* stats = nullptr) {
    Engine engine;
    CommandGenerator generator(seed, risk);
    FundsLedger ledger;
    std::string output;
    for (int i = 0; i < count; ++i) {
        const Command command = generator.next(engine);
        const std::string before = check ? dump_state(engine) : std::string();
        const Outcome outcome = engine.apply(command);
        ballast::api::encode_outcome(engine, outcome, engine.events(), output);
        output.push_back('\n');
        if (!check) continue;
        if (!outcome.ok()) {
            EXPECT_EQ(dump_state(engine), before) << "rejected command " << i << " changed state: " << outcome.message;
            EXPECT_TRUE(engine.events().empty());
        }
        ledger.record(command, outcome, engine.events());
        check_invariants(engine, ledger);
        if (outcome.ok() && std::holds_alternative<OracleUpdate>(command.body)) check_no_one_liquidatable(engine);
        if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) {
            ADD_FAILURE() << "seed " << seed << ", command " << i;
            return output;
        }
        if (stats) {
            (outcome.ok() ? stats->accepted : stats->rejected)++;
            stats->fills += static_cast<int>(events_of<FillEvent>(engine.events()).size());
            stats->shortfalls += static_cast<int>(events_of<VaultShortfallEvent>(engine.events()).size());
            stats->bad_debts += static_cast<int>(events_of<BadDebtEvent>(engine.events()).size());
            stats->releases += static_cast<int>(events_of<LiquidityReleasedEvent>(engine.events()).size());
            for (const ForceCloseEvent& e : events_of<ForceCloseEvent>(engine.events()))
                (e.is_adl ? stats->adls : stats->liquidations)++;
            stats->funding_settlements += static_cast<int>(events_of<FundingSettledEvent>(engine.events()).size());
            for (const FillEvent& e : events_of<FillEvent>(engine.events())) stats->fees += e.fee.is_zero() ? 0 : 1;
        }
    }
    return output;
}

class EngineProperty : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(EngineProperty, InvariantsHoldOverRandomCommands) {
    RunStats stats;
    run_stream(GetParam(), /*risk=*/false, 40'000, /*check=*/true, &stats);
    // The stream must exercise the engine, or the invariants prove little.
    EXPECT_GT(stats.fills, 2'000);
    EXPECT_GT(stats.rejected, 1'000);
    EXPECT_GT(stats.accepted, 20'000);
    EXPECT_GT(stats.releases, 20);
    EXPECT_GT(stats.shortfalls, 0);
    RecordProperty("fills", stats.fills);
    RecordProperty("shortfalls", stats.shortfalls);
    RecordProperty("bad_debts", stats.bad_debts);
}

// Three seeds of 40,000 commands: 120,000 random commands checked in all.
INSTANTIATE_TEST_SUITE_P(Seeds, EngineProperty, ::testing::Values(1u, 42u, 20261122u));

class RiskEngineProperty : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(RiskEngineProperty, InvariantsHoldWithFundingFeesAndLiquidations) {
    RunStats stats;
    run_stream(GetParam(), /*risk=*/true, 35'000, /*check=*/true, &stats);
    EXPECT_GT(stats.fills, 2'000);
    EXPECT_GT(stats.liquidations, 5);
    EXPECT_GT(stats.funding_settlements, 500);
    EXPECT_GT(stats.fees, 500);
    RecordProperty("fills", stats.fills);
    RecordProperty("liquidations", stats.liquidations);
    RecordProperty("adls", stats.adls);
    RecordProperty("bad_debts", stats.bad_debts);
    RecordProperty("funding_settlements", stats.funding_settlements);
}

// Three seeds of 35,000 commands with time moving: 105,000 more.
INSTANTIATE_TEST_SUITE_P(Seeds, RiskEngineProperty, ::testing::Values(3u, 77u, 20261123u));

TEST(EngineDeterminism, SameInputGivesByteIdenticalOutput) {
    for (bool risk : {false, true}) {
        const std::string first = run_stream(7, risk, 20'000, /*check=*/false);
        const std::string second = run_stream(7, risk, 20'000, /*check=*/false);
        EXPECT_EQ(first.size(), second.size());
        EXPECT_TRUE(first == second);
    }
}

}  // namespace
