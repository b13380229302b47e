#include "cli/serve.hpp"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <condition_variable>
#include <csignal>
#include <cstring>
#include <random>

#include <boost/system/system_error.hpp>

#include "api/http_server.hpp"
#include "cli/config.hpp"
#include "sequencer/sequencer.hpp"

namespace ballast::cli {

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
    // Only async-signal-safe work here: the main thread polls the flag.
    g_stop.store(true);
}

// The demo's own traders: they trade through the sequencer (not over HTTP,
// so they need no keys) to give the demo market some open interest and fills.
constexpr const char* kDemoTraders[] = {"demo-trader-1", "demo-trader-2", "demo-trader-3"};

// Commands that bring a fresh (or older) state up to the configuration:
// global parameters and markets that do not exist yet, and the demo vault's
// seed. Existing markets are left as they are: change them through
// POST /v1/admin/markets, so the journal says who changed what. Each command
// names the part of the configuration it comes from.
struct BootstrapCommand {
    core::CommandBody command;
    std::string origin;
};

std::vector<BootstrapCommand> bootstrap_commands(const ServeConfig& config, const sequencer::ExchangeState& state) {
    std::vector<BootstrapCommand> commands;
    const core::Engine& engine = state.engine();
    if (state.last_seq() == 0) commands.push_back({config.params, "[params]"});
    for (std::size_t i = 0; i < config.markets.size(); ++i) {
        const MarketConfig& market = config.markets[i];
        if (!engine.find_pair(market.set_pair.pair))
            commands.push_back({market.set_pair, "markets[" + std::to_string(i) + "] (pair " +
                                                     std::string(market.set_pair.pair.view()) + ")"});
    }
    if (config.demo.enabled && !config.demo.seed_vault.is_zero() && engine.vault().share_supply.is_zero()) {
        // The LP funds its margin through the bridge, then moves it into the vault.
        commands.push_back({core::DepositMargin{core::Name::from("demo-lp"), config.demo.seed_vault}, "[demo]"});
        commands.push_back(
            {core::DepositLiquidity{core::Name::from("demo-lp"), config.demo.seed_vault, std::nullopt}, "[demo]"});
        for (const char* trader : kDemoTraders)
            commands.push_back({core::DepositMargin{core::Name::from(trader), core::Amount(1'000'000)}, "[demo]"});
    }
    return commands;
}

// The engine's own rules decide whether the configured parameters and
// markets are valid: all of them are tried on a scratch engine before the
// data directory is touched, and the first one refused is named with the
// engine's reason (markets that already exist keep their journaled
// parameters, but a configuration that says something invalid is refused all
// the same).
std::optional<std::string> invalid_configuration(const ServeConfig& config) {
    core::Engine scratch;
    auto refused = [&](const core::CommandBody& command) -> std::optional<std::string> {
        const core::Outcome outcome = scratch.apply(core::Command{std::nullopt, command});
        if (outcome.ok()) return std::nullopt;
        return outcome.message;
    };
    if (auto why = refused(config.params)) return "[params] is invalid: " + *why;
    for (std::size_t i = 0; i < config.markets.size(); ++i) {
        const core::SetPair& market = config.markets[i].set_pair;
        if (auto why = refused(market))
            return "markets[" + std::to_string(i) + "] (pair " + std::string(market.pair.view()) +
                   ") is invalid: " + *why;
    }
    return std::nullopt;
}

// The demo's oracle: each market's price takes a uniform random step of up to
// random_walk_bps basis points per tick. Exact decimal arithmetic, like a
// real feed's prices; randomness lives here, outside the engine.
class DemoOracle {
public:
    DemoOracle(const ServeConfig& config, sequencer::Sequencer& sequencer) : config_(config), sequencer_(sequencer) {
        for (const MarketConfig& m : config.markets) prices_.push_back({m.set_pair.pair, *m.initial_price});
    }
    ~DemoOracle() { stop(); }

    void start() {
        thread_ = std::thread([this] { run(); });
    }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run() {
        std::mt19937_64 random(20261122);
        std::uniform_int_distribution<std::int64_t> step(-config_.demo.random_walk_bps, config_.demo.random_walk_bps);
        std::unique_lock lock(mutex_);
        while (!cv_.wait_for(lock, config_.demo.oracle_interval, [this] { return stopping_; })) {
            core::OracleUpdate update;
            for (core::PriceUpdate& p : prices_) {
                p.price = core::mul_div(p.price, core::Dec::from_int(10'000 + step(random)),
                                        core::Dec::from_int(10'000), core::Rounding::Floor);
                update.prices.push_back(p);
            }
            const sequencer::Response r = sequencer_.call(sequencer::WriteRequest{update, std::nullopt, {}, false});
            if (r.status != 200) spdlog::warn("demo oracle update refused: {}", r.body);
            trade(random);
        }
    }

    // One demo trader sends a small market order; refusals (margin, OI
    // limits) are part of a market's life and are not logged.
    void trade(std::mt19937_64& random) {
        if (prices_.empty()) return;
        core::SubmitOrder order;
        order.user = core::Name::from(kDemoTraders[random() % std::size(kDemoTraders)]);
        const core::PriceUpdate& market = prices_[random() % prices_.size()];
        order.pair = market.pair;
        // Notional of about 200 to 2,000 settlement units, either side.
        const std::int64_t notional = 200 + static_cast<std::int64_t>(random() % 1'800);
        order.size = core::div(core::Dec::from_int(notional), market.price, core::Rounding::Floor);
        if (random() % 2) order.size = -order.size;
        order.kind = core::OrderKind::Market;
        order.max_slippage = core::div(core::Dec::from_int(2), core::Dec::from_int(100), core::Rounding::Floor);
        sequencer_.call(sequencer::WriteRequest{order, std::nullopt, {}, false});
    }

    const ServeConfig& config_;
    sequencer::Sequencer& sequencer_;
    std::vector<core::PriceUpdate> prices_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

// Descriptors kept back from connections for the journal, snapshots, the
// data directory lock, the listener and the process's own.
constexpr std::size_t kReservedDescriptors = 64;

// Raises the soft descriptor limit to the hard one and returns the limit.
std::size_t raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1'024;
    const rlim_t before = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        // An unlimited hard limit cannot be the soft one: the kernel caps at fs.nr_open.
        if (raised.rlim_cur == RLIM_INFINITY) raised.rlim_cur = 1'048'576;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    if (limit.rlim_cur != before)
        spdlog::info("descriptor limit raised from {} to {}", before, limit.rlim_cur);
    else
        spdlog::info("descriptor limit {}", limit.rlim_cur);
    return static_cast<std::size_t>(limit.rlim_cur);
}

// The configured cap, or the descriptor limit less a reserve.
std::size_t connection_cap(const ServeConfig& config, std::size_t descriptors) {
    const std::size_t room = descriptors > 2 * kReservedDescriptors ? descriptors - kReservedDescriptors
                                                                    : std::max<std::size_t>(1, descriptors / 2);
    if (!config.max_connections) return room;
    if (*config.max_connections > room)
        spdlog::warn(
            "server.max_connections = {} leaves fewer than {} of the {} descriptors for the journal and "
            "snapshots; beyond {} connections accept() will fail and new clients will be refused",
            *config.max_connections, kReservedDescriptors, descriptors, room);
    return *config.max_connections;
}

constexpr const char* kUsage =
    "usage: ballast serve [--config FILE] [--listen HOST:PORT] [--data DIR]\n"
    "\n"
    "Runs the exchange: the durable sequencer and the REST API under /v1.\n"
    "\n"
    "  --config FILE       TOML configuration (see config/production.example.toml);\n"
    "                      without it, an embedded demo exchange on 127.0.0.1:8080\n"
    "  --listen HOST:PORT  overrides the configuration's listen address\n"
    "  --data DIR          overrides the configuration's data_dir\n"
    "  --help              this text\n";

int usage(std::FILE* to, int code) {
    std::fputs(kUsage, to);
    return code;
}

}  // namespace

int serve(int argc, char** argv) {
    std::optional<std::string> config_file, listen, data;
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") return usage(stdout, 0);
        if (i + 1 >= argc) return usage(stderr, 2);
        if (arg == "--config")
            config_file = argv[++i];
        else if (arg == "--listen")
            listen = argv[++i];
        else if (arg == "--data")
            data = argv[++i];
        else
            return usage(stderr, 2);
    }
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    ServeConfig config;
    try {
        config = config_file ? load_config(*config_file) : parse_config(demo_config_text(), "embedded demo config");
        if (listen) apply_listen(config, *listen);
        if (data) config.sequencer.data_dir = *data;
        if (config.sequencer.data_dir.empty()) throw std::runtime_error("data_dir is not set (config or --data)");
    } catch (const std::exception& e) {
        spdlog::critical("config: {}", e.what());
        return 2;
    }
    if (const auto invalid = invalid_configuration(config)) {
        spdlog::critical("config: {}; refusing to start", *invalid);
        return 2;
    }
    const std::size_t descriptors = raise_descriptor_limit();
    if (config.demo.enabled)
        spdlog::warn("DEMO exchange: built-in random-walk oracle, tokens from the embedded config; not for real funds");
    if (!config.gateway.verify_signatures)
        spdlog::warn("signature checks are OFF (benchmark-only configuration): anyone can trade as anyone");

    prometheus::Registry registry;
    sequencer::SequencerMetrics metrics(registry);
    // What the journal made durable, for the WebSocket feeds.
    sequencer::EventBus bus;
    config.sequencer.bus = &bus;
    sequencer::Sequencer sequencer(config.sequencer, &metrics);
    try {
        const sequencer::RecoveryReport report = sequencer.recover();
        if (report.truncated_bytes > 0) spdlog::warn("journal: {}; cut off", report.truncation_reason);
        for (const std::string& skipped : report.skipped_snapshots) spdlog::warn("snapshot skipped: {}", skipped);
        for (const std::string& removed : report.removed_temporary_files)
            spdlog::warn("removed {}, a snapshot left half-written", removed);
        spdlog::info("recovered to seq {} in {:.3f} s: snapshot at seq {}, {} journal records replayed ({:.0f}/s)",
                     report.last_seq, report.seconds, report.snapshot_seq.value_or(0), report.replayed,
                     report.seconds > 0 ? static_cast<double>(report.replayed) / report.seconds : 0.0);
    } catch (const sequencer::DataDirLocked& e) {
        spdlog::critical("{}", e.what());
        return 1;
    } catch (const std::exception& e) {
        spdlog::critical("cannot recover from {}: {}", config.sequencer.data_dir.string(), e.what());
        return 1;
    }
    const std::vector<BootstrapCommand> bootstrap = bootstrap_commands(config, sequencer.state());

    // Bind before journaling anything: a start that cannot listen leaves the
    // data directory as it found it.
    api::Router router(config.gateway, sequencer, registry);
    api::WsHub websocket(bus, sequencer, router, config.websocket, config.gateway.admin_token, registry);
    const std::size_t max_connections = connection_cap(config, descriptors);
    std::unique_ptr<api::HttpServer> server;
    try {
        server = std::make_unique<api::HttpServer>(
            router, config.host, config.port, api::HttpServerOptions{config.http_threads, max_connections, &websocket});
    } catch (const boost::system::system_error& e) {
        spdlog::critical("cannot listen on {}:{}: {}", config.host, config.port, e.code().message());
        return 1;
    } catch (const std::exception& e) {
        spdlog::critical("cannot listen on {}:{}: {}", config.host, config.port, e.what());
        return 1;
    }

    websocket.start();
    sequencer.start();
    for (const BootstrapCommand& c : bootstrap) {
        const sequencer::Response r = sequencer.call(sequencer::WriteRequest{c.command, std::nullopt, {}, false});
        if (r.status != 200) {
            spdlog::critical("config: {} was refused by the exchange: {}", c.origin, r.body);
            if (const sequencer::StopReport stopped = sequencer.stop(); !stopped.clean)
                spdlog::critical("{}", stopped.problem);
            return 1;
        }
    }
    std::unique_ptr<DemoOracle> oracle;
    if (config.demo.enabled) {
        oracle = std::make_unique<DemoOracle>(config, sequencer);
        oracle->start();
    }
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    server->start();
    spdlog::info("listening on http://{}:{}/v1 (at most {} connections; data in {}, fsync {})", config.host,
                 server->port(), max_connections, config.sequencer.data_dir.string(),
                 config.sequencer.fsync == sequencer::FsyncPolicy::Always  ? "always"
                 : config.sequencer.fsync == sequencer::FsyncPolicy::Batch ? "batch"
                                                                           : "off");
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));

    spdlog::info("shutting down: draining requests and writing a final snapshot");
    if (oracle) oracle->stop();
    websocket.close_all(std::chrono::milliseconds(500));
    server->stop();
    const sequencer::StopReport stopped = sequencer.stop();
    websocket.stop();
    if (!stopped.clean) {
        spdlog::critical("stopped with a problem: {}", stopped.problem);
        return 1;
    }
    spdlog::info("stopped at seq {}", sequencer.state().last_seq());
    return 0;
}

}  // namespace ballast::cli
