// The replay contract's throughput: JSON decode, engine, JSON encode, over a
// generated 1,000,000-command session held in memory. See docs/BENCHMARKS.md
// for the end-to-end figure of `ballast replay FILE`.
#include <benchmark/benchmark.h>

#include "api/replay.hpp"
#include "replay_session.hpp"

namespace ballast::bench {
namespace {

void BM_Replay1MCommands(benchmark::State& state) {
    const std::vector<std::string> lines = make_replay_session(1'000'000);
    std::string out;
    out.reserve(1 << 20);
    for (auto _ : state) {
        api::Replayer replayer;
        std::size_t bytes = 0;
        for (const std::string& line : lines) {
            replayer.process_line(line, out);
            if (out.size() > (1 << 20)) {
                bytes += out.size();
                out.clear();
            }
        }
        bytes += out.size();
        out.clear();
        benchmark::DoNotOptimize(bytes);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
}
BENCHMARK(BM_Replay1MCommands)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace ballast::bench

BENCHMARK_MAIN();
