// The durability promise against a real process: a `ballast serve` under
// load is killed with SIGKILL at random moments, restarted, and checked; the
// last restart is checked too, then stopped with SIGTERM. SIGKILL keeps the
// page cache, so this cannot see a reply sent before its fdatasync (the
// simulated power cuts of power_loss_test.cpp do); it sees everything a
// process crash can lose or duplicate.
//
// After each restart, every command ever acknowledged is checked on its own:
// each deposit is resent with its bridge tx id and each order with its
// Idempotency-Key, and must get its first reply byte for byte (so it is in
// the journal and ran once). Commands whose reply the kill swallowed are
// resent the same way and settle either way. Then each trader's margin must
// be exactly the sum of the deposits the test made, and their resting orders
// exactly the orders acknowledged: figures the test computes itself.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "serve_process.hpp"
#include "temp_dir.hpp"

namespace ballast {
namespace {

using testing::Client;
using testing::free_port;
namespace http = testing::http;

constexpr int kRounds = 20;  // kills; the server starts kRounds + 1 times
constexpr int kClients = 4;
const std::string kLp = "0x00000000000000000000000000000000000001a9";

std::string trader(int client) {
    char hex[48];
    std::snprintf(hex, sizeof hex, "0x%040x", 0xc0ffee00 + client);
    return hex;
}

std::string text_at(const std::string& body, std::string_view pointer) {
    const boost::json::value v = boost::json::parse(body);
    const boost::json::value& f = v.at_pointer(pointer);
    return f.is_string() ? std::string(f.as_string()) : boost::json::serialize(f);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string deposit_body(const std::string& tx, const std::string& who, std::uint64_t amount) {
    return R"({"tx_id":")" + tx + R"(","trader":")" + who + R"(","amount":")" + std::to_string(amount) + R"("})";
}

// Signature checks are off in this server: "0x" stands for a signature.
std::string order_body(const std::string& who, const std::string& size, const std::string& price, std::uint64_t nonce) {
    return R"({"trader":")" + who + R"(","pair":"BTC","size":")" + size + R"(","kind":"limit","price":")" + price +
           R"(","nonce":)" + std::to_string(nonce) + R"(,"expiry":)" + std::to_string(now_ms() + 30 * 60'000) +
           R"(,"signature":"0x"})";
}

struct Deposit {
    std::string tx;
    std::uint64_t amount = 0;
    std::optional<std::string> reply;  // the acknowledgement
};

struct Order {
    std::string key, body, size;
    std::optional<std::string> reply;  // the acknowledgement
};

// What one client sent, touched by one thread at a time.
struct Ledger {
    std::vector<Deposit> deposits;
    std::vector<Order> orders;
    std::uint64_t acked_at_once = 0;                        // by the reply to the first send
    std::uint64_t settled_present = 0, settled_absent = 0;  // left in doubt by a kill, then resent
};

struct Counts {
    std::uint64_t acked_at_once = 0, resent = 0, commands = 0;
};

// Checks one client's commands after a restart at `recovered`; see the top of the file.
void verify_client(unsigned short port, int c, Ledger& ledger, std::uint64_t recovered, int round) {
    Client client(port);
    const std::string who = trader(c);
    auto settle = [&](const std::optional<http::response<http::string_body>>& r, std::optional<std::string>& reply,
                      const std::string& what) {
        ASSERT_TRUE(r) << what;
        if (reply) {
            EXPECT_EQ(r->body(), *reply) << "round " << round << ": the acknowledged " << what
                                         << " is not in the exchange as it was answered";
            return;
        }
        ASSERT_EQ(r->result_int(), 200u) << what << ": " << r->body();
        const std::uint64_t seq = std::stoull(text_at(r->body(), "/seq"));
        ++(seq <= recovered ? ledger.settled_present : ledger.settled_absent);
        reply = r->body();
    };
    std::uint64_t margin = 0;
    for (Deposit& d : ledger.deposits) {
        settle(client.post("/v1/admin/deposits", deposit_body(d.tx, who, d.amount), "Bearer b"), d.reply,
               "deposit " + d.tx);
        margin += d.amount;
    }
    std::set<std::string> resting;
    for (Order& o : ledger.orders) {
        settle(client.send(http::verb::post, "/v1/orders", o.body, {}, o.key), o.reply, "order " + o.key);
        if (!o.reply) continue;
        EXPECT_EQ(text_at(*o.reply, "/result/rested"), o.size) << "order " << o.key << " rests whole";
        resting.insert(text_at(*o.reply, "/result/order_id"));
    }
    // Orders neither fill (limits away from the oracle) nor cost fees, so
    // the margin is exactly what was deposited, every deposit once.
    const auto account = client.get("/v1/account?trader=" + who);
    ASSERT_TRUE(account && account->result_int() == 200);
    EXPECT_EQ(text_at(account->body(), "/margin"), std::to_string(margin)) << "round " << round << " client " << c;
    std::set<std::string> listed;
    for (std::string after = "0";;) {
        const auto page = client.get("/v1/orders?trader=" + who + "&limit=1000&after=" + after);
        ASSERT_TRUE(page && page->result_int() == 200);
        const boost::json::value orders = boost::json::parse(page->body());
        for (const auto& o : orders.at("orders").as_array()) listed.insert(std::string(o.at("order_id").as_string()));
        after = text_at(page->body(), "/next_after");
        if (after == "null") break;
    }
    EXPECT_EQ(listed, resting) << "round " << round << " client " << c << ": resting orders";
}

// Each client deposits (unique tx ids, amounts from a counter) and places a
// limit order, waiting for each reply, until the server is gone.
void load(unsigned short port, int c, int round, Ledger& ledger, std::atomic<bool>& stop) {
    Client client(port);
    const std::string who = trader(c);
    for (std::uint64_t n = 1; !stop.load(); ++n) {
        Deposit& d = ledger.deposits.emplace_back();
        d.amount = 1000 + n;
        d.tx = "r" + std::to_string(round) + "-c" + std::to_string(c) + "-" + std::to_string(n);
        const auto r = client.post("/v1/admin/deposits", deposit_body(d.tx, who, d.amount), "Bearer b");
        if (!r) break;  // the server is gone
        ASSERT_EQ(r->result_int(), 200u) << r->body();
        d.reply = r->body();
        ++ledger.acked_at_once;

        Order& o = ledger.orders.emplace_back();
        const bool buy = n % 2 == 1;
        o.size = buy ? "0.01" : "-0.01";
        o.key = "order-" + d.tx;
        o.body = order_body(who, o.size, buy ? "90" : "110", (round + 1) * 1'000'000ull + n);
        const auto placed = client.send(http::verb::post, "/v1/orders", o.body, {}, o.key);
        if (!placed) break;
        ASSERT_EQ(placed->result_int(), 200u) << placed->body();
        EXPECT_EQ(text_at(placed->body(), "/result/filled"), "0") << placed->body();
        EXPECT_EQ(text_at(placed->body(), "/result/rested"), o.size) << placed->body();
        o.reply = placed->body();
        ++ledger.acked_at_once;
    }
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
            << "[params]\nmax_open_orders = 1000000\n"
            << "[[markets]]\npair = \"BTC\"\nskew_scale = \"1000000\"\nmax_abs_premium = \"0.05\"\n"
            << "max_abs_oi = \"1000000\"\ninitial_margin_ratio = \"0.1\"\n";
    }
    const std::string log = (dir.path() / "server.log").string();
    std::mt19937 random(12345);
    std::array<Ledger, kClients> ledgers;
    Counts counts;

    for (int round = 0; round <= kRounds; ++round) {
        testing::Process server({"serve", "--config", config}, log);
        Client admin(port);
        ASSERT_TRUE(testing::eventually(
            [&] {
                const auto r = admin.get("/v1/health");
                return r && r->result_int() == 200;
            },
            std::chrono::seconds(10)))
            << "server did not come up in round " << round << "; see " << log;

        // Recovery reaches what an offline replay of the journal reaches.
        const auto status = admin.get("/v1/admin/status", "Bearer a");
        ASSERT_TRUE(status && status->result_int() == 200);
        const std::string replayed =
            testing::run_command(testing::ballast_binary() + " journal dump " + (dir.path() / "data").string() +
                                 " 2>/dev/null | " + testing::ballast_binary() + " replay --state-hash");
        EXPECT_EQ(replayed, text_at(status->body(), "/state_hash") + "\n") << "round " << round;

        // Everything acknowledged is there, each command on its own.
        const std::uint64_t recovered = std::stoull(text_at(status->body(), "/seq"));
        std::vector<std::thread> checkers;
        for (int c = 0; c < kClients; ++c)
            checkers.emplace_back([&, c] { verify_client(port, c, ledgers[c], recovered, round); });
        for (auto& t : checkers) t.join();
        for (const Ledger& l : ledgers) counts.resent += l.deposits.size() + l.orders.size();
        if (::testing::Test::HasFailure()) break;

        if (round == 0) {
            // A priced market and a funded vault: orders need both.
            ASSERT_EQ(admin.post("/v1/oracle/prices", R"({"prices":{"BTC":"100"}})", "Bearer o")->result_int(), 200u);
            const auto seed = admin.post("/v1/admin/deposits", deposit_body("lp-seed", kLp, 1'000'000), "Bearer b");
            ASSERT_EQ(seed->result_int(), 200u) << seed->body();
            const auto vault =
                admin.post("/v1/vault/deposit", R"({"trader":")" + kLp + R"(","amount":"1000000","nonce":1,"expiry":)" +
                                                    std::to_string(now_ms() + 60'000) + R"(,"signature":"0x"})");
            ASSERT_EQ(vault->result_int(), 200u) << vault->body();
        }
        if (round == kRounds) {
            // The last restart is verified above; it stops cleanly.
            EXPECT_TRUE(testing::exited_with(server.kill(SIGTERM), 0)) << "see " << log;
            break;
        }

        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) clients.emplace_back([&, c] { load(port, c, round, ledgers[c], stop); });
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 300)(random)));
        server.kill(SIGKILL);
        stop = true;
        for (auto& t : clients) t.join();
    }

    std::uint64_t present = 0, absent = 0;
    for (const Ledger& l : ledgers) {
        counts.acked_at_once += l.acked_at_once;
        counts.commands += l.deposits.size() + l.orders.size();
        present += l.settled_present;
        absent += l.settled_absent;
    }
    EXPECT_GT(counts.acked_at_once, static_cast<std::uint64_t>(4 * kRounds * kClients)) << "the load hardly ran";
    std::printf(
        "crash test: %d SIGKILLs, %d restarts verified; %llu deposits and orders sent, %llu acknowledged by their "
        "first reply; %llu resends compared byte for byte or settled; of the commands a kill left unanswered, "
        "%llu were in the journal and %llu were not\n",
        kRounds, kRounds + 1, static_cast<unsigned long long>(counts.commands),
        static_cast<unsigned long long>(counts.acked_at_once), static_cast<unsigned long long>(counts.resent),
        static_cast<unsigned long long>(present), static_cast<unsigned long long>(absent));
}

}  // namespace
}  // namespace ballast
