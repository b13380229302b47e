// The engine's funding and account health against an exact model written
// from docs/SPEC-NOTES.md (tests/exact_model.hpp), over random risk streams:
// the model does not call the engine's arithmetic, so a wrong formula, cap,
// rounding direction or ordering shows up as a difference.
#include <gtest/gtest.h>

#include "command_generator.hpp"
#include "engine_harness.hpp"
#include "exact_model.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;
namespace ex = ballast::testing::exact;

struct ModelStats {
    int funding_checks = 0, capped = 0, health_checks = 0, near_maintenance = 0, after_updates = 0;
};

void check_against_model(const Engine& engine, bool after_oracle_update, ModelStats& stats) {
    // Funding: the engine floors the skew over the scale, the velocity, the
    // ramp and each integral term (SPEC-NOTES); those floors move the rate by
    // a few units of 1e-18 per day of accrual, and the cumulative by that
    // times the price. Anything beyond 1e-9 is a wrong formula, not rounding.
    const ex::Rational tolerance(ex::Integer(1), ex::Integer(1'000'000'000));
    std::vector<ex::Rational> cumulative(engine.pair_count());
    for (PairId p = 0; p < engine.pair_count(); ++p) {
        const PairState& pair = engine.pair(p);
        const FundingState mine = engine.funding_now(pair);
        cumulative[p] = ex::of(mine.cumulative_per_unit);
        if (!pair.oracle_price) continue;
        const ex::Funding model =
            ex::accrue(pair.funding, engine.clock(), pair.skew(), *pair.oracle_price, pair.params);
        ASSERT_LE(abs(model.rate - ex::of(mine.rate)), tolerance) << "funding rate of " << engine.pair_name(p);
        ASSERT_LE(abs(model.cumulative - ex::of(mine.cumulative_per_unit)), tolerance)
            << "cumulative funding of " << engine.pair_name(p);
        ++stats.funding_checks;
        if (pair.params.max_abs_funding_rate.is_positive() &&
            abs(model.rate) == ex::of(pair.params.max_abs_funding_rate))
            ++stats.capped;
    }
    // Health: each account's equity rounds down (against the trader) by less
    // than 1e-18 per term, two terms per position; margins are exact integers.
    for (UserId id = 0; id < engine.user_count(); ++id) {
        const UserState& user = engine.user(id);
        if (user.positions.empty()) continue;
        const ex::Health model = ex::health(engine, user, [&](PairId p) { return cumulative[p]; });
        const AccountHealth mine = engine.health(user);
        ++stats.health_checks;
        ASSERT_TRUE(ex::Integer(mine.maintenance_margin.units()) == model.maintenance) << user.name.view();
        ASSERT_TRUE(ex::Integer(mine.used_margin.units()) == model.used) << user.name.view();
        const ex::Rational slack(ex::Integer(2 * user.positions.size()), ex::Integer(Dec::kScale));
        const ex::Rational difference = model.equity - ex::of(mine.equity);
        ASSERT_GE(difference, 0) << "equity of " << user.name.view() << " rounds in the trader's favour";
        ASSERT_LT(difference, slack) << "equity of " << user.name.view();
        const bool model_liquidatable = model.maintenance > 0 && model.equity < ex::Rational(model.maintenance);
        const bool near_boundary = abs(model.equity - ex::Rational(model.maintenance)) < slack;
        if (!near_boundary) {
            ASSERT_EQ(engine.is_liquidatable(user), model_liquidatable) << user.name.view();
        }
        if (model.maintenance > 0 && model.equity < 2 * ex::Rational(model.maintenance)) ++stats.near_maintenance;
        // After an oracle update nobody with fresh prices is left below maintenance.
        if (after_oracle_update && model_liquidatable && !near_boundary) {
            bool fresh = true;
            for (const PositionEntry& e : user.positions) {
                const PairState& pair = engine.pair(e.pair);
                fresh = fresh && (engine.params().max_oracle_age_ms == 0 ||
                                  engine.clock() - pair.price_time <= engine.params().max_oracle_age_ms);
            }
            ASSERT_FALSE(fresh) << user.name.view() << " was left liquidatable on fresh prices";
            ++stats.after_updates;
        }
    }
}

class ExactModel : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ExactModel, FundingAndHealthAgreeWithTheModel) {
    Engine engine;
    CommandGenerator generator(GetParam(), GeneratorMode::Risk);
    ModelStats stats;
    for (int i = 0; i < 15'000; ++i) {
        const Command command = generator.next(engine);
        const Outcome outcome = engine.apply(command);
        check_against_model(engine, outcome.ok() && std::holds_alternative<OracleUpdate>(command.body), stats);
        if (::testing::Test::HasFatalFailure()) {
            ADD_FAILURE() << "seed " << GetParam() << ", command " << i;
            return;
        }
    }
    // The checks must have met the states they are about.
    EXPECT_GT(stats.funding_checks, 10'000);
    EXPECT_GT(stats.capped, 1'000);
    EXPECT_GT(stats.health_checks, 50'000);
    EXPECT_GT(stats.near_maintenance, 200) << "too few accounts near their maintenance margin";
}

INSTANTIATE_TEST_SUITE_P(Seeds, ExactModel, ::testing::Values(5u, 2026u));

// The model's funding on the risk-rules example, by hand: velocity 1/day at
// full skew, cap 0.05/day, skew 500 of 1000 for one day at price 100: the
// rate hits the cap after 0.1 day; 0.0025 + 0.045 = 0.0475 rate-days, 4.75 a unit.
TEST(ExactModel, ModelMatchesTheWorkedFundingExample) {
    PairParams p{dec("1000"), dec("0"), dec("1000000"), dec("0.1")};
    p.max_funding_velocity = dec("1");
    p.max_abs_funding_rate = dec("0.05");
    const ex::Funding f = ex::accrue(FundingState{}, kMillisecondsPerDay, dec("500"), dec("100"), p);
    EXPECT_EQ(f.rate, ex::of(dec("0.05")));
    EXPECT_EQ(f.cumulative, ex::of(dec("4.75")));
}

}  // namespace
