// libFuzzer target: the replay line decoder and, behind it, the engine. Each
// input is split into lines and replayed after a fixed market set-up, so the
// fuzzer reaches orders, fills and the vault as well as the decoder. Every
// line must yield exactly one result line, and the engine must not crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/replay.hpp"

namespace {

constexpr std::string_view kSetUp[] = {
    R"({"cmd":"set_pair","pair":"BTC","skew_scale":"1000","max_abs_premium":"0.05","max_abs_oi":"500","initial_margin_ratio":"0.05"})",
    R"({"cmd":"set_pair","pair":"ETH","skew_scale":"10","max_abs_premium":"0.5","max_abs_oi":"50","initial_margin_ratio":"0.1"})",
    R"({"cmd":"oracle","time":1000,"prices":{"BTC":"100","ETH":"2"}})",
    R"({"cmd":"deposit_liquidity","user":"lp","amount":"100000"})",
    R"({"cmd":"deposit_margin","user":"a","amount":"1000"})",
    R"({"cmd":"deposit_margin","user":"b","amount":"1000"})",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ballast::api::Replayer replayer;
    std::string out;
    for (std::string_view line : kSetUp) replayer.process_line(line, out);

    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        const std::size_t end = input.find('\n');
        const std::string_view line = input.substr(0, end);
        input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
        const std::size_t before = out.size();
        const bool produced = replayer.process_line(line, out);
        const std::size_t added = out.size() - before;
        // One result line per command, and nothing for a blank line.
        if (produced != (added > 0)) std::abort();
        if (produced && (out.back() != '\n' || out.find('\n', before) != out.size() - 1)) std::abort();
    }
    return 0;
}
