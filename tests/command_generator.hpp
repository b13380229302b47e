// The randomized command stream of the engine property tests, shared with
// the snapshot tests: fixed seeds give the same stream, and the stream drives
// the engine through every command and most of its rejections.
#pragma once

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "engine_harness.hpp"

namespace ballast::testing {

namespace command_generator_detail {

using namespace ballast::core;

inline constexpr int kUsers = 12;
inline const char* const kPairs[] = {"BTC", "ETH", "SOL"};

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

}  // namespace command_generator_detail

using command_generator_detail::CommandGenerator;
using command_generator_detail::kPairs;
using command_generator_detail::kUsers;

}  // namespace ballast::testing
