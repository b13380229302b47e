// The engine_bench cases as a plain program, for instruction counts: wall
// clock on the shared CI machine varies by ±25%, callgrind does not.
//
//   instruction_cases CASE N
//
// runs N repetitions of CASE after the BenchMarket set-up. Run it under
// `valgrind --tool=callgrind` at N and 2N: the difference of the two totals
// divided by N is the cost of one repetition, with set-up and start-up
// cancelled out (docs/BENCHMARKS.md).
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "bench_market.hpp"
#include "sequencer/stream_record.hpp"

namespace {

using namespace ballast::bench;

// One market order; users alternately buy and sell 1 contract, so half the
// orders open a position and half close one.
int market_orders(BenchMarket& m, long n, bool stream = false) {
    std::vector<Command> orders;
    for (int u = 0; u < BenchMarket::kUsers; ++u) {
        orders.push_back(Command{std::nullopt, m.market(u, u % BenchMarket::kPairs, dec_int(1))});
        orders.push_back(Command{std::nullopt, m.market(u, u % BenchMarket::kPairs, dec_int(-1))});
    }
    long refused = 0;
    std::size_t next = 0;
    for (long k = 0; k < n; ++k) {
        refused += m.engine.apply(orders[next]).ok() ? 0 : 1;
        if (stream) {
            // What the sequencer adds per command for the event stream.
            const auto record = ballast::sequencer::make_stream_record(m.engine, static_cast<std::uint64_t>(k), 0,
                                                                       orders[next].body, true);
            refused += record ? 0 : 1;
        }
        next += 2;
        if (next >= orders.size()) next = (next & 1) != 0 ? 0 : 1;
    }
    return refused == 0 ? 0 : 1;
}

// One oracle update of 3 pairs over 100,000 resting orders far from the price.
int oracle_no_fill(BenchMarket& m, long n) {
    for (int k = 0; k < 100'000; ++k) {
        const bool buy = (k & 1) == 0;
        const Dec price = buy ? dec_milli(10'000 + k % 40'000) : dec_milli(200'000 + k % 40'000);
        m.must(m.limit(k % BenchMarket::kUsers, k % BenchMarket::kPairs, dec_int(buy ? 1 : -1), price));
    }
    const Command up = m.oracle_command(101);
    const Command down = m.oracle_command(99);
    for (long k = 0; k < n; ++k)
        if (!m.engine.apply((k & 1) == 0 ? up : down).ok()) return 1;
    return 0;
}

// One pass: 10,000 limit orders rested while the oracle is parked away, then
// one update that fills them all (submissions and fulfilment together).
int fulfilment(BenchMarket& m, long passes) {
    constexpr int kOrders = 10'000;
    std::vector<Command> bids;
    std::vector<Command> asks;
    for (int k = 0; k < kOrders; ++k) {
        bids.push_back(Command{std::nullopt, m.limit(k % BenchMarket::kUsers, 0, dec_int(1), dec_int(101))});
        asks.push_back(Command{std::nullopt, m.limit(k % BenchMarket::kUsers, 0, dec_int(-1), dec_int(99))});
    }
    const Command park_high = m.oracle_command(1'000);
    const Command park_low = m.oracle_command(10);
    const Command trigger = m.oracle_command(100);
    bool buy_pass = true;
    for (long p = 0; p < passes; ++p) {
        if (!m.engine.apply(buy_pass ? park_high : park_low).ok()) return 1;
        for (const Command& c : buy_pass ? bids : asks)
            if (!m.engine.apply(c).ok()) return 1;
        if (!m.engine.apply(trigger).ok()) return 1;
        buy_pass = !buy_pass;
    }
    return 0;
}

// One limit order that rests (a bid far below the price, on a book that grows
// by one order per repetition).
int limit_submit(BenchMarket& m, long n) {
    for (long k = 0; k < n; ++k) {
        const int user = static_cast<int>(k % BenchMarket::kUsers);
        const Dec price = dec_milli(50'000 + k % 40'000);
        if (!m.engine
                 .apply(
                     Command{std::nullopt, m.limit(user, static_cast<int>(k % BenchMarket::kPairs), dec_int(1), price)})
                 .ok())
            return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr,
                     "usage: instruction_cases market|market_stream|oracle_no_fill|fulfilment|limit_submit N\n");
        return 2;
    }
    const std::string_view which = argv[1];
    const long n = std::strtol(argv[2], nullptr, 10);
    BenchMarket m;
    if (which == "market") return market_orders(m, n);
    if (which == "market_stream") return market_orders(m, n, /*stream=*/true);
    if (which == "oracle_no_fill") return oracle_no_fill(m, n);
    if (which == "fulfilment") return fulfilment(m, n);
    if (which == "limit_submit") return limit_submit(m, n);
    std::fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}
