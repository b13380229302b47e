// Invariants over long random command streams with fixed seeds.
//
// After every command: funds are conserved to the base unit, every user's
// reserved margin is the sum over their resting orders, each pair's OI is the
// sum of its positions, the vault accumulator is the sum of signed cost bases,
// shares add up, and a rejected command left the state byte-identical.
// Replaying the same stream twice gives byte-identical output.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "api/outcome_encoder.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

constexpr int kUsers = 12;
const char* const kPairs[] = {"BTC", "ETH", "SOL"};

// risk: the risk engine's features on (maintenance margin and liquidation,
// fees, funding, ADL, oracle age, market status, forced closes), with time
// moving by up to an hour a command so funding matters.
class CommandGenerator {
public:
    CommandGenerator(std::uint64_t seed, bool risk) : rng_(seed), risk_(risk) {
        for (const char* pair : kPairs) prices_[pair] = 100'000;  // in 1/1000 units: 100.000
    }

    // The first commands set the market up; the rest are random.
    Command next(const Engine& engine) {
        ++count_;
        if (count_ <= 3) return {std::nullopt, SetPair{name(kPairs[count_ - 1]), pair_params()}};
        if (count_ == 4) {
            SetParams p{2'000, 20, std::nullopt};
            if (risk_) {
                p.max_oracle_age_ms = 20'000'000;
                p.protocol_fee_share = milli(300);
                p.adl_trigger_ratio = milli(50);
            }
            return {std::nullopt, p};
        }
        if (count_ == 5) return oracle_update();
        if (count_ == 6) return {tick(), DepositLiquidity{name("lp0"), Amount(5'000), std::nullopt}};

        const int roll = pick(0, 99);
        if (roll < 12) return oracle_update();
        if (roll < 22) return {tick(), DepositMargin{user(), Amount(pick(1, 800))}};
        if (roll < 27) return {tick(), WithdrawMargin{user(), Amount(pick(0, 3'000))}};
        if (roll < 28) return {tick(), DepositLiquidity{lp(), Amount(pick(0, 4'000)), maybe_min_shares()}};
        if (roll < 33) return {tick(), UnlockLiquidity{lp(), Amount(static_cast<u128>(pick(0, 4'000)) * 1'000'000)}};
        if (roll < 55) return {tick(), market_order()};
        if (roll < 80) return {tick(), limit_order()};
        if (roll < 90) return cancel(engine);
        if (roll < 93) return {tick(), QueryUser{user()}};
        if (roll < 95) return {tick(), QueryVault{}};
        if (roll < 96) return {tick(), SetPair{name(kPairs[pick(0, 2)]), pair_params()}};
        if (roll < 97) {
            if (risk_ && pick(0, 1) == 0) return risk_command();
            return {time_ - pick(1, 50), QueryVault{}};  // time going backwards: rejected
        }
        if (roll < 98)
            return {tick(),
                    SubmitOrder{user(), name("NOPE"), Dec::one(), OrderKind::Market, Dec::zero(), Dec::zero(), false}};
        return {tick(), SetParams{pick(0, 3'000), static_cast<std::uint32_t>(pick(0, 25)), std::nullopt}};
    }

private:
    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    std::optional<TimeMs> tick() {
        if (pick(0, 3) == 0) return std::nullopt;  // no time: the clock stays
        time_ += risk_ ? pick(0, 4'000'000) : pick(0, 400);
        return time_;
    }
    Command risk_command() {
        const int roll = pick(0, 9);
        if (roll < 2) {
            const PairStatus statuses[] = {PairStatus::Active, PairStatus::Active, PairStatus::ReduceOnly,
                                           PairStatus::Paused};
            return {tick(), SetPairStatus{name(kPairs[pick(0, 2)]), statuses[pick(0, 3)]}};
        }
        return {tick(), ForceClose{user(), name(roll < 4 ? "admin" : "keeper")}};
    }
    Name user() { return name("u" + std::to_string(pick(0, kUsers - 1))); }
    Name lp() { return name("lp" + std::to_string(pick(0, 2))); }
    std::optional<Amount> maybe_min_shares() {
        if (pick(0, 3) != 0) return std::nullopt;
        return Amount(static_cast<u128>(pick(0, 5'000)) * 1'000'000);
    }
    // Thousandths as a Dec: 12345 -> 12.345.
    static Dec milli(std::int64_t v) { return Dec::from_raw(static_cast<i128>(v) * (Dec::kScale / 1000)); }

    PairParams pair_params() {
        PairParams p{milli(pick(50, 5'000) * 1000), milli(pick(0, 100)), milli(pick(20, 400) * 1000),
                     milli(pick(20, 500))};
        if (risk_) {
            const int imr = static_cast<int>(p.initial_margin_ratio.raw() / (Dec::kScale / 1000));
            const int mmr = pick(imr / 4 + 1, imr / 2 + 1);
            const int taker = pick(0, std::min(5, mmr / 2));
            p.maintenance_margin_ratio = milli(mmr);
            p.taker_fee_rate = milli(taker);
            p.maker_fee_rate = milli(pick(0, taker));
            p.liquidation_fee_rate = milli(pick(0, mmr - taker));
            p.max_funding_velocity = milli(pick(0, 2'000));
            p.max_abs_funding_rate = milli(pick(0, 100));
            p.max_limit_price_deviation = pick(0, 3) == 0 ? milli(pick(20, 200)) : Dec::zero();
            p.min_order_notional = pick(0, 3) == 0 ? milli(pick(0, 50'000)) : Dec::zero();
        }
        return p;
    }
    Command oracle_update() {
        OracleUpdate update;
        for (const char* pair : kPairs) {
            if (pick(0, 2) == 0) continue;
            // A random walk of up to 4% per step, occasionally a jump.
            std::int64_t& p = prices_[pair];
            const int bps = pick(0, 20) == 0 ? pick(-6000, 6000) : pick(-400, 400);
            p = std::max<std::int64_t>(1'000, p + p * bps / 10'000);
            update.prices.push_back({name(pair), milli(p)});
        }
        return {tick(), std::move(update)};
    }
    Dec size() {
        const std::int64_t magnitude = pick(0, 10) == 0 ? pick(1, 80'000) : pick(1, 8'000);
        return milli(pick(0, 1) ? magnitude : -magnitude);
    }
    SubmitOrder market_order() {
        SubmitOrder o{user(),      name(kPairs[pick(0, 2)]), size(), OrderKind::Market, milli(pick(0, 80)),
                      Dec::zero(), pick(0, 4) == 0};
        return o;
    }
    SubmitOrder limit_order() {
        const char* pair = kPairs[pick(0, 2)];
        const std::int64_t price = std::max<std::int64_t>(1, prices_[pair] + prices_[pair] * pick(-600, 600) / 10'000);
        return SubmitOrder{user(), name(pair), size(), OrderKind::Limit, Dec::zero(), milli(price), pick(0, 5) == 0};
    }
    Command cancel(const Engine& engine) {
        // Mostly orders that exist, sometimes by the wrong user or a wrong id.
        const OrderId id =
            engine.next_order_id() > 1 ? static_cast<OrderId>(pick(1, static_cast<int>(engine.next_order_id()))) : 1;
        const Slot slot = engine.book().find(id);
        Name owner = user();
        Name pair = name(kPairs[pick(0, 2)]);
        if (slot != kNoSlot && pick(0, 4) != 0) {
            owner = name(engine.user_name(engine.book().at(slot).user));
            pair = name(engine.pair_name(engine.book().at(slot).pair));
        }
        return {tick(), CancelOrder{owner, pair, id}};
    }

    std::mt19937_64 rng_;
    bool risk_;
    std::map<std::string, std::int64_t> prices_;
    TimeMs time_ = 0;
    int count_ = 0;
};

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
