// Signed requests end to end: a real `ballast serve` with a configuration
// written here, and tests/eth/e2e_signed_routes.mjs, which has the ethers
// wallet sign full REST bodies for every signed route (market and limit
// orders, cancel, cancel-all, withdrawal, vault deposit and unlock), posts them
// and checks each reply against values worked out by hand in its comments.
// Here: the server comes up with the configured domain and market, the script
// exits 0, the journal of what it did replays offline to the server's state
// hash, and SIGTERM stops the server cleanly.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "temp_dir.hpp"

namespace ballast {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr const char* kAdminToken = "e2e-admin";
constexpr const char* kOracleToken = "e2e-oracle";
constexpr const char* kBridgeToken = "e2e-bridge";
// A domain unlike the defaults (name "Ballast", chain 1, zero contract), so a
// server that ignored the configured domain would refuse every signature.
constexpr const char* kDomainName = "Ballast E2E";
constexpr const char* kDomainVersion = "7";
constexpr const char* kChainId = "31337";
constexpr const char* kContract = "0x00000000000000000000000000000000000ba1a5";

unsigned short free_port() {
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

// One request on a fresh connection; nullopt if the server does not answer.
std::optional<http::response<http::string_body>> send(unsigned short port, http::verb verb, const std::string& target,
                                                      const std::string& auth = {}) {
    try {
        net::io_context io;
        beast::tcp_stream stream(io);
        stream.expires_after(std::chrono::seconds(5));
        stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        http::request<http::string_body> request(verb, target, 11);
        request.set(http::field::host, "127.0.0.1");
        if (!auth.empty()) request.set(http::field::authorization, auth);
        http::write(stream, request);
        beast::flat_buffer buffer;
        http::response<http::string_body> response;
        http::read(stream, buffer, response);
        return response;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// `ballast serve --config FILE`, its output in a log file; killed if still
// running when the object goes.
class ServeProcess {
public:
    ServeProcess(const std::string& config, const std::filesystem::path& log) {
        pid_ = ::fork();
        if (pid_ == 0) {
            std::FILE* out = std::freopen(log.c_str(), "a", stderr);
            (void)out;
            ::dup2(::fileno(stderr), STDOUT_FILENO);
            ::execl(BALLAST_BINARY, BALLAST_BINARY, "serve", "--config", config.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~ServeProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    bool running() {
        if (pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;  // exited (and reaped)
        return pid_ > 0;
    }

    // SIGTERM, then the exit status (as waitpid gives it), or nullopt if it
    // has not exited within `timeout` (it is then killed).
    std::optional<int> terminate(std::chrono::milliseconds timeout) {
        if (pid_ <= 0) return std::nullopt;
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        int status = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return status;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return std::nullopt;
    }

private:
    pid_t pid_ = -1;
};

struct CommandResult {
    int status = -1;  // as pclose gives it
    std::string output;
};

CommandResult run(const std::string& command) {
    CommandResult result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
    result.status = ::pclose(pipe);
    return result;
}

bool exited_zero(int status) { return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

TEST(SignedRoutesEndToEnd, EthersSignedBodiesForEveryRouteThroughARealServer) {
    namespace fs = std::filesystem;
    const fs::path eth = BALLAST_ETH_DIR;
    ASSERT_TRUE(fs::exists(eth / "node_modules" / "ethers" / "package.json"))
        << "ethers is not installed: run `npm ci` in " << eth.string() << " (scripts/test.sh does this)";

    testing::TempDir dir("e2e-signed");
    const unsigned short port = free_port();
    const fs::path data = dir.path() / "data";
    const std::string config = (dir.path() / "ballast.toml").string();
    {
        // The market the script's hand calculations assume: K = 1,000, M = 5%,
        // initial margin 10%, no fees, funding or price band; the default
        // one-day vault cooldown and shares per amount; no demo.
        std::ofstream out(config);
        out << "listen = \"127.0.0.1:" << port << "\"\n"
            << "data_dir = \"" << data.string() << "\"\n"
            << "http_threads = 2\n"
            << "[journal]\nfsync = \"batch\"\n"
            << "[eip712]\nname = \"" << kDomainName << "\"\nversion = \"" << kDomainVersion << "\"\n"
            << "chain_id = " << kChainId << "\nverifying_contract = \"" << kContract << "\"\n"
            << "verify_signatures = true\n"
            << "[tokens]\nadmin = \"" << kAdminToken << "\"\noracle = \"" << kOracleToken << "\"\nbridge = \""
            << kBridgeToken << "\"\n"
            << "[params]\nvault_cooldown_ms = 86400000\n"
            << "[[markets]]\npair = \"BTC\"\nskew_scale = \"1000\"\nmax_abs_premium = \"0.05\"\n"
            << "max_abs_oi = \"500\"\ninitial_margin_ratio = \"0.1\"\n";
    }
    const fs::path log = dir.path() / "server.log";
    ServeProcess server(config, log);
    bool healthy = false;
    for (int i = 0; i < 500 && !healthy && server.running(); ++i) {
        const auto r = send(port, http::verb::get, "/v1/health");
        healthy = r && r->result_int() == 200;
        if (!healthy) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(healthy) << "the server did not come up; its log:\n" << read_file(log);

    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    // `timeout` bounds a hung request; the script's own failures exit 1.
    const CommandResult script =
        run("cd '" + eth.string() + "' && timeout 60 node e2e_signed_routes.mjs --url " + url + " --admin-token " +
            kAdminToken + " --bridge-token " + kBridgeToken + " --oracle-token " + kOracleToken + " --name '" +
            kDomainName + "' --version " + kDomainVersion + " --chain-id " + kChainId + " --verifying-contract " +
            kContract + " 2>&1");
    std::printf("%s", script.output.c_str());
    EXPECT_TRUE(exited_zero(script.status)) << "e2e_signed_routes.mjs (status " << script.status << "):\n"
                                            << script.output << "\nserver log:\n"
                                            << read_file(log);

    // What the script did is in the journal: replayed offline, it gives the
    // state the server reports.
    const auto status = send(port, http::verb::get, "/v1/admin/status", std::string("Bearer ") + kAdminToken);
    ASSERT_TRUE(status && status->result_int() == 200);
    const boost::json::value status_json = boost::json::parse(status->body());
    const CommandResult replayed = run(std::string(BALLAST_BINARY) + " journal dump " + data.string() + " | " +
                                       BALLAST_BINARY + " replay --state-hash");
    EXPECT_EQ(replayed.output, std::string(status_json.at("state_hash").as_string()) + "\n");

    const std::optional<int> exit_status = server.terminate(std::chrono::seconds(10));
    ASSERT_TRUE(exit_status.has_value()) << "the server did not stop within 10 s of SIGTERM";
    EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0)
        << "status " << *exit_status << "; server log:\n"
        << read_file(log);
}

}  // namespace
}  // namespace ballast
