// A deterministic replay session for throughput runs: a few markets, many
// traders, and a mix like a busy exchange's (mostly orders, some cancels,
// oracle ticks, deposits and queries).
#pragma once

#include <random>
#include <string>
#include <vector>

namespace ballast::bench {

inline std::vector<std::string> make_replay_session(int count) {
    std::vector<std::string> lines;
    lines.reserve(static_cast<std::size_t>(count));
    const char* pairs[] = {"BTC", "ETH", "SOL"};
    for (const char* p : pairs) {
        lines.push_back(
            std::string(R"({"cmd":"set_pair","pair":")") + p +
            R"(","skew_scale":"1000000","max_abs_premium":"0.05","max_abs_oi":"100000000","initial_margin_ratio":"0.05"})");
    }
    lines.push_back(R"({"cmd":"set_params","max_open_orders":1000})");
    lines.push_back(R"({"cmd":"oracle","time":1,"prices":{"BTC":"100","ETH":"100","SOL":"100"}})");
    lines.push_back(R"({"cmd":"deposit_margin","user":"lp","amount":"1000000000000"})");
    lines.push_back(R"({"cmd":"deposit_liquidity","user":"lp","amount":"1000000000000"})");
    std::mt19937_64 rng(1);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    long time = 1;
    int next_id = 1;
    int price = 100'000;  // thousandths
    while (static_cast<int>(lines.size()) < count) {
        const std::string user = "0x" + std::to_string(100000 + pick(0, 9999));
        const char* pair = pairs[pick(0, 2)];
        const int roll = pick(0, 99);
        if (roll < 5) {
            price = std::max(50'000, std::min(150'000, price + pick(-500, 500)));
            const std::string p = std::to_string(price / 1000) + "." + std::to_string(price % 1000);
            lines.push_back(R"({"cmd":"oracle","time":)" + std::to_string(++time) + R"(,"prices":{"BTC":")" + p +
                            R"(","ETH":")" + p + R"(","SOL":")" + p + "\"}}");
        } else if (roll < 10) {
            lines.push_back(R"({"cmd":"deposit_margin","user":")" + user + R"(","amount":"100000"})");
        } else if (roll < 55) {
            const int size = pick(1, 9) * (pick(0, 1) ? 1 : -1);
            lines.push_back(R"({"cmd":"submit_order","user":")" + user + R"(","pair":")" + pair + R"(","size":")" +
                            std::to_string(size) + R"(","kind":"market","max_slippage":"0.05","reduce_only":false})");
            ++next_id;
        } else if (roll < 85) {
            const int size = pick(1, 9) * (pick(0, 1) ? 1 : -1);
            const int limit = price + (size > 0 ? -1 : 1) * pick(100, 3000);
            lines.push_back(R"({"cmd":"submit_order","user":")" + user + R"(","pair":")" + pair + R"(","size":")" +
                            std::to_string(size) + R"(","kind":"limit","limit_price":")" +
                            std::to_string(limit / 1000) + "." + std::to_string(limit % 1000) +
                            R"(","reduce_only":false})");
            ++next_id;
        } else if (roll < 95) {
            lines.push_back(R"({"cmd":"cancel_order","user":")" + user + R"(","pair":")" + pair + R"(","order_id":")" +
                            std::to_string(pick(1, next_id)) + "\"}");
        } else {
            lines.push_back(R"({"cmd":"query_user","user":")" + user + "\"}");
        }
    }
    return lines;
}

}  // namespace ballast::bench
