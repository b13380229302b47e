// The durability promise, tested the hard way: a real `ballast serve` under
// load is killed with SIGKILL at random moments, restarted, and checked.
// Every acknowledged command must still be there, and the recovered state
// must hash the same as a clean offline replay of the journal.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "serve_process.hpp"
#include "temp_dir.hpp"

namespace ballast {
namespace {

using testing::Client;
using testing::free_port;
namespace http = testing::http;

constexpr int kRounds = 20;
constexpr int kClients = 4;

std::string trader(int client) {
    char hex[48];
    std::snprintf(hex, sizeof hex, "0x%040x", 0xc0ffee00 + client);
    return hex;
}

std::string json_string(const std::string& body, std::string_view key) {
    return std::string(boost::json::parse(body).at(key).as_string());
}

TEST(CrashRecovery, SigkillUnderLoadLosesNothingAcknowledged) {
    testing::TempDir dir("crash");
    const unsigned short port = free_port();
    const std::string config = (dir.path() / "ballast.toml").string();
    {
        std::ofstream out(config);
        out << "listen = \"127.0.0.1:" << port << "\"\n"
            << "data_dir = \"" << (dir.path() / "data").string() << "\"\n"
            << "[journal]\nfsync = \"batch\"\nsnapshot_every_commands = 500\n"
            << "[eip712]\nverify_signatures = false\n"
            << "[tokens]\nadmin = \"a\"\noracle = \"o\"\nbridge = \"b\"\n"
            << "[limits]\nper_client_per_second = 1000000\nper_client_burst = 1000000\n"
            << "per_key_per_second = 1000000\nper_key_burst = 1000000\n"
            << "[[markets]]\npair = \"BTC\"\nskew_scale = \"1000000\"\nmax_abs_premium = \"0.05\"\n"
            << "max_abs_oi = \"1000000\"\ninitial_margin_ratio = \"0.1\"\n";
    }
    const std::string log = (dir.path() / "server.log").string();
    std::mt19937 random(12345);

    // Per client: the deposits acknowledged (tx id -> reply body) and the sum
    // of every deposit sent, acknowledged or not.
    struct Ledger {
        std::map<std::string, std::string> acked;
        std::uint64_t acked_sum = 0, sent_sum = 0;
    };
    std::array<Ledger, kClients> ledgers;
    std::uint64_t total_acked = 0;

    auto wait_healthy = [&](Client& c) {
        for (int i = 0; i < 500; ++i) {
            if (auto r = c.send(http::verb::get, "/v1/health"); r && r->result_int() == 200) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    };

    for (int round = 0; round < kRounds; ++round) {
        testing::Process server({"serve", "--config", config}, log);
        Client admin(port);
        ASSERT_TRUE(wait_healthy(admin)) << "server did not come up in round " << round << "; see " << log;

        // Everything acknowledged in earlier rounds is still there.
        for (int c = 0; c < kClients; ++c) {
            const auto account = admin.send(http::verb::get, "/v1/account?trader=" + trader(c));
            ASSERT_TRUE(account && account->result_int() == 200);
            const std::uint64_t margin = std::stoull(json_string(account->body(), "margin"));
            // Orders move no margin here (no fees, no price moves), so margin is exactly the deposits applied.
            EXPECT_GE(margin, ledgers[c].acked_sum) << "round " << round << " client " << c;
            EXPECT_LE(margin, ledgers[c].sent_sum) << "round " << round << " client " << c;
            // A resent acknowledged deposit is answered with its original reply (same seq): it is in the journal.
            if (!ledgers[c].acked.empty()) {
                const auto& [tx, body] = *std::prev(ledgers[c].acked.end());
                const auto again = admin.send(http::verb::post, "/v1/admin/deposits",
                                              R"({"tx_id":")" + tx + R"(","trader":")" + trader(c) + R"(","amount":")" +
                                                  tx.substr(tx.rfind('-') + 1) + R"("})",
                                              "Bearer b");
                ASSERT_TRUE(again);
                EXPECT_EQ(again->body(), body) << "round " << round;
            }
        }
        // The recovered state is exactly a clean replay of the journal.
        const auto status = admin.send(http::verb::get, "/v1/admin/status", {}, "Bearer a");
        ASSERT_TRUE(status && status->result_int() == 200);
        const std::string replayed =
            testing::run_command(testing::ballast_binary() + " journal dump " + (dir.path() / "data").string() +
                                 " 2>/dev/null | " + testing::ballast_binary() + " replay --state-hash");
        EXPECT_EQ(replayed, json_string(status->body(), "state_hash") + "\n") << "round " << round;
        if (round == 0) {
            ASSERT_EQ(admin.send(http::verb::post, "/v1/oracle/prices", R"({"prices":{"BTC":"100"}})", "Bearer o")
                          ->result_int(),
                      200u);
        }

        // Load: each client deposits (unique tx ids, amount = a counter) and trades.
        std::atomic<bool> stop{false};
        std::mutex mutex;
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back([&, c] {
                Client client(port);
                for (std::uint64_t n = 1; !stop.load(); ++n) {
                    const std::uint64_t amount = 1000 + n;
                    const std::string tx = "r" + std::to_string(round) + "-c" + std::to_string(c) + "-" +
                                           std::to_string(n) + "-" + std::to_string(amount);
                    {
                        std::lock_guard lock(mutex);
                        ledgers[c].sent_sum += amount;
                    }
                    const auto r = client.send(http::verb::post, "/v1/admin/deposits",
                                               R"({"tx_id":")" + tx + R"(","trader":")" + trader(c) +
                                                   R"(","amount":")" + std::to_string(amount) + R"("})",
                                               "Bearer b");
                    if (!r) break;  // the server is gone
                    if (r->result_int() == 200) {
                        std::lock_guard lock(mutex);
                        ledgers[c].acked[tx] = r->body();
                        ledgers[c].acked_sum += amount;
                        ++total_acked;
                    }
                    const std::string order =
                        R"({"trader":")" + trader(c) + R"(","pair":"BTC","size":")" + (n % 2 ? "0.01" : "-0.01") +
                        R"(","kind":"limit","price":")" + (n % 2 ? "90" : "110") + R"(","nonce":)" +
                        std::to_string(round * 1'000'000 + n) + R"(,"expiry":9999999999999,"signature":"0x"})";
                    if (!client.send(http::verb::post, "/v1/orders", order)) break;
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 300)(random)));
        server.kill(SIGKILL);
        stop = true;
        for (auto& t : clients) t.join();
    }
    EXPECT_GT(total_acked, static_cast<std::uint64_t>(kRounds * kClients)) << "the load hardly ran";
    std::printf("crash test: %d SIGKILLs, %llu deposits acknowledged\n", kRounds,
                static_cast<unsigned long long>(total_acked));
}

}  // namespace
}  // namespace ballast
