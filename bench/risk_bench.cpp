// Risk engine benchmarks: the liquidation sweep over 10,000 holders, and a
// 30% crash in one oracle tick after a random walk. See docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>

#include <random>

#include "bench_market.hpp"

namespace ballast::bench {
namespace {

// 10,000 accounts, each long between 1 and 10 contracts with leverage from
// 2x to 8x, on one pair with a 5% maintenance margin: a 30% fall liquidates
// every account levered above about 3x.
struct RiskMarket {
    BenchMarket m;
    explicit RiskMarket(std::uint64_t seed) {
        core::PairParams p{dec_int(1'000'000'000), dec_milli(50), dec_int(1'000'000'000), dec_milli(100)};
        p.maintenance_margin_ratio = dec_milli(50);
        p.liquidation_fee_rate = dec_milli(20);
        m.must(core::SetPair{Name::from("RISK"), p});
        m.must(core::OracleUpdate{{{Name::from("RISK"), dec_int(100)}}});
        std::mt19937_64 rng(seed);
        for (int u = 0; u < BenchMarket::kUsers; ++u) {
            const Name user = Name::from("trader" + std::to_string(u));
            const long size = 1 + static_cast<long>(rng() % 10);
            const long leverage = 2 + static_cast<long>(rng() % 7);
            m.must(core::DepositMargin{user, core::Amount(static_cast<core::u128>(size * 100 / leverage + 1))});
            m.must(core::SubmitOrder{user, Name::from("RISK"), dec_int(size), core::OrderKind::Market, dec_milli(10),
                                     Dec::zero(), false});
        }
    }
    Command tick(long price_milli) const {
        return Command{std::nullopt, core::OracleUpdate{{{Name::from("RISK"), dec_milli(price_milli)}}}};
    }
};

// An oracle update that liquidates nobody still checks every holder.
void BM_LiquidationSweep10kHolders(benchmark::State& state) {
    RiskMarket r(1);
    const Command up = r.tick(100'100), down = r.tick(100'000);
    bool flip = false;
    std::size_t liquidations = 0;
    for (auto _ : state) {
        r.m.engine.apply((flip = !flip) ? up : down);
        for (const core::Event& e : r.m.engine.events())
            liquidations += std::holds_alternative<core::ForceCloseEvent>(e);
    }
    state.counters["holders"] =
        static_cast<double>(r.m.engine.pair(*r.m.engine.find_pair(Name::from("RISK"))).holders.size());
    state.counters["liquidations"] = static_cast<double>(liquidations);
}
BENCHMARK(BM_LiquidationSweep10kHolders)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

// A random walk of 100 ticks (at most 0.5% each), then a 30% crash in one
// tick: the timed part is the crash tick, which liquidates the weakest accounts.
void BM_CrashLiquidations(benchmark::State& state) {
    std::int64_t liquidated = 0;
    std::uint64_t seed = 1;
    for (auto _ : state) {
        state.PauseTiming();
        RiskMarket r(seed++);
        std::mt19937_64 rng(seed);
        long price = 100'000;
        for (int t = 0; t < 100; ++t) {
            price += price * (static_cast<long>(rng() % 1001) - 500) / 100'000;
            r.m.engine.apply(r.tick(price));
        }
        const Command crash = r.tick(price * 7 / 10);
        state.ResumeTiming();
        r.m.engine.apply(crash);
        state.PauseTiming();
        for (const core::Event& e : r.m.engine.events()) liquidated += std::holds_alternative<core::ForceCloseEvent>(e);
        state.ResumeTiming();
    }
    state.SetItemsProcessed(liquidated);
    state.counters["liquidations_per_crash"] =
        benchmark::Counter(static_cast<double>(liquidated) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_CrashLiquidations)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace ballast::bench

BENCHMARK_MAIN();
