#include "cli/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>

namespace ballast::cli {

namespace {

constexpr std::string_view kDemoConfig = R"toml(
# The embedded demo exchange: NOT for real money. Fixed tokens, a built-in
# random-walk oracle and a seeded vault, so a fresh checkout shows a live market.
listen = "127.0.0.1:8080"
data_dir = "ballast-demo-data"

[journal]
fsync = "batch"

[eip712]
name = "Ballast"
version = "1"
chain_id = 31337
verifying_contract = "0x00000000000000000000000000000000000ba1a5"

[tokens]
admin = "demo-admin-token"
oracle = "demo-oracle-token"
bridge = "demo-bridge-token"

[params]
vault_cooldown_ms = 60000
max_oracle_age_ms = 10000
protocol_fee_share = "0.2"

[demo]
enabled = true
oracle_interval_ms = 500
random_walk_bps = 20
seed_vault = "10000000"

[[markets]]
pair = "BTC-PERP"
initial_price = "60000"
skew_scale = "10000"
max_abs_premium = "0.01"
max_abs_oi = "500"
initial_margin_ratio = "0.05"
maintenance_margin_ratio = "0.025"
liquidation_fee_rate = "0.01"
maker_fee_rate = "0.0002"
taker_fee_rate = "0.0006"
max_funding_velocity = "3"
max_abs_funding_rate = "0.1"
max_limit_price_deviation = "0.2"

[[markets]]
pair = "ETH-PERP"
initial_price = "3000"
skew_scale = "200000"
max_abs_premium = "0.01"
max_abs_oi = "10000"
initial_margin_ratio = "0.05"
maintenance_margin_ratio = "0.025"
liquidation_fee_rate = "0.01"
maker_fee_rate = "0.0002"
taker_fee_rate = "0.0006"
max_funding_velocity = "3"
max_abs_funding_rate = "0.1"
max_limit_price_deviation = "0.2"
)toml";

[[noreturn]] void bad(std::string_view source, std::string_view key, std::string_view why) {
    throw std::runtime_error(std::string(source) + ": " + std::string(key) + ": " + std::string(why));
}

struct Reader {
    std::string_view source;

    template <typename T>
    std::optional<T> get(const toml::node_view<const toml::node>& node, std::string_view key) const {
        if (!node) return std::nullopt;
        auto value = node.value<T>();
        if (!value) bad(source, key, "has the wrong type");
        return value;
    }
    std::optional<std::int64_t> integer(const toml::node_view<const toml::node>& node, std::string_view key,
                                        std::int64_t min) const {
        auto value = get<std::int64_t>(node, key);
        if (value && *value < min) bad(source, key, "must be at least " + std::to_string(min));
        return value;
    }
    // Decimals are TOML strings ("0.05"): TOML floats are binary and inexact.
    std::optional<core::Dec> decimal(const toml::node_view<const toml::node>& node, std::string_view key) const {
        auto text = get<std::string>(node, key);
        if (!text) return std::nullopt;
        core::Dec out;
        if (core::parse_dec(*text, out) != core::ParseError::None) bad(source, key, "must be a decimal string");
        return out;
    }
    std::optional<core::Amount> amount(const toml::node_view<const toml::node>& node, std::string_view key) const {
        auto text = get<std::string>(node, key);
        if (!text) return std::nullopt;
        core::Amount out;
        if (core::parse_amount(*text, out) != core::ParseError::None)
            bad(source, key, "must be a whole number of base units as a string");
        return out;
    }
};

// A misspelt key must not be silently ignored.
void check_keys(std::string_view source, const toml::node_view<const toml::node>& node, std::string_view prefix,
                std::initializer_list<std::string_view> allowed) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
        if (node) bad(source, prefix, "must be a table");
        return;
    }
    for (const auto& entry : *table) {
        const std::string_view key = entry.first.str();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            bad(source, prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key),
                "is not a setting");
    }
}

}  // namespace

std::string_view demo_config_text() { return kDemoConfig; }

void apply_listen(ServeConfig& config, std::string_view host_port) {
    const std::size_t colon = host_port.rfind(':');
    unsigned port = 0;
    const std::string_view port_text = colon == std::string_view::npos ? "" : host_port.substr(colon + 1);
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (colon == 0 || colon == std::string_view::npos || ec != std::errc() ||
        end != port_text.data() + port_text.size() || port > 65535)
        throw std::runtime_error("listen address must be HOST:PORT, got '" + std::string(host_port) + "'");
    config.host = std::string(host_port.substr(0, colon));
    config.port = static_cast<unsigned short>(port);
}

ServeConfig parse_config(std::string_view text, std::string_view source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw std::runtime_error(std::string(source) + ": " + std::string(e.description()));
    }
    const toml::table& cfg = root;
    const Reader r{source};
    const toml::node_view<const toml::node> top(cfg);
    check_keys(source, top, "",
               {"listen", "data_dir", "http_threads", "server", "websocket", "journal", "eip712", "settlement",
                "tokens", "limits", "params", "markets", "demo"});
    check_keys(source, top["server"], "server", {"max_connections"});
    check_keys(
        source, top["websocket"], "websocket",
        {"max_subscriptions", "max_queued_bytes", "max_message_bytes", "max_connections_per_ip", "ticker_per_second",
         "idle_timeout_seconds", "ops_per_second", "ops_burst", "socket_send_buffer_bytes"});
    check_keys(source, top["journal"], "journal",
               {"fsync", "segment_mb", "reserve_mb", "snapshot_every_commands", "snapshot_every_seconds"});
    check_keys(source, top["eip712"], "eip712",
               {"name", "version", "chain_id", "verifying_contract", "verify_signatures"});
    check_keys(source, top["settlement"], "settlement", {"asset", "decimals"});
    check_keys(source, top["tokens"], "tokens", {"admin", "oracle", "bridge"});
    check_keys(source, top["limits"], "limits",
               {"queue_capacity", "per_client_per_second", "per_client_burst", "per_key_per_second", "per_key_burst",
                "idempotency_retention_seconds", "max_request_lifetime_seconds"});
    check_keys(source, top["params"], "params",
               {"vault_cooldown_ms", "max_open_orders", "max_oracle_age_ms", "default_shares_per_amount",
                "adl_trigger_ratio", "protocol_fee_share", "liquidation_alert_ratio"});
    check_keys(source, top["demo"], "demo", {"enabled", "oracle_interval_ms", "random_walk_bps", "seed_vault"});
    ServeConfig c;
    if (auto listen = r.get<std::string>(cfg["listen"], "listen")) apply_listen(c, *listen);
    if (auto dir = r.get<std::string>(cfg["data_dir"], "data_dir")) c.sequencer.data_dir = *dir;
    if (auto n = r.integer(cfg["http_threads"], "http_threads", 1)) c.http_threads = static_cast<unsigned>(*n);
    if (auto n = r.integer(cfg["server"]["max_connections"], "server.max_connections", 1))
        c.max_connections = static_cast<std::size_t>(*n);
    const auto ws = cfg["websocket"];
    if (auto n = r.integer(ws["max_subscriptions"], "websocket.max_subscriptions", 1))
        c.websocket.max_subscriptions = static_cast<std::size_t>(*n);
    if (auto n = r.integer(ws["max_queued_bytes"], "websocket.max_queued_bytes", 1'024))
        c.websocket.max_queued_bytes = static_cast<std::size_t>(*n);
    if (auto n = r.integer(ws["max_message_bytes"], "websocket.max_message_bytes", 256))
        c.websocket.max_message_bytes = static_cast<std::size_t>(*n);
    if (auto n = r.integer(ws["max_connections_per_ip"], "websocket.max_connections_per_ip", 1))
        c.websocket.max_connections_per_ip = static_cast<std::size_t>(*n);
    if (auto n = r.integer(ws["ticker_per_second"], "websocket.ticker_per_second", 1)) {
        if (*n > 1'000) bad(source, "websocket.ticker_per_second", "must be at most 1000");
        c.websocket.ticker_per_second = static_cast<unsigned>(*n);
    }
    if (auto n = r.integer(ws["socket_send_buffer_bytes"], "websocket.socket_send_buffer_bytes", 4'096)) {
        if (*n > (1 << 30)) bad(source, "websocket.socket_send_buffer_bytes", "must be at most 1 GiB");
        c.websocket.socket_send_buffer_bytes = static_cast<std::size_t>(*n);
    }
    if (auto n = r.integer(ws["ops_per_second"], "websocket.ops_per_second", 1))
        c.websocket.ops_per_ip.per_second = static_cast<double>(*n);
    if (auto n = r.integer(ws["ops_burst"], "websocket.ops_burst", 1))
        c.websocket.ops_per_ip.burst = static_cast<double>(*n);
    if (auto n = r.integer(ws["idle_timeout_seconds"], "websocket.idle_timeout_seconds", 1))
        c.websocket.idle_timeout = std::chrono::seconds(*n);

    const auto journal = cfg["journal"];
    if (auto fsync = r.get<std::string>(journal["fsync"], "journal.fsync")) {
        if (*fsync == "always")
            c.sequencer.fsync = sequencer::FsyncPolicy::Always;
        else if (*fsync == "batch")
            c.sequencer.fsync = sequencer::FsyncPolicy::Batch;
        else if (*fsync == "off")
            c.sequencer.fsync = sequencer::FsyncPolicy::Off;
        else
            bad(source, "journal.fsync", "must be \"always\", \"batch\" or \"off\"");
    }
    if (auto mb = r.integer(journal["segment_mb"], "journal.segment_mb", 1))
        c.sequencer.segment_bytes = static_cast<std::uint64_t>(*mb) << 20;
    if (auto mb = r.integer(journal["reserve_mb"], "journal.reserve_mb", 0))
        c.sequencer.journal_reserve_bytes = static_cast<std::uint64_t>(*mb) << 20;
    if (auto n = r.integer(journal["snapshot_every_commands"], "journal.snapshot_every_commands", 1))
        c.sequencer.snapshot_every_commands = static_cast<std::uint64_t>(*n);
    if (auto s = r.integer(journal["snapshot_every_seconds"], "journal.snapshot_every_seconds", 1))
        c.sequencer.snapshot_every = std::chrono::seconds(*s);

    const auto eip712 = cfg["eip712"];
    c.gateway.domain.name = r.get<std::string>(eip712["name"], "eip712.name").value_or("Ballast");
    c.gateway.domain.version = r.get<std::string>(eip712["version"], "eip712.version").value_or("1");
    c.gateway.domain.chain_id =
        static_cast<std::uint64_t>(r.integer(eip712["chain_id"], "eip712.chain_id", 0).value_or(1));
    if (auto contract = r.get<std::string>(eip712["verifying_contract"], "eip712.verifying_contract")) {
        const auto address = api::parse_address(*contract);
        if (!address) bad(source, "eip712.verifying_contract", "must be an address (0x and 40 hex digits)");
        c.gateway.domain.verifying_contract = *address;
    }
    c.gateway.verify_signatures = r.get<bool>(eip712["verify_signatures"], "eip712.verify_signatures").value_or(true);

    // Published by GET /v1/info only: amounts are integers of base units either way.
    const auto settlement = cfg["settlement"];
    c.gateway.settlement_asset = r.get<std::string>(settlement["asset"], "settlement.asset").value_or("");
    if (auto d = r.integer(settlement["decimals"], "settlement.decimals", 0)) {
        if (*d > 36) bad(source, "settlement.decimals", "must be at most 36");
        c.gateway.settlement_decimals = static_cast<unsigned>(*d);
    }

    const auto tokens = cfg["tokens"];
    c.gateway.admin_token = r.get<std::string>(tokens["admin"], "tokens.admin").value_or("");
    c.gateway.oracle_token = r.get<std::string>(tokens["oracle"], "tokens.oracle").value_or("");
    c.gateway.bridge_token = r.get<std::string>(tokens["bridge"], "tokens.bridge").value_or("");

    const auto limits = cfg["limits"];
    if (auto n = r.integer(limits["queue_capacity"], "limits.queue_capacity", 16)) {
        if (*n > 65'534) bad(source, "limits.queue_capacity", "must be at most 65534");
        c.sequencer.queue_capacity = static_cast<std::size_t>(*n);
    }
    auto rate = [&](std::string_view prefix, api::RateLimiter::Limit& limit) {
        const std::string per_second = std::string(prefix) + "_per_second", burst = std::string(prefix) + "_burst";
        if (auto v = r.integer(limits[per_second], "limits." + per_second, 0))
            limit.per_second = static_cast<double>(*v);
        if (auto v = r.integer(limits[burst], "limits." + burst, 1)) limit.burst = static_cast<double>(*v);
    };
    rate("per_client", c.gateway.per_client);
    rate("per_key", c.gateway.per_key);
    if (auto s = r.integer(limits["idempotency_retention_seconds"], "limits.idempotency_retention_seconds", 1))
        c.sequencer.limits.idempotency_retention_ms = *s * 1000;
    if (auto s = r.integer(limits["max_request_lifetime_seconds"], "limits.max_request_lifetime_seconds", 1))
        c.sequencer.limits.max_request_lifetime_ms = *s * 1000;

    const auto params = cfg["params"];
    if (auto v = r.integer(params["vault_cooldown_ms"], "params.vault_cooldown_ms", 0)) c.params.vault_cooldown_ms = *v;
    if (auto v = r.integer(params["max_open_orders"], "params.max_open_orders", 0))
        c.params.max_open_orders = static_cast<std::uint32_t>(*v);
    if (auto v = r.integer(params["max_oracle_age_ms"], "params.max_oracle_age_ms", 0)) c.params.max_oracle_age_ms = *v;
    c.params.default_shares_per_amount =
        r.amount(params["default_shares_per_amount"], "params.default_shares_per_amount");
    c.params.adl_trigger_ratio = r.decimal(params["adl_trigger_ratio"], "params.adl_trigger_ratio");
    c.params.protocol_fee_share = r.decimal(params["protocol_fee_share"], "params.protocol_fee_share");
    c.params.liquidation_alert_ratio = r.decimal(params["liquidation_alert_ratio"], "params.liquidation_alert_ratio");

    if (const toml::array* markets = cfg["markets"].as_array()) {
        for (std::size_t i = 0; i < markets->size(); ++i) {
            const toml::table* table = (*markets)[i].as_table();
            const std::string where = "markets[" + std::to_string(i) + "]";
            if (table == nullptr) bad(source, where, "must be a table");
            const toml::node_view<const toml::node> m(table);
            MarketConfig market;
            const auto pair = r.get<std::string>(m["pair"], where + ".pair");
            if (!pair || !core::Name::is_valid(*pair)) bad(source, where + ".pair", "must be a valid pair name");
            market.set_pair.pair = core::Name::from(*pair);
            for (std::size_t j = 0; j < c.markets.size(); ++j) {
                if (c.markets[j].set_pair.pair == market.set_pair.pair)
                    bad(source, where + ".pair", "repeats markets[" + std::to_string(j) + "].pair");
            }
            // The parameters of core/pair_fields.hpp; a market is created with those given.
            market.set_pair.given = 0;
            for (std::size_t i = 0; i < core::kPairFields.size(); ++i) {
                const core::PairField& field = core::kPairFields[i];
                const std::string key = where + "." + std::string(field.name);
                const auto value = r.decimal(m[field.name], key);
                if (!value && field.required) bad(source, key, "is required");
                if (value) {
                    market.set_pair.params.*field.member = *value;
                    market.set_pair.given |= core::pair_field_bit(i);
                }
            }
            market.initial_price = r.decimal(m["initial_price"], where + ".initial_price");
            for (const auto& entry : *table) {
                const std::string_view key = entry.first.str();
                const bool known = key == "pair" || key == "initial_price" ||
                                   std::any_of(core::kPairFields.begin(), core::kPairFields.end(),
                                               [key](const core::PairField& f) { return f.name == key; });
                if (!known) bad(source, where + "." + std::string(key), "is not a market setting");
            }
            c.markets.push_back(market);
        }
    }

    const auto demo = cfg["demo"];
    c.demo.enabled = r.get<bool>(demo["enabled"], "demo.enabled").value_or(false);
    if (auto v = r.integer(demo["oracle_interval_ms"], "demo.oracle_interval_ms", 10))
        c.demo.oracle_interval = std::chrono::milliseconds(*v);
    if (auto v = r.integer(demo["random_walk_bps"], "demo.random_walk_bps", 0)) c.demo.random_walk_bps = *v;
    if (auto v = r.amount(demo["seed_vault"], "demo.seed_vault")) c.demo.seed_vault = *v;
    if (c.demo.enabled) {
        for (const MarketConfig& m : c.markets) {
            if (!m.initial_price) bad(source, "markets", "the demo oracle needs an initial_price for every market");
        }
    }
    return c;
}

ServeConfig load_config(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read config " + file.string());
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_config(text, file.string());
}

}  // namespace ballast::cli
