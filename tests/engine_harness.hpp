// Test helpers: build commands tersely and drive an Engine through them.
// Tests reach every state through real commands, never by writing into state.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/engine.hpp"
#include "core/snapshot_codec.hpp"
#include "core/state_dump.hpp"

// GoogleTest prints failing Dec and Amount values as decimals.
namespace ballast::core {
inline void PrintTo(const Dec& value, std::ostream* os) { *os << to_string(value); }
inline void PrintTo(const Amount& value, std::ostream* os) { *os << to_string(value); }
}  // namespace ballast::core

namespace ballast::testing {

using core::Amount;
using core::Dec;

inline Dec dec(std::string_view text) {
    Dec out;
    const core::ParseError e = core::parse_dec(text, out);
    if (e != core::ParseError::None) throw std::invalid_argument("bad decimal in test: " + std::string(text));
    return out;
}

inline Amount amt(std::string_view text) {
    Amount out;
    if (core::parse_amount(text, out) != core::ParseError::None)
        throw std::invalid_argument("bad amount in test: " + std::string(text));
    return out;
}

inline core::Name name(std::string_view text) { return core::Name::from(text); }

struct PairSpec {
    std::string_view skew_scale = "1000";
    std::string_view max_abs_premium = "0.05";
    std::string_view max_abs_oi = "500";
    std::string_view initial_margin_ratio = "0.05";
};

class Harness {
public:
    core::Engine engine;

    // Runs one command; the events it caused are in events() until the next run.
    core::Outcome run(core::CommandBody body, std::optional<core::TimeMs> time = std::nullopt) {
        return engine.apply(core::Command{time, std::move(body)});
    }
    const std::vector<core::Event>& events() const { return engine.events(); }

    // Each helper below expects the command to be accepted.
    void set_pair(std::string_view pair, PairSpec spec = {}) {
        expect_ok(
            run(core::SetPair{name(pair), core::PairParams{dec(spec.skew_scale), dec(spec.max_abs_premium),
                                                           dec(spec.max_abs_oi), dec(spec.initial_margin_ratio)}}));
    }
    void set_max_open_orders(std::uint32_t n) { expect_ok(run(core::SetParams{std::nullopt, n, std::nullopt})); }
    void set_cooldown(core::TimeMs ms) { expect_ok(run(core::SetParams{ms, std::nullopt, std::nullopt})); }

    core::Outcome oracle(std::initializer_list<std::pair<std::string_view, std::string_view>> prices,
                         std::optional<core::TimeMs> time = std::nullopt) {
        core::OracleUpdate update;
        for (const auto& [pair, price] : prices) update.prices.push_back({name(pair), dec(price)});
        core::Outcome outcome = run(std::move(update), time);
        expect_ok(outcome);
        return outcome;
    }

    void deposit_margin(std::string_view user, std::string_view amount) {
        expect_ok(run(core::DepositMargin{name(user), amt(amount)}));
    }
    core::Outcome withdraw_margin(std::string_view user, std::string_view amount) {
        return run(core::WithdrawMargin{name(user), amt(amount)});
    }
    Amount deposit_liquidity(std::string_view user, std::string_view amount) {
        const core::Outcome o = run(core::DepositLiquidity{name(user), amt(amount), std::nullopt});
        expect_ok(o);
        if (!o.ok()) return Amount::zero();
        // Minted at once only while nobody holds a position; otherwise pending.
        return std::get<core::DepositLiquidityReply>(o.reply).shares_minted.value_or(Amount::zero());
    }

    // An LP's margin deposit moved into the vault: the shares it minted.
    Amount fund_vault(std::string_view user, std::string_view amount) {
        deposit_margin(user, amount);
        return deposit_liquidity(user, amount);
    }

    core::Outcome submit_market(std::string_view user, std::string_view pair, std::string_view size,
                                std::string_view max_slippage, bool reduce_only = false,
                                std::optional<core::TimeMs> time = std::nullopt) {
        return submit(user, pair, size, core::OrderKind::Market, max_slippage, reduce_only, time);
    }
    core::Outcome submit_limit(std::string_view user, std::string_view pair, std::string_view size,
                               std::string_view limit_price, bool reduce_only = false,
                               std::optional<core::TimeMs> time = std::nullopt) {
        return submit(user, pair, size, core::OrderKind::Limit, limit_price, reduce_only, time);
    }
    // `bound` is the max slippage of a market order or the limit price of a limit order.
    core::Outcome submit(std::string_view user, std::string_view pair, std::string_view size, core::OrderKind kind,
                         std::string_view bound, bool reduce_only, std::optional<core::TimeMs> time) {
        core::SubmitOrder o{name(user), name(pair), dec(size), kind, Dec::zero(), Dec::zero(), reduce_only};
        (kind == core::OrderKind::Market ? o.max_slippage : o.limit_price) = dec(bound);
        return run(o, time);
    }
    core::Outcome cancel(std::string_view user, std::string_view pair, core::OrderId id) {
        return run(core::CancelOrder{name(user), name(pair), id});
    }

    // Opens a position for a helper trader with ample margin and no price
    // limit that matters, to reach a given OI / skew through real trades.
    void open_position(std::string_view user, std::string_view pair, std::string_view size) {
        deposit_margin(user, "1000000000");
        const core::Outcome o = submit_market(user, pair, size, "1");
        expect_ok(o);
        EXPECT_EQ(std::get<core::SubmitOrderReply>(o.reply).filled, dec(size)) << "setup trade did not fill";
    }

    // Readings, through the engine's own views.
    core::UserView user(std::string_view user) const { return engine.view_user(engine.find_user(name(user))); }
    core::PairView pair(std::string_view pair) const { return engine.view_pair(*engine.find_pair(name(pair))); }
    core::VaultView vault() const { return engine.view_vault(); }
    Dec position(std::string_view user_name, std::string_view pair_name) const {
        const auto u = engine.find_user(name(user_name));
        const auto p = engine.find_pair(name(pair_name));
        if (!u || !p) return Dec::zero();
        const core::Position* pos = engine.user(*u).position(*p);
        return pos ? pos->size : Dec::zero();
    }
    // The whole state, as its canonical snapshot encoding: equal bytes, equal states.
    std::string state() const {
        std::string out;
        core::encode_engine(engine, out);
        return out;
    }

    static void expect_ok(const core::Outcome& o) {
        EXPECT_TRUE(o.ok()) << "rejected: " << core::error_code_name(o.error) << ": " << o.message;
    }
};

// 004's test parameters: BTC with K 1000, M 0.05, max_abs_oi 500, imr 0.05, at oracle 100,
// and a vault to take the other side (its LP is "lp"; 004's tables have none, and
// the vault refuses new positions without equity behind them).
inline void setup_spec_market(Harness& h) {
    h.set_pair("BTC");
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000000");
}

inline void expect_oi(const Harness& h, std::string_view long_oi, std::string_view short_oi, std::string_view skew,
                      std::string_view pair = "BTC") {
    const core::PairView view = h.pair(pair);
    EXPECT_EQ(view.long_oi, dec(long_oi));
    EXPECT_EQ(view.short_oi, dec(short_oi));
    EXPECT_EQ(view.skew, dec(skew));
}

inline const core::SubmitOrderReply& submit_reply(const core::Outcome& o) {
    return std::get<core::SubmitOrderReply>(o.reply);
}

template <typename E>
std::vector<E> events_of(const std::vector<core::Event>& events) {
    std::vector<E> out;
    for (const core::Event& e : events) {
        if (const E* x = std::get_if<E>(&e)) out.push_back(*x);
    }
    return out;
}

// The one event of type E among `events`: a missing or extra event is a test
// failure (and a value-initialized E), never an out-of-range read.
template <typename E>
E the_one(const std::vector<core::Event>& events) {
    const std::vector<E> found = events_of<E>(events);
    if (found.size() != 1) {
        ADD_FAILURE() << "expected exactly one event of this type, found " << found.size();
        return E{};
    }
    return found.front();
}

}  // namespace ballast::testing
