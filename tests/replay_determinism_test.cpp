// Determinism across processes: the same replay file run by separate
// `ballast replay` processes gives the same bytes, from a file, from stdin as
// a regular file and from a pipe, and the same state hash. Separate processes
// differ in what one process run twice does not: the addresses of the heap,
// stack and libraries (ASLR), what freshly allocated memory holds (one
// run sets glibc's MALLOC_PERTURB_, so a read of uninitialized heap memory
// shows up as different output), the working directory and the environment.
// An in-process Replayer over the same lines is one more reference.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../bench/replay_session.hpp"
#include "api/command_encoder.hpp"
#include "api/replay.hpp"
#include "api/state_replayer.hpp"
#include "command_generator.hpp"
#include "sequencer/exchange_state.hpp"
#include "temp_dir.hpp"

namespace ballast {
namespace {

struct CommandResult {
    int status = -1;  // as pclose gives it
    std::string output;
};

CommandResult run(const std::string& command) {
    CommandResult result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    static char buf[1 << 16];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
    result.status = ::pclose(pipe);
    return result;
}

bool exited_zero(int status) { return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::size_t count_of(const std::string& text, std::string_view needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
        ++count;
    return count;
}

// Where two outputs first differ, as line number and both lines; empty when equal.
std::string first_difference(const std::string& a, const std::string& b) {
    if (a == b) return {};
    std::size_t at = 0;
    while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
    const std::size_t line_start = a.rfind('\n', at == 0 ? 0 : at - 1);
    const std::size_t from = line_start == std::string::npos || at == 0 ? 0 : line_start + 1;
    const auto line_of = [from](const std::string& s) { return s.substr(from, s.find('\n', from) - from); };
    return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size()) + "; first difference on line " +
           std::to_string(count_of(a.substr(0, from), "\n") + 1) + ":\n  " + line_of(a) + "\n  " + line_of(b);
}

void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
    std::ofstream out(path, std::ios::binary);
    for (const std::string& line : lines) out << line << '\n';
}

struct InProcess {
    std::string output;
    std::string state_hash;
};

InProcess replay_in_process(const std::vector<std::string>& lines) {
    api::Replayer replayer;
    InProcess result;
    for (const std::string& line : lines) replayer.process_line(line, result.output);
    // The whole state's hash, as `replay --state-hash` computes it.
    api::StateReplayer hasher;
    std::string error;
    for (const std::string& line : lines) EXPECT_TRUE(hasher.process_line(line, error)) << error;
    result.state_hash = hasher.state().state_hash() + "\n";
    return result;
}

// Runs `file` through separate `ballast replay` processes in every way it can
// be given, and checks each output against the in-process reference.
void expect_same_bytes_everywhere(const std::filesystem::path& file, const std::vector<std::string>& lines,
                                  const std::vector<std::string_view>& event_types) {
    const std::string binary = BALLAST_BINARY;
    const std::string path = "'" + file.string() + "'";
    // A different working directory and environment, and heap memory that
    // starts out as 0x5a (MALLOC_PERTURB_=165 fills with 165 ^ 0xff) and is
    // overwritten with 0xa5 when freed.
    const std::string elsewhere = "cd / && MALLOC_PERTURB_=165 BALLAST_UNUSED_PADDING=" + std::string(300, 'x') + " ";

    const CommandResult first = run(binary + " replay " + path);
    ASSERT_TRUE(exited_zero(first.status)) << "status " << first.status;
    const InProcess reference = replay_in_process(lines);

    // One result line per command, and the session is not trivial.
    EXPECT_EQ(count_of(first.output, "\n"), lines.size());
    EXPECT_GT(count_of(first.output, R"("type":"fill")"), lines.size() / 20) << "hardly any fills";
    EXPECT_GT(count_of(first.output, R"({"ok":false)"), 0u) << "no rejections";
    for (std::string_view type : event_types) {
        EXPECT_GT(count_of(first.output, R"("type":")" + std::string(type) + '"'), 0u) << "no " << type << " event";
    }

    const struct {
        const char* how;
        std::string command;
    } runs[] = {
        {"a second process, same file", binary + " replay " + path},
        {"a third process, other cwd, environment and heap contents", elsewhere + binary + " replay " + path},
        {"stdin redirected from the file", binary + " replay < " + path},
        {"stdin from a pipe, with '-'", "cat " + path + " | " + binary + " replay -"},
    };
    for (const auto& r : runs) {
        const CommandResult again = run(r.command);
        ASSERT_TRUE(exited_zero(again.status)) << r.how << ": status " << again.status;
        EXPECT_TRUE(again.output == first.output) << r.how << ": " << first_difference(first.output, again.output);
    }
    EXPECT_TRUE(reference.output == first.output)
        << "in process vs. the binary: " << first_difference(reference.output, first.output);

    // --state-hash: one line, 64 hex digits, the same every way.
    const CommandResult hash = run(binary + " replay --state-hash " + path);
    ASSERT_TRUE(exited_zero(hash.status));
    ASSERT_EQ(hash.output.size(), 65u) << hash.output;
    EXPECT_EQ(hash.output.find_first_not_of("0123456789abcdef"), 64u) << hash.output;
    for (const std::string& command :
         {binary + " replay --state-hash " + path, elsewhere + binary + " replay --state-hash " + path,
          binary + " replay --state-hash < " + path, "cat " + path + " | " + binary + " replay --state-hash -"}) {
        const CommandResult again = run(command);
        ASSERT_TRUE(exited_zero(again.status)) << command;
        EXPECT_EQ(again.output, hash.output) << command;
    }
    EXPECT_EQ(reference.state_hash, hash.output) << "in process vs. the binary";
}

// The benchmark's session: three markets, 10,000 traders, mostly orders, some
// cancels, oracle ticks, deposits and queries.
TEST(ReplayAcrossProcesses, BenchmarkSessionGivesTheSameBytes) {
    testing::TempDir dir("replay-determinism");
    const std::vector<std::string> lines = bench::make_replay_session(100'000);
    const std::filesystem::path file = dir.path() / "session.jsonl";
    write_lines(file, lines);
    expect_same_bytes_everywhere(file, lines, {"fill", "order_rested"});
}

// The property tests' stream with the risk engine on: fees, funding over
// time, liquidations, ADL, bad debt, vault deposits, unlocks and releases,
// market status changes and most rejections.
TEST(ReplayAcrossProcesses, RiskEngineStreamGivesTheSameBytes) {
    testing::TempDir dir("replay-determinism");
    core::Engine engine;  // the generator picks cancels from the book
    testing::CommandGenerator generator(20260101, /*risk=*/true);
    std::vector<std::string> lines;
    std::string json;
    while (lines.size() < 60'000) {
        const core::Command command = generator.next(engine);
        engine.apply(command);
        if (command.time && *command.time < 0) continue;  // not representable in JSON
        json.clear();
        api::encode_command_json(command, json);
        json.pop_back();  // the newline
        lines.push_back(json);
    }
    const std::filesystem::path file = dir.path() / "risk.jsonl";
    write_lines(file, lines);
    expect_same_bytes_everywhere(file, lines,
                                 {"fill", "funding_settled", "liquidation", "adl", "bad_debt", "vault_shortfall",
                                  "liquidity_deposited", "unlock_priced", "liquidity_released", "vault_funded"});
}

}  // namespace
}  // namespace ballast
