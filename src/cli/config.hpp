// `ballast serve` configuration: a TOML file (toml++), overridden by
// --listen and --data on the command line. With no file, an embedded demo
// configuration starts a self-contained exchange on 127.0.0.1.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "api/router.hpp"
#include "api/ws_hub.hpp"
#include "core/commands.hpp"
#include "sequencer/sequencer.hpp"

namespace ballast::cli {

struct DemoConfig {
    bool enabled = false;
    std::chrono::milliseconds oracle_interval{500};
    std::int64_t random_walk_bps = 20;  // largest step per tick, in basis points
    core::Amount seed_vault;            // deposited by "demo-lp" on first start
};

struct MarketConfig {
    core::SetPair set_pair;
    std::optional<core::Dec> initial_price;  // demo oracle's starting price
};

struct ServeConfig {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;
    unsigned http_threads = 2;
    // [server] max_connections; unset: the descriptor limit less a reserve.
    std::optional<std::size_t> max_connections;
    api::WsOptions websocket;  // [websocket]
    sequencer::SequencerConfig sequencer;
    api::GatewayConfig gateway;
    core::SetParams params;
    std::vector<MarketConfig> markets;
    DemoConfig demo;
};

// Throws std::runtime_error naming the key and the problem.
ServeConfig load_config(const std::filesystem::path& file);
ServeConfig parse_config(std::string_view toml_text, std::string_view source_name);
// The configuration `ballast serve` uses without --config.
std::string_view demo_config_text();
// "host:port"; throws on anything else.
void apply_listen(ServeConfig& config, std::string_view host_port);

}  // namespace ballast::cli
