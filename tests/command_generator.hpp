// The randomized command stream of the engine property tests, shared with
// the snapshot and codec tests: fixed seeds give the same stream, and the
// stream drives the engine through every command, most rejections and the
// hard states (liquidations, ADL, bad debt, shortfalls, unlock releases,
// funding at its cap, fills across the premium clamp). The property tests
// count those states and require each to be reached.
//
// Prices follow a mean-reverting walk of the log price around 100 (about 2%
// a step, a 5% pull back, now and then a jump of up to 30%), so they neither
// drift to a floor nor explode, and money moves in meaningful amounts. In the
// risk mode the clock moves by up to 5 minutes a command while prices may be
// two hours old, so most prices are fresh and some go stale.
#pragma once

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "core/limits.hpp"
#include "engine_harness.hpp"

namespace ballast::testing {

namespace command_generator_detail {

using namespace ballast::core;

inline constexpr int kUsers = 12;
inline const char* const kPairs[] = {"BTC", "ETH", "SOL"};

enum class Mode {
    Plain,    // the spec's engine: no fees, funding, liquidation or time limits
    Risk,     // fees, funding, maintenance margin, liquidation, ADL, oracle age, market status
    Extreme,  // Risk, with sizes, prices and amounts at and beyond the engine's ceilings
};

class CommandGenerator {
public:
    CommandGenerator(std::uint64_t seed, bool risk) : CommandGenerator(seed, risk ? Mode::Risk : Mode::Plain) {}
    CommandGenerator(std::uint64_t seed, Mode mode) : rng_(seed), mode_(mode) {
        for (const char* pair : kPairs) prices_[pair] = kMeanPrice;
    }

    // The first commands set the market up; the rest are random.
    Command next(const Engine& engine) {
        ++count_;
        if (count_ <= 3) return {std::nullopt, SetPair{name(kPairs[count_ - 1]), pair_params()}};
        if (count_ == 4) {
            SetParams p{2'000, 20, std::nullopt};
            if (risky()) {
                p.vault_cooldown_ms = 1'800'000;  // half an hour
                p.max_oracle_age_ms = 7'200'000;  // two hours
                p.protocol_fee_share = milli(300);
                p.adl_trigger_ratio = milli(50);
            }
            return {std::nullopt, p};
        }
        if (count_ == 5) return oracle_update();
        if (count_ == 6) return {tick(), DepositMargin{name("lp0"), Amount(5'000)}};
        if (count_ == 7) return {tick(), DepositLiquidity{name("lp0"), Amount(5'000), std::nullopt}};

        const int roll = pick(0, 99);
        if (roll < 14) return oracle_update();
        if (roll < 24) return {tick(), DepositMargin{user(), Amount(money(1, 1'500))}};
        if (roll < 25) return {tick(), DepositMargin{lp(), Amount(money(1, 2'000))}};
        if (roll < 30) return {tick(), withdraw(engine)};
        if (roll < 32) return {tick(), DepositLiquidity{lp(), Amount(money(0, 2'000)), maybe_min_shares()}};
        if (roll < 35) return {tick(), UnlockLiquidity{lp(), Amount(static_cast<u128>(pick(0, 5'000)) * 1'000'000)}};
        if (roll < 55) return {tick(), market_order(engine)};
        if (roll < 78) return {tick(), limit_order(engine)};
        if (roll < 88) return cancel(engine);
        if (roll < 90) return {tick(), QueryUser{user()}};
        if (roll < 91) return {tick(), QueryVault{}};
        if (roll < 92) return {tick(), QueryPair{name(kPairs[pick(0, 2)])}};
        if (roll < 93) return {tick(), set_pair()};
        if (roll < 94) return {tick(), fund_vault()};
        if (roll < 96) {
            if (risky() && pick(0, 1) == 0) return risk_command();
            return {time_ - pick(1, 50), QueryVault{}};  // time going backwards: rejected
        }
        if (roll < 97)
            return {tick(),
                    SubmitOrder{user(), name("NOPE"), Dec::one(), OrderKind::Market, Dec::zero(), Dec::zero(), false}};
        if (roll < 98)
            return {tick(), SetParams{pick(0, 3'000), static_cast<std::uint32_t>(pick(0, 25)), std::nullopt}};
        return {tick(), QueryUser{lp()}};
    }

private:
    static constexpr std::int64_t kMeanPrice = 100'000;  // thousandths: 100.000

    bool risky() const { return mode_ != Mode::Plain; }
    bool extreme() const { return mode_ == Mode::Extreme; }

    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    std::optional<TimeMs> tick() {
        if (pick(0, 3) == 0) return std::nullopt;  // no time: the clock stays
        time_ += risky() ? pick(0, 300'000) : pick(0, 400);
        return time_;
    }
    // An amount of base units; in the extreme mode sometimes near or beyond the ceiling.
    u128 money(int lo, int hi) {
        if (extreme() && pick(0, 9) == 0) {
            const u128 ceiling = limits::kMaxMoney;
            switch (pick(0, 3)) {
                case 0: return ceiling;
                case 1: return ceiling + 1;
                case 2: return ceiling / static_cast<u128>(pick(1, 1000));
                default: return ~u128{0};
            }
        }
        return static_cast<u128>(pick(lo, hi));
    }
    Command risk_command() {
        const int roll = pick(0, 9);
        if (roll < 2) {
            // Mostly back to active: a market is rarely paused for long.
            const PairStatus statuses[] = {PairStatus::Active,     PairStatus::Active, PairStatus::Active,
                                           PairStatus::Active,     PairStatus::Active, PairStatus::Active,
                                           PairStatus::ReduceOnly, PairStatus::Paused};
            return {tick(), SetPairStatus{name(kPairs[pick(0, 2)]), statuses[pick(0, 7)]}};
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
        if (risky()) {
            const int imr = static_cast<int>(p.initial_margin_ratio.raw() / (Dec::kScale / 1000));
            const int mmr = pick(imr / 4 + 1, imr / 2 + 1);
            const int taker = pick(0, std::min(5, mmr / 2));
            p.maintenance_margin_ratio = milli(mmr);
            p.taker_fee_rate = milli(taker);
            p.maker_fee_rate = milli(pick(0, taker));
            p.liquidation_fee_rate = milli(pick(0, mmr - taker));
            // Velocities high enough that the rate reaches its cap within hours.
            p.max_funding_velocity = milli(pick(0, 20'000));
            p.max_abs_funding_rate = milli(pick(0, 100));
            p.max_limit_price_deviation = pick(0, 3) == 0 ? milli(pick(20, 200)) : Dec::zero();
            p.min_order_notional = pick(0, 3) == 0 ? milli(pick(0, 50'000)) : Dec::zero();
        }
        if (extreme() && pick(0, 3) == 0) {
            p.skew_scale = pick(0, 1) ? limits::max_size() : Dec::from_raw(1);
            p.max_abs_oi = pick(0, 1) ? limits::max_size() : Dec::from_raw(pick(1, 1000));
        }
        return p;
    }
    // A new pair's full parameters, or (half the time) an update of a few of them.
    SetPair set_pair() {
        SetPair s{name(kPairs[pick(0, 2)]), pair_params()};
        if (pick(0, 1) == 0) s.given = static_cast<PairFieldMask>(pick(0, kAllPairFields));
        return s;
    }
    FundVault fund_vault() {
        if (pick(0, 1) == 0) return FundVault{std::nullopt, Amount(money(1, 200))};
        return FundVault{lp(), Amount(money(1, 2'000))};
    }
    Command oracle_update() {
        OracleUpdate update;
        for (const char* pair : kPairs) {
            if (pick(0, 5) == 0) continue;
            // Mean-reverting walk of the log price: a 5% pull toward the mean,
            // +-3% noise, and a jump of up to 40% one step in twelve.
            std::int64_t& p = prices_[pair];
            const std::int64_t pull = (kMeanPrice - p) * 500 / p;
            const int noise = pick(0, 11) == 0 ? pick(-4000, 4000) : pick(-300, 300);
            p = std::clamp<std::int64_t>(p + p * (pull + noise) / 10'000, 1'000, 10'000'000);
            Dec price = milli(p);
            if (extreme() && pick(0, 9) == 0) {
                const Dec choices[] = {limits::max_price(), limits::max_price() + Dec::from_raw(1), Dec::from_raw(1),
                                       Dec::from_raw(kI128Max), Dec::from_raw(pick(1, 1'000'000))};
                price = choices[pick(0, 4)];
            }
            update.prices.push_back({name(pair), price});
        }
        return {tick(), std::move(update)};
    }
    Dec size() {
        if (extreme() && pick(0, 7) == 0) {
            const Dec choices[] = {limits::max_size(), limits::max_size() + Dec::from_raw(1), Dec::from_raw(1),
                                   Dec::from_raw(kI128Max), Dec::from_raw(kI128Min + 1)};
            const Dec s = choices[pick(0, 4)];
            return pick(0, 1) ? s : (s.raw() == kI128Min + 1 ? Dec::from_raw(kI128Max) : -s);
        }
        const std::int64_t magnitude = pick(0, 10) == 0 ? pick(1, 80'000) : pick(1, 8'000);
        return milli(pick(0, 1) ? magnitude : -magnitude);
    }
    // The user's available margin as the engine reports it (zero if unknown).
    static Amount available(const Engine& engine, const Name& user) {
        const auto id = engine.find_user(user);
        if (!id) return Amount::zero();
        return engine.view_user(id).available_margin.value_or(Amount::zero());
    }
    WithdrawMargin withdraw(const Engine& engine) {
        const Name who = pick(0, 2) == 0 ? lp() : user();
        if (pick(0, 1) == 0) return WithdrawMargin{who, Amount(money(0, 3'000))};
        // Most of what is available: accounts stay lean, so price moves matter.
        const u128 avail = available(engine, who).units();
        return WithdrawMargin{who, Amount(avail * static_cast<u128>(pick(50, 100)) / 100)};
    }
    // A random size, or (a third of the time) one that uses most of the
    // user's available margin at the pair's initial margin ratio: leveraged
    // accounts are what liquidations, bad debt and ADL need.
    Dec order_size(const Engine& engine, const Name& who, const char* pair) {
        if (extreme() || pick(0, 2) != 0) return size();
        const auto pair_id = engine.find_pair(name(pair));
        if (!pair_id) return size();
        const Dec imr = engine.pair(*pair_id).params.initial_margin_ratio;
        const std::int64_t notional = static_cast<std::int64_t>(available(engine, who).units()) * pick(40, 95) / 100;
        if (imr.is_zero() || notional == 0) return size();
        // contracts = notional / (price * imr), in thousandths
        const std::int64_t price = prices_[pair];
        const std::int64_t imr_milli = static_cast<std::int64_t>(imr.raw() / (Dec::kScale / 1000));
        if (imr_milli == 0) return size();
        const std::int64_t contracts = notional * 1'000'000'000 / (price * imr_milli);
        if (contracts <= 0) return size();
        return milli(pick(0, 1) ? contracts : -contracts);
    }
    SubmitOrder market_order(const Engine& engine) {
        const Name who = user();
        const char* pair = kPairs[pick(0, 2)];
        return SubmitOrder{
            who,         name(pair),     order_size(engine, who, pair), OrderKind::Market, milli(pick(0, 80)),
            Dec::zero(), pick(0, 4) == 0};
    }
    SubmitOrder limit_order(const Engine& engine) {
        const Name who = user();
        const char* pair = kPairs[pick(0, 2)];
        const std::int64_t price = std::max<std::int64_t>(1, prices_[pair] + prices_[pair] * pick(-600, 600) / 10'000);
        Dec limit = milli(price);
        if (extreme() && pick(0, 7) == 0) limit = pick(0, 1) ? limits::max_price() : Dec::from_raw(1);
        return SubmitOrder{who,   name(pair),     order_size(engine, who, pair), OrderKind::Limit, Dec::zero(),
                           limit, pick(0, 5) == 0};
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
    Mode mode_;
    std::map<std::string, std::int64_t> prices_;
    TimeMs time_ = 0;
    int count_ = 0;
};

}  // namespace command_generator_detail

using command_generator_detail::CommandGenerator;
using command_generator_detail::kPairs;
using command_generator_detail::kUsers;
using GeneratorMode = command_generator_detail::Mode;

}  // namespace ballast::testing
