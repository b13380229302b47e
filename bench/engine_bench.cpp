// Engine benchmarks (one core, in process, no JSON): see docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>

#include <chrono>

#include "bench_market.hpp"

namespace ballast::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A market order end to end: margin check, pricing, fill, accounting.
// Each user alternates buying and selling 1, so half the orders open and half close.
void BM_MarketOrder(benchmark::State& state) {
    BenchMarket m;
    std::vector<Command> orders;
    for (int u = 0; u < BenchMarket::kUsers; ++u) {
        orders.push_back(Command{std::nullopt, m.market(u, u % 3, dec_int(1))});
        orders.push_back(Command{std::nullopt, m.market(u, u % 3, dec_int(-1))});
    }
    std::size_t i = 0;
    for (auto _ : state) {
        const core::Outcome o = m.engine.apply(orders[i]);
        benchmark::DoNotOptimize(o.error);
        // Interleave: every user's buy, then every user's sell, and again.
        i += 2;
        if (i >= orders.size()) i = (i & 1) ? 0 : 1;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MarketOrder)->Repetitions(5)->ReportAggregatesOnly(true);

// Resting a limit order that cannot fill, and cancelling it, with 100,000
// other orders resting. Timed separately in batches of 1,000.
struct RestCancelFixture {
    BenchMarket m;
    std::vector<Command> rests;
    RestCancelFixture() {
        for (int k = 0; k < 100'000; ++k) {
            m.must(m.limit(k % BenchMarket::kUsers, k % 3, dec_int(1 + k % 5), dec_milli(50'000 + k % 40'000)));
        }
        for (int k = 0; k < 1'000; ++k) {
            rests.push_back(Command{std::nullopt, m.limit(k, k % 3, dec_int(1), dec_milli(60'000 + k))});
        }
    }
    // Rests the batch, returns the seconds it took; fills `ids` with the new order ids.
    double rest_batch(std::vector<core::OrderId>& ids) {
        ids.clear();
        const auto start = Clock::now();
        for (const Command& c : rests) {
            const core::Outcome o = m.engine.apply(c);
            ids.push_back(std::get<core::SubmitOrderReply>(o.reply).order_id);
        }
        return std::chrono::duration<double>(Clock::now() - start).count();
    }
    double cancel_batch(const std::vector<core::OrderId>& ids, std::vector<Command>& cancels) {
        cancels.clear();
        for (std::size_t k = 0; k < ids.size(); ++k) {
            cancels.push_back(Command{std::nullopt, core::CancelOrder{m.users[k], m.pairs[k % 3], ids[k]}});
        }
        const auto start = Clock::now();
        for (const Command& c : cancels) benchmark::DoNotOptimize(m.engine.apply(c).error);
        return std::chrono::duration<double>(Clock::now() - start).count();
    }
};

void BM_RestLimitOrder(benchmark::State& state) {
    RestCancelFixture f;
    std::vector<core::OrderId> ids;
    std::vector<Command> cancels;
    for (auto _ : state) {
        state.SetIterationTime(f.rest_batch(ids));
        f.cancel_batch(ids, cancels);
    }
    state.SetItemsProcessed(state.iterations() * 1'000);
}
BENCHMARK(BM_RestLimitOrder)->UseManualTime()->Repetitions(5)->ReportAggregatesOnly(true);

void BM_CancelOrder(benchmark::State& state) {
    RestCancelFixture f;
    std::vector<core::OrderId> ids;
    std::vector<Command> cancels;
    for (auto _ : state) {
        f.rest_batch(ids);
        state.SetIterationTime(f.cancel_batch(ids, cancels));
    }
    state.SetItemsProcessed(state.iterations() * 1'000);
}
BENCHMARK(BM_CancelOrder)->UseManualTime()->Repetitions(5)->ReportAggregatesOnly(true);

// An oracle update of all 3 pairs over 100,000 resting orders that fills none:
// each side stops at its head.
void BM_OracleUpdateNoFill(benchmark::State& state) {
    BenchMarket m;
    for (int k = 0; k < 100'000; ++k) {
        const bool buy = (k & 1) == 0;
        // Bids well below and asks well above any price the oracle moves to.
        const Dec price = buy ? dec_milli(10'000 + k % 40'000) : dec_milli(200'000 + k % 40'000);
        m.must(m.limit(k % BenchMarket::kUsers, k % 3, dec_int(buy ? 1 : -1), price));
    }
    const Command up = m.oracle_command(101), down = m.oracle_command(99);
    bool flip = false;
    for (auto _ : state) {
        benchmark::DoNotOptimize(m.engine.apply((flip = !flip) ? up : down).error);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OracleUpdateNoFill)->Repetitions(5)->ReportAggregatesOnly(true);

// An oracle update of a pair whose long side is at its OI cap, over 200,000
// resting buys that cross the price but cannot fill (issue "Money safety",
// finding 8): the first update parks them, later ones walk none of them.
void BM_OracleUpdateOiBlocked(benchmark::State& state) {
    BenchMarket m;
    const Name capped = Name::from("CAPPED");
    m.must(core::SetPair{capped, core::PairParams{dec_int(1'000'000'000), dec_milli(50), dec_int(100), dec_milli(50)}});
    auto price = [&](long p) {
        return Command{std::nullopt, core::OracleUpdate{{core::PriceUpdate{capped, dec_int(p)}}}};
    };
    m.engine.apply(price(1'000));
    m.must(core::SubmitOrder{m.users[0], capped, dec_int(100), core::OrderKind::Market, dec_milli(50), Dec::zero(),
                             false});
    for (int k = 0; k < 200'000; ++k) {
        m.must(core::SubmitOrder{m.users[1 + k % (BenchMarket::kUsers - 1)], capped, dec_milli(1),
                                 core::OrderKind::Limit, Dec::zero(), dec_int(500), false});
    }
    const Command up = price(101), down = price(99);
    m.engine.apply(up);  // crosses them all once: each is tried and parked
    bool flip = false;
    for (auto _ : state) benchmark::DoNotOptimize(m.engine.apply((flip = !flip) ? down : up).error);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OracleUpdateOiBlocked)->Repetitions(5)->ReportAggregatesOnly(true);

// Fulfilment throughput: 10,000 resting orders become fillable in one oracle
// update. Odd passes rest bids at 101 while the oracle is parked at 1000, even
// passes rest asks at 99 while it is parked at 10; the oracle then moves to 100
// and fills them all (so positions open and close in turn). Items are fills.
void BM_FulfilmentFills(benchmark::State& state) {
    BenchMarket m;
    constexpr int kOrders = 10'000;
    std::vector<Command> bids, asks;
    for (int k = 0; k < kOrders; ++k) {
        bids.push_back(Command{std::nullopt, m.limit(k % BenchMarket::kUsers, 0, dec_int(1), dec_int(101))});
        asks.push_back(Command{std::nullopt, m.limit(k % BenchMarket::kUsers, 0, dec_int(-1), dec_int(99))});
    }
    const Command park_high = m.oracle_command(1'000), park_low = m.oracle_command(10), trigger = m.oracle_command(100);
    std::int64_t filled = 0;
    bool buy_pass = true;
    for (auto _ : state) {
        state.PauseTiming();
        m.engine.apply(buy_pass ? park_high : park_low);
        for (const Command& c : buy_pass ? bids : asks) m.engine.apply(c);
        buy_pass = !buy_pass;
        state.ResumeTiming();
        m.engine.apply(trigger);
        state.PauseTiming();
        for (const core::Event& e : m.engine.events()) filled += std::holds_alternative<core::FillEvent>(e) ? 1 : 0;
        state.ResumeTiming();
    }
    state.SetItemsProcessed(filled);
    state.counters["fills_per_pass"] =
        benchmark::Counter(static_cast<double>(filled) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_FulfilmentFills)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace
}  // namespace ballast::bench

BENCHMARK_MAIN();
