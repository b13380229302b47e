// A market for benchmarks: 3 pairs, 10,000 funded users, a deep vault.
// Commands are built once up front so the timed loops measure the engine.
#pragma once

#include <string>
#include <vector>

#include "core/engine.hpp"

namespace ballast::bench {

using core::Amount;
using core::Command;
using core::Dec;
using core::Name;

inline Dec dec_int(long v) { return Dec::from_int(v); }
inline Dec dec_milli(long v) { return Dec::from_raw(static_cast<core::i128>(v) * (Dec::kScale / 1000)); }

struct BenchMarket {
    static constexpr int kUsers = 10'000;
    static constexpr int kPairs = 3;

    core::Engine engine;
    std::vector<Name> users;
    std::vector<Name> pairs;
    core::TimeMs time = 1;

    BenchMarket() {
        for (int i = 0; i < kPairs; ++i) {
            pairs.push_back(Name::from("PAIR" + std::to_string(i)));
            // A wide skew scale keeps premia small, and OI caps never bind.
            must(core::SetPair{pairs.back(), core::PairParams{dec_int(1'000'000'000), dec_milli(50),
                                                              dec_int(1'000'000'000), dec_milli(50)}});
        }
        must(core::SetParams{std::nullopt, 1'000'000, std::nullopt});
        oracle(100);
        must(core::DepositMargin{Name::from("lp"), Amount(1'000'000'000'000)});
        must(core::DepositLiquidity{Name::from("lp"), Amount(1'000'000'000'000), std::nullopt});
        for (int i = 0; i < kUsers; ++i) {
            users.push_back(Name::from("user" + std::to_string(i)));
            must(core::DepositMargin{users.back(), Amount(1'000'000'000)});
        }
    }

    core::Outcome run(core::CommandBody body) { return engine.apply(Command{++time, std::move(body)}); }

    void must(core::CommandBody body) {
        const core::Outcome o = run(std::move(body));
        if (!o.ok()) throw std::runtime_error("bench set-up command rejected: " + o.message);
    }

    Command oracle_command(long price) const {
        core::OracleUpdate update;
        for (const Name& p : pairs) update.prices.push_back({p, dec_int(price)});
        return Command{std::nullopt, std::move(update)};
    }
    void oracle(long price) {
        const core::Outcome o = engine.apply(oracle_command(price));
        if (!o.ok()) throw std::runtime_error("oracle rejected");
    }

    core::SubmitOrder market(int user, int pair, Dec size) const {
        return core::SubmitOrder{users[user],   pairs[pair], size, core::OrderKind::Market,
                                 dec_milli(50), Dec::zero(), false};
    }
    core::SubmitOrder limit(int user, int pair, Dec size, Dec price) const {
        return core::SubmitOrder{users[user], pairs[pair], size, core::OrderKind::Limit, Dec::zero(), price, false};
    }
};

}  // namespace ballast::bench
