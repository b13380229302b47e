// Invariants over long random command streams with fixed seeds.
//
// After every command:
// - money is conserved to the base unit: margin deposits less withdrawals
//   equal what the traders, the vault, the treasury and the pending vault
//   deposits hold;
// - every account's margin equals an independent ledger of that account
//   built from the commands and events alone (deposits, withdrawals, vault
//   requests, settled PnL, funding and fees, shortfalls, bad debt, releases,
//   refunds), so no account ever holds a unit that no event explains;
// - shares add up (free plus locked in unlocks), pending deposits add up,
//   reserved margin is the sum over resting orders, OI and the vault's
//   accumulators are the sums over positions;
// - a rejected command leaves the whole state (its snapshot encoding)
//   byte-identical and emits nothing;
// - a release never pays more than its value when priced, and leaves the
//   vault holding at least what it owes winning traders (computed here);
// - after an oracle update, nobody with fresh prices is left liquidatable.
// Each stream must also reach the hard states, counted per seed; a property
// that is never exercised is not tested.
#include <gtest/gtest.h>

#include <map>

#include "api/outcome_encoder.hpp"
#include "command_generator.hpp"
#include "core/snapshot_codec.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

// Money in and out, globally and per account, from commands and events only.
struct Ledger {
    u128 deposited = 0;
    u128 withdrawn = 0;
    std::map<std::string, i128> margin;  // by user name

    void record(const Engine& engine, const Command& command, const Outcome& outcome,
                const std::vector<Event>& events) {
        if (!outcome.ok()) return;
        auto units = [](Amount a) { return static_cast<i128>(a.units()); };
        if (const auto* d = std::get_if<DepositMargin>(&command.body)) {
            deposited += d->amount.units();
            margin[std::string(d->user.view())] += units(d->amount);
        }
        if (const auto* w = std::get_if<WithdrawMargin>(&command.body)) {
            withdrawn += w->amount.units();
            margin[std::string(w->user.view())] -= units(w->amount);
        }
        if (const auto* d = std::get_if<DepositLiquidity>(&command.body))
            margin[std::string(d->user.view())] -= units(d->amount);
        if (const auto* f = std::get_if<FundVault>(&command.body); f && f->user)
            margin[std::string(f->user->view())] -= units(f->amount);
        for (const Event& e : events) {
            auto of = [&](UserId id) -> i128& { return margin[std::string(engine.user_name(id))]; };
            if (const auto* f = std::get_if<FillEvent>(&e); f && f->order_id != kNoOrder)
                of(f->user) += f->realized_pnl - f->funding - units(f->fee);  // a settling fill
            if (const auto* c = std::get_if<ForceCloseEvent>(&e)) of(c->user) += c->net_pnl - units(c->fee);
            if (const auto* s = std::get_if<VaultShortfallEvent>(&e)) of(s->user) -= units(s->amount);
            if (const auto* b = std::get_if<BadDebtEvent>(&e)) of(b->user) += units(b->amount);
            if (const auto* r = std::get_if<LiquidityReleasedEvent>(&e)) of(r->user) += units(r->amount);
            if (const auto* r = std::get_if<DepositRefundedEvent>(&e)) of(r->user) += units(r->amount);
        }
    }
};

// What the vault owes traders in profit, from the positions: the sum over
// accounts of max(0, unrealized PnL - accrued funding), each rounded down.
Dec owed_to_winners(const Engine& engine) {
    Dec owed;
    for (UserId id = 0; id < engine.user_count(); ++id) {
        Dec net;
        for (const PositionEntry& e : engine.user(id).positions) {
            const PairState& pair = engine.pair(e.pair);
            const Position& p = e.position;
            const Dec value = mul(p.size, *pair.oracle_price, Rounding::Floor);
            const Dec cost = Dec::from_amount(p.cost_basis);
            net += p.size.is_positive() ? value - cost : value + cost;
            net -= mul(p.size, engine.funding_now(pair).cumulative_per_unit - p.entry_funding_per_unit, Rounding::Ceil);
        }
        if (net.is_positive()) owed += net;
    }
    return owed;
}

void check_invariants(const Engine& engine, const Ledger& ledger) {
    u128 held =
        engine.vault().balance.units() + engine.vault().treasury.units() + engine.vault().pending_deposits.units();
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
        for (const Unlock& u : user.unlocks) shares += u.shares.units();
        const auto expected = ledger.margin.find(std::string(user.name.view()));
        const i128 expected_margin = expected == ledger.margin.end() ? 0 : expected->second;
        ASSERT_TRUE(static_cast<i128>(user.margin.units()) == expected_margin)
            << "the margin of " << user.name.view() << " is not what its events explain";

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
    ASSERT_TRUE(ledger.deposited - ledger.withdrawn == held) << "funds not conserved";
    ASSERT_TRUE(ledger.deposited - ledger.withdrawn == engine.money_in().units()) << "money in";
    ASSERT_TRUE(shares == engine.vault().share_supply.units()) << "share supply";
    u128 pending = 0;
    for (const PendingDeposit& d : engine.pending_deposits()) pending += d.amount.units();
    ASSERT_TRUE(pending == engine.vault().pending_deposits.units()) << "pending deposits";
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

// A release pays at most its value when priced, and leaves the vault able to
// pay every winning trader.
void check_releases(const Engine& engine) {
    bool paid = false;
    for (const LiquidityReleasedEvent& r : events_of<LiquidityReleasedEvent>(engine.events())) {
        ASSERT_LE(r.amount, r.value_at_request);
        paid = paid || !r.amount.is_zero();
    }
    if (paid) {
        ASSERT_GE(Dec::from_amount(engine.vault().balance), owed_to_winners(engine))
            << "a release left winning traders unpaid";
    }
}

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

struct RunStats {
    int accepted = 0, rejected = 0, fills = 0, shortfalls = 0, bad_debts = 0, releases = 0;
    int liquidations = 0, adls = 0, funding_settlements = 0, fees = 0;
    int clamp_crossings = 0, funding_at_cap = 0, pair_queries = 0;
    int pending_deposits = 0, refunds = 0, margin_cancels = 0, vault_refusals = 0;
};

// Whether a fill from skew s0 by `size` crosses the clamp boundary +-K*M.
bool crosses_clamp(Dec s0, Dec size, const PairParams& params) {
    const Dec limit = mul(params.skew_scale, params.max_abs_premium, Rounding::Floor);
    const Dec s1 = s0 + size;
    auto inside = [&](Dec s) { return s.abs() <= limit; };
    auto above = [&](Dec s) { return s >= limit; };
    auto below = [&](Dec s) { return s <= -limit; };
    return !(inside(s0) && inside(s1)) && !(above(s0) && above(s1)) && !(below(s0) && below(s1));
}

void count(const Engine& engine, const Command& command, const Outcome& outcome, const std::vector<Dec>& skew_before,
           RunStats& stats) {
    (outcome.ok() ? stats.accepted : stats.rejected)++;
    const auto& events = engine.events();
    stats.fills += static_cast<int>(events_of<FillEvent>(events).size());
    stats.shortfalls += static_cast<int>(events_of<VaultShortfallEvent>(events).size());
    stats.bad_debts += static_cast<int>(events_of<BadDebtEvent>(events).size());
    stats.releases += static_cast<int>(events_of<LiquidityReleasedEvent>(events).size());
    stats.refunds += static_cast<int>(events_of<DepositRefundedEvent>(events).size());
    for (const ForceCloseEvent& e : events_of<ForceCloseEvent>(events)) (e.is_adl ? stats.adls : stats.liquidations)++;
    stats.funding_settlements += static_cast<int>(events_of<FundingSettledEvent>(events).size());
    for (const OrderCanceledEvent& e : events_of<OrderCanceledEvent>(events))
        stats.margin_cancels += e.reason == CancelReason::InsufficientMargin ? 1 : 0;
    std::vector<Dec> skew = skew_before;
    for (const FillEvent& e : events_of<FillEvent>(events)) {
        stats.fees += e.fee.is_zero() ? 0 : 1;
        if (e.pair < skew.size()) {
            if (crosses_clamp(skew[e.pair], e.size, engine.pair(e.pair).params)) ++stats.clamp_crossings;
            skew[e.pair] += e.size;
        }
    }
    if (outcome.ok() && std::holds_alternative<QueryPair>(command.body)) ++stats.pair_queries;
    if (outcome.ok() && std::holds_alternative<DepositLiquidity>(command.body) &&
        !std::get<DepositLiquidityReply>(outcome.reply).shares_minted)
        ++stats.pending_deposits;
    if (outcome.error == ErrorCode::VaultInsolvent) ++stats.vault_refusals;
    if (outcome.ok() && std::holds_alternative<OracleUpdate>(command.body)) {
        for (PairId p = 0; p < engine.pair_count(); ++p) {
            const PairState& pair = engine.pair(p);
            const Dec cap = pair.params.max_abs_funding_rate;
            if (cap.is_positive() && pair.funding.rate.abs() == cap) ++stats.funding_at_cap;
        }
    }
}

std::string snapshot_of(const Engine& engine) {
    std::string out;
    encode_engine(engine, out);
    return out;
}

// Runs `count` commands; returns the replay-contract output of the whole run.
std::string run_stream(std::uint64_t seed, GeneratorMode mode, int commands, bool check, RunStats* stats = nullptr) {
    Engine engine;
    CommandGenerator generator(seed, mode);
    Ledger ledger;
    std::string output;
    for (int i = 0; i < commands; ++i) {
        const Command command = generator.next(engine);
        const std::string before = check ? snapshot_of(engine) : std::string();
        std::vector<Dec> skew_before;
        for (PairId p = 0; p < engine.pair_count(); ++p) skew_before.push_back(engine.pair(p).skew());
        const Outcome outcome = engine.apply(command);
        ballast::api::encode_outcome(engine, outcome, engine.events(), output);
        output.push_back('\n');
        if (!check) continue;
        if (!outcome.ok()) {
            EXPECT_TRUE(snapshot_of(engine) == before)
                << "rejected command " << i << " changed the state: " << outcome.message;
            EXPECT_TRUE(engine.events().empty());
        }
        ledger.record(engine, command, outcome, engine.events());
        check_invariants(engine, ledger);
        check_releases(engine);
        if (outcome.ok() && std::holds_alternative<OracleUpdate>(command.body)) check_no_one_liquidatable(engine);
        if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) {
            ADD_FAILURE() << "seed " << seed << ", command " << i;
            return output;
        }
        if (stats) count(engine, command, outcome, skew_before, *stats);
    }
    return output;
}

void record(const RunStats& s) {
    ::testing::Test::RecordProperty("fills", s.fills);
    ::testing::Test::RecordProperty("liquidations", s.liquidations);
    ::testing::Test::RecordProperty("adls", s.adls);
    ::testing::Test::RecordProperty("bad_debts", s.bad_debts);
    ::testing::Test::RecordProperty("shortfalls", s.shortfalls);
    ::testing::Test::RecordProperty("releases", s.releases);
    ::testing::Test::RecordProperty("funding_at_cap", s.funding_at_cap);
    ::testing::Test::RecordProperty("clamp_crossings", s.clamp_crossings);
    ::testing::Test::RecordProperty("pending_deposits", s.pending_deposits);
    std::printf(
        "fills %d liquidations %d adls %d bad_debts %d shortfalls %d releases %d funding_at_cap %d clamp_crossings %d "
        "pair_queries %d pending_deposits %d refunds %d margin_cancels %d vault_refusals %d rejected %d\n",
        s.fills, s.liquidations, s.adls, s.bad_debts, s.shortfalls, s.releases, s.funding_at_cap, s.clamp_crossings,
        s.pair_queries, s.pending_deposits, s.refunds, s.margin_cancels, s.vault_refusals, s.rejected);
}

class EngineProperty : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(EngineProperty, InvariantsHoldOverRandomCommands) {
    RunStats stats;
    run_stream(GetParam(), GeneratorMode::Plain, 40'000, /*check=*/true, &stats);
    record(stats);
    // The stream must exercise the engine, or the invariants prove little.
    EXPECT_GT(stats.fills, 2'000);
    EXPECT_GT(stats.rejected, 1'000);
    EXPECT_GT(stats.accepted, 20'000);
    EXPECT_GT(stats.releases, 20);
    EXPECT_GT(stats.shortfalls, 0);
    EXPECT_GT(stats.clamp_crossings, 50);
    EXPECT_GT(stats.pair_queries, 50);
    EXPECT_GT(stats.pending_deposits, 20);
}

// Three seeds of 40,000 commands: 120,000 random commands checked in all.
INSTANTIATE_TEST_SUITE_P(Seeds, EngineProperty, ::testing::Values(1u, 42u, 20261122u));

class RiskEngineProperty : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(RiskEngineProperty, InvariantsHoldWithFundingFeesAndLiquidations) {
    RunStats stats;
    run_stream(GetParam(), GeneratorMode::Risk, 35'000, /*check=*/true, &stats);
    record(stats);
    EXPECT_GT(stats.fills, 2'000);
    EXPECT_GT(stats.liquidations, 10);
    EXPECT_GT(stats.adls, 10);
    EXPECT_GT(stats.bad_debts, 0);
    EXPECT_GT(stats.shortfalls, 0);
    EXPECT_GT(stats.releases, 50);
    EXPECT_GT(stats.funding_settlements, 500);
    EXPECT_GT(stats.funding_at_cap, 20);
    EXPECT_GT(stats.clamp_crossings, 50);
    EXPECT_GT(stats.fees, 500);
    EXPECT_GT(stats.pair_queries, 50);
    EXPECT_GT(stats.pending_deposits, 20);
}

// Three seeds of 35,000 commands with time moving: 105,000 more.
INSTANTIATE_TEST_SUITE_P(Seeds, RiskEngineProperty, ::testing::Values(3u, 77u, 20261123u));

// Sizes, prices and amounts at and beyond the engine's ceilings (issue "Money
// safety", finding 9): no command aborts the engine (nothing after a commit
// point may throw; an abort ends this test binary), every invariant above
// still holds, and every read of every reachable state succeeds and encodes.
void read_everything(const Engine& engine) {
    std::string out;
    for (UserId id = 0; id < engine.user_count(); ++id)
        ballast::api::encode_reply(engine, Reply{engine.view_user(id)}, out);
    for (PairId id = 0; id < engine.pair_count(); ++id)
        ballast::api::encode_reply(engine, Reply{engine.view_pair(id)}, out);
    ballast::api::encode_reply(engine, Reply{engine.view_vault()}, out);
}

class ExtremeProperty : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ExtremeProperty, NoAbortAndEveryReadSucceedsWithExtremeValues) {
    Engine engine;
    CommandGenerator generator(GetParam(), GeneratorMode::Extreme);
    Ledger ledger;
    RunStats stats;
    int too_large = 0, overflow = 0;
    for (int i = 0; i < 60'000; ++i) {
        const Command command = generator.next(engine);
        std::vector<Dec> skew_before;
        for (PairId p = 0; p < engine.pair_count(); ++p) skew_before.push_back(engine.pair(p).skew());
        const Outcome outcome = engine.apply(command);
        too_large += outcome.error == ErrorCode::TooLarge ? 1 : 0;
        overflow += outcome.error == ErrorCode::Overflow ? 1 : 0;
        ledger.record(engine, command, outcome, engine.events());
        check_invariants(engine, ledger);
        EXPECT_NO_THROW(read_everything(engine));
        if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) {
            ADD_FAILURE() << "seed " << GetParam() << ", command " << i;
            return;
        }
        count(engine, command, outcome, skew_before, stats);
    }
    record(stats);
    std::printf("too_large %d overflow %d\n", too_large, overflow);
    // The extremes must be reached: refused at the door, and some overflowing products refused too.
    EXPECT_GT(too_large, 1'000);
    EXPECT_GT(stats.fills, 1'000);
    EXPECT_GT(stats.liquidations, 0);
}

// Two seeds of 60,000 commands: 120,000 with extreme values.
INSTANTIATE_TEST_SUITE_P(Seeds, ExtremeProperty, ::testing::Values(11u, 20261202u));

TEST(EngineDeterminism, SameInputGivesByteIdenticalOutput) {
    for (GeneratorMode mode : {GeneratorMode::Plain, GeneratorMode::Risk}) {
        const std::string first = run_stream(7, mode, 20'000, /*check=*/false);
        const std::string second = run_stream(7, mode, 20'000, /*check=*/false);
        EXPECT_EQ(first.size(), second.size());
        EXPECT_TRUE(first == second);
    }
}

}  // namespace
