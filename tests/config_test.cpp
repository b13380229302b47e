// `ballast serve` configuration: the shipped files parse, and mistakes are
// named precisely instead of being ignored.
#include <gtest/gtest.h>

#include <fstream>

#include "cli/config.hpp"
#include "engine_harness.hpp"

namespace ballast::cli {
namespace {

using testing::dec;

std::string error_of(std::string_view toml) {
    try {
        parse_config(toml, "test.toml");
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

TEST(Config, TheEmbeddedDemoIsADemo) {
    const ServeConfig c = parse_config(demo_config_text(), "demo");
    EXPECT_TRUE(c.demo.enabled);
    EXPECT_EQ(c.host, "127.0.0.1");
    EXPECT_EQ(c.port, 8080);
    ASSERT_EQ(c.markets.size(), 2u);
    EXPECT_EQ(c.markets[0].set_pair.pair.view(), "BTC-PERP");
    EXPECT_EQ(c.markets[0].set_pair.params.maintenance_margin_ratio, dec("0.025"));
    EXPECT_EQ(*c.markets[0].initial_price, dec("60000"));
    EXPECT_TRUE(c.gateway.verify_signatures);
    // The demo publishes no settlement asset: its amounts are plain base units.
    EXPECT_EQ(c.gateway.settlement_asset, "");
    EXPECT_FALSE(c.gateway.settlement_decimals);
}

TEST(Config, TheProductionExampleParses) {
    const ServeConfig c = load_config(std::string(BALLAST_SOURCE_DIR) + "/config/production.example.toml");
    EXPECT_FALSE(c.demo.enabled);
    EXPECT_EQ(c.sequencer.fsync, sequencer::FsyncPolicy::Batch);
    EXPECT_EQ(c.sequencer.data_dir, "/var/lib/ballast");
    EXPECT_EQ(c.gateway.domain.chain_id, 42161u);
    EXPECT_EQ(c.gateway.per_key.per_second, 200);
    EXPECT_EQ(c.sequencer.limits.max_request_lifetime_ms, 3'600'000);
    ASSERT_TRUE(c.params.adl_trigger_ratio);
    EXPECT_EQ(*c.params.adl_trigger_ratio, dec("0.05"));
    EXPECT_EQ(c.markets.at(0).set_pair.params.min_order_notional, dec("10"));
    EXPECT_EQ(c.gateway.settlement_asset, "USDC");
    EXPECT_EQ(c.gateway.settlement_decimals, 6u);
}

TEST(Config, MistakesAreNamed) {
    EXPECT_NE(error_of("[journal]\nfsync = \"sometimes\"\n").find("journal.fsync"), std::string::npos);
    EXPECT_NE(error_of("listen = \"localhost\"\n").find("HOST:PORT"), std::string::npos);
    EXPECT_NE(error_of("[[markets]]\npair = \"X\"\nskew_scale = \"1\"\n").find("markets[0].max_abs_premium"),
              std::string::npos);
    EXPECT_NE(error_of("[[markets]]\npair = \"X\"\nskew_scale = \"1\"\nmax_abs_premium = \"0.1\"\nmax_abs_oi = \"1\"\n"
                       "initial_margin_ratio = \"0.1\"\nskew_scael = \"2\"\n")
                  .find("markets[0].skew_scael"),
              std::string::npos);
    // Decimals are strings: a TOML float would be binary, not exact.
    EXPECT_NE(error_of("[params]\nprotocol_fee_share = 0.2\n").find("params.protocol_fee_share"), std::string::npos);
    EXPECT_NE(error_of("[limits]\nqueue_capacity = 100000\n").find("65534"), std::string::npos);
    EXPECT_NE(error_of("[limts]\nqueue_capacity = 100\n").find("limts"), std::string::npos);
    EXPECT_NE(error_of("[journal]\nfsnyc = \"off\"\n").find("journal.fsnyc"), std::string::npos);
    EXPECT_NE(error_of("this is not toml").find("test.toml"), std::string::npos);
    EXPECT_NE(error_of("[settlement]\ndecimals = 37\n").find("settlement.decimals: must be at most 36"),
              std::string::npos);
    EXPECT_NE(error_of("[settlement]\ndecimals = \"6\"\n").find("settlement.decimals: has the wrong type"),
              std::string::npos);
    const std::string market =
        "[[markets]]\npair = \"X\"\nskew_scale = \"1\"\nmax_abs_premium = \"0.1\"\n"
        "max_abs_oi = \"1\"\ninitial_margin_ratio = \"0.1\"\n";
    EXPECT_NE(error_of(market + market).find("markets[1].pair: repeats markets[0].pair"), std::string::npos);
}

// The keys named as "[section] key" or "`section.key`" in `text`. A plain scan
// (GCC 12's <regex> trips -Wmaybe-uninitialized in the sanitizer build).
std::vector<std::pair<std::string, std::string>> documented_keys(const std::string& text) {
    auto key_at = [&](std::size_t at) {
        std::size_t end = at;
        if (end >= text.size() || text[end] < 'a' || text[end] > 'z') return std::string();
        while (end < text.size() &&
               ((text[end] >= 'a' && text[end] <= 'z') || (text[end] >= '0' && text[end] <= '9') || text[end] == '_'))
            ++end;
        return text.substr(at, end - at);
    };
    std::vector<std::pair<std::string, std::string>> found;
    for (const std::string section :
         {"server", "websocket", "journal", "eip712", "settlement", "tokens", "limits", "params", "demo"}) {
        for (const std::string& opening : {"[" + section + "] ", "`" + section + "."}) {
            for (std::size_t at = text.find(opening); at != std::string::npos; at = text.find(opening, at + 1)) {
                const std::string key = key_at(at + opening.size());
                const std::size_t after = at + opening.size() + key.size();
                if (key.empty() || (opening.front() == '`' && (after >= text.size() || text[after] != '`'))) continue;
                found.emplace_back(section, key);
            }
        }
    }
    return found;
}

// Every configuration key the documentation names as "[section] key" or
// "section.key" is one the server reads: a misspelt name in the docs would
// send users to a setting that is refused at start.
TEST(Config, KeysNamedInTheDocumentationExist) {
    std::size_t checked = 0;
    for (const char* doc : {"README.md", "docs/API.md", "docs/SPEC-NOTES.md", "clients/ts/README.md",
                            "src/api/openapi.json", "config/production.example.toml"}) {
        std::ifstream in(std::string(BALLAST_SOURCE_DIR) + "/" + doc);
        ASSERT_TRUE(in) << doc;
        const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        for (const auto& [section, key] : documented_keys(text)) {
            // Any value: a wrong type is named differently from an unknown key.
            const std::string error = error_of("[" + section + "]\n" + key + " = 1\n");
            EXPECT_EQ(error.find("is not a setting"), std::string::npos)
                << doc << " names " << section << "." << key << ": " << error;
            ++checked;
        }
    }
    EXPECT_GE(checked, 10u) << "the scan no longer finds the documented keys";
}

TEST(Config, CommandLineListenOverrides) {
    ServeConfig c = parse_config(demo_config_text(), "demo");
    apply_listen(c, "0.0.0.0:9000");
    EXPECT_EQ(c.host, "0.0.0.0");
    EXPECT_EQ(c.port, 9000);
    EXPECT_THROW(apply_listen(c, "0.0.0.0:99999"), std::runtime_error);
    EXPECT_THROW(apply_listen(c, ":80"), std::runtime_error);
}

}  // namespace
}  // namespace ballast::cli
