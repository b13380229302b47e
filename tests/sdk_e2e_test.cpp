// The TypeScript SDK (clients/ts) end to end: a real `ballast serve` with a
// configuration written here, the SDK compiled with the TypeScript compiler
// (which also checks its types), and its test file run with node's test
// runner against the server. clients/ts/test/e2e.test.ts places a market
// order that fills, a limit order that rests and is cancelled, a cancel-all,
// a withdrawal, a vault deposit and unlock, reads every read route, uses the
// bridge, oracle and admin routes, and checks refusals as typed errors, each
// against values worked out by hand. Here: the server comes up, the SDK
// builds, its tests pass, the journal replays offline to the server's state
// hash, and SIGTERM stops the server cleanly.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "serve_process.hpp"
#include "temp_dir.hpp"

namespace ballast {
namespace {

using namespace ballast::testing;

constexpr const char* kAdminToken = "sdk-admin";
constexpr const char* kOracleToken = "sdk-oracle";
constexpr const char* kBridgeToken = "sdk-bridge";
// Unlike the defaults, so that a server publishing another domain than it
// verifies with would fail the SDK's first test.
constexpr const char* kDomainName = "Ballast SDK";
constexpr const char* kDomainVersion = "3";
constexpr const char* kChainId = "31337";
constexpr const char* kContract = "0x00000000000000000000000000000000000ba1a5";

std::string quote(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

TEST(SdkEndToEnd, TheTypeScriptClientAgainstARealServer) {
    namespace fs = std::filesystem;
    const fs::path sdk = fs::path(BALLAST_SOURCE_DIR) / "clients" / "ts";
    ASSERT_TRUE(fs::exists(sdk / "node_modules" / "viem" / "package.json") &&
                fs::exists(sdk / "node_modules" / "typescript" / "bin" / "tsc"))
        << "the SDK's dependencies are not installed: run `npm ci` in " << sdk.string()
        << " (scripts/test.sh does this)";

    TempDir dir("sdk-e2e");
    const unsigned short port = free_port();
    const fs::path data = dir.path() / "data";
    const fs::path config = dir.path() / "ballast.toml";
    {
        // The market the SDK test's hand calculations assume: K = 1,000,
        // M = 5%, initial margin 10%, no fees, funding or price band; the
        // default one-day vault cooldown and shares per amount; no demo.
        std::ofstream out(config);
        out << "listen = \"127.0.0.1:" << port << "\"\n"
            << "data_dir = \"" << data.string() << "\"\n"
            << "http_threads = 2\n"
            << "[eip712]\nname = \"" << kDomainName << "\"\nversion = \"" << kDomainVersion << "\"\n"
            << "chain_id = " << kChainId << "\nverifying_contract = \"" << kContract << "\"\n"
            << "[settlement]\nasset = \"USDC\"\ndecimals = 6\n"
            << "[tokens]\nadmin = \"" << kAdminToken << "\"\noracle = \"" << kOracleToken << "\"\nbridge = \""
            << kBridgeToken << "\"\n"
            << "[[markets]]\npair = \"BTC\"\nskew_scale = \"1000\"\nmax_abs_premium = \"0.05\"\n"
            << "max_abs_oi = \"500\"\ninitial_margin_ratio = \"0.1\"\n";
    }
    const fs::path log = dir.path() / "server.log";
    Process server({"serve", "--config", config.string()}, log);

    // The SDK compiles into the test's directory, where node finds the
    // SDK's dependencies through a link: nothing is written into the sources.
    const fs::path build = dir.path() / "sdk";
    fs::create_directories(build);
    fs::create_directory_symlink(sdk / "node_modules", build / "node_modules");
    std::ofstream(build / "package.json") << R"({"type":"module"})";
    int tsc_status = -1;
    const std::string tsc =
        run_command("node " + quote(sdk / "node_modules" / "typescript" / "bin" / "tsc") + " -p " +
                        quote(sdk / "tsconfig.json") + " --outDir " + quote(build / "dist") + " 2>&1",
                    &tsc_status);
    ASSERT_TRUE(exited_with(tsc_status, 0)) << "tsc:\n" << tsc;

    Client client(port);
    ASSERT_TRUE(eventually([&] {
        const auto r = client.get("/v1/health");
        return r && r->result_int() == 200;
    })) << "the server did not come up; its log:\n"
        << read_text(log);

    const std::string environment = std::string("BALLAST_URL=http://127.0.0.1:") + std::to_string(port) +
                                    " BALLAST_ADMIN_TOKEN=" + kAdminToken + " BALLAST_ORACLE_TOKEN=" + kOracleToken +
                                    " BALLAST_BRIDGE_TOKEN=" + kBridgeToken + " BALLAST_DOMAIN_NAME='" + kDomainName +
                                    "' BALLAST_DOMAIN_VERSION=" + kDomainVersion + " BALLAST_CHAIN_ID=" + kChainId +
                                    " BALLAST_VERIFYING_CONTRACT=" + kContract;
    // `timeout` bounds a hung request; node's runner exits 1 on any failure.
    int node_status = -1;
    const std::string output =
        run_command("cd " + quote(build) + " && " + environment + " timeout 60 node --test dist/test/e2e.test.js 2>&1",
                    &node_status);
    std::printf("%s", output.c_str());
    EXPECT_TRUE(exited_with(node_status, 0)) << "node --test (status " << node_status << "):\n"
                                             << output << "\nserver log:\n"
                                             << read_text(log);

    // What the SDK did is in the journal: replayed offline, it gives the
    // state the server reports.
    const auto status = client.get("/v1/admin/status", std::string("Bearer ") + kAdminToken);
    ASSERT_TRUE(status && status->result_int() == 200);
    const std::string hash(boost::json::parse(status->body()).at("state_hash").as_string());
    const std::string replayed = run_command(ballast_binary() + " journal dump " + quote(data) + " | " +
                                             ballast_binary() + " replay --state-hash");
    EXPECT_EQ(replayed, hash + "\n");

    EXPECT_TRUE(exited_with(server.kill(SIGTERM), 0)) << read_text(log);
}

}  // namespace
}  // namespace ballast
