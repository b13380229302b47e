// The replay contract, end to end through the real binary, and the strictness
// of the JSON command decoder. Expected lines are worked out by hand.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "api/command_decoder.hpp"
#include "api/json_writer.hpp"
#include "api/replay.hpp"

namespace {

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0, end = 0;
    while ((end = text.find('\n', start)) != std::string::npos) {
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

std::string run_binary(const std::string& args) {
    const std::string command = std::string(BALLAST_BINARY) + " " + args;
    std::FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return "popen failed";
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    pclose(pipe);
    return out;
}

std::string error_code_of(const std::string& line) {
    const auto v = boost::json::parse(line);
    return std::string(v.at("error").at("code").as_string());
}

const char* const kSession =
    R"({"cmd":"set_pair","pair":"BTC","skew_scale":"1000","max_abs_premium":"0.05","max_abs_oi":"500","initial_margin_ratio":"0.05"})"
    "\n"
    R"({"cmd":"oracle","time":1000,"prices":{"BTC":"100"}})"
    "\n"
    R"({"cmd":"deposit_margin","user":"lp","amount":"10000"})"
    "\n"
    R"({"cmd":"deposit_liquidity","user":"lp","amount":"10000"})"
    "\n"
    R"({"cmd":"deposit_margin","user":"alice","amount":"1000"})"
    "\n"
    R"({"cmd":"submit_order","user":"alice","pair":"BTC","size":"50","kind":"market","max_slippage":"0.05","reduce_only":false})"
    "\n"
    "this is not json\n"
    R"({"cmd":"oracle","time":999,"prices":{}})"
    "\n"
    "\n"
    R"({"cmd":"submit_order","time":1500,"user":"alice","pair":"BTC","size":"-10","kind":"limit","limit_price":"120"})"
    "\n"
    R"({"cmd":"query_vault"})"
    "\n"
    R"({"cmd":"query_user","user":"alice"})";  // no final newline: still a command

TEST(ReplayContract, OneResultLinePerCommandThroughTheBinary) {
    const std::string path = ::testing::TempDir() + "/session.jsonl";
    std::ofstream(path) << kSession;
    const std::vector<std::string> lines = split_lines(run_binary("replay " + path));
    ASSERT_EQ(lines.size(), 11u);  // twelve input lines, one blank
    EXPECT_EQ(lines[0], R"({"ok":true,"events":[]})");
    EXPECT_EQ(lines[1], R"({"ok":true,"events":[]})");
    EXPECT_EQ(lines[2], R"({"ok":true,"events":[]})");
    // Nobody holds a position, so the deposit is priced at once: an empty vault mints
    // default_shares_per_amount (1,000,000) per unit, 10000 * 1e6 = 1e10. Its request takes id 1.
    EXPECT_EQ(
        lines[3],
        R"({"ok":true,"request_id":"1","shares_minted":"10000000000","pending":false,"events":[)"
        R"({"type":"liquidity_deposited","user":"lp","request_id":"1","amount":"10000","shares":"10000000000"}]})");
    EXPECT_EQ(lines[4], R"({"ok":true,"events":[]})");
    // 100 * (1 + (0 + 50/2)/1000) = 102.5; the first order takes id 1.
    EXPECT_EQ(
        lines[5],
        R"({"ok":true,"order_id":"1","filled":"50","exec_price":"102.5","rested":"0","events":[{"type":"fill","user":"alice","pair":"BTC","order_id":"1","size":"50","price":"102.5","realized_pnl":"0","fee":"0","funding":"0"}]})");
    EXPECT_EQ(error_code_of(lines[6]), "invalid_input");
    EXPECT_EQ(error_code_of(lines[7]), "time_went_backwards");
    // Sell 10 at 120 while a sell of 10 would get 100 * (1 + (50 - 5)/1000) = 104.5: it rests,
    // closing part of the long, so it reserves nothing. Created at the command's time.
    EXPECT_EQ(
        lines[8],
        R"({"ok":true,"order_id":"2","filled":"0","rested":"-10","events":[{"type":"order_rested","user":"alice","pair":"BTC","order_id":"2","size":"-10","limit_price":"120","reduce_only":false,"reserved_margin":"0","created_at":1500}]})");
    // Vault: balance 10000, cost basis 50 * 102.5 = 5125, unrealized 5125 - 100 * 50 = 125;
    // no funding or fees; nobody owes more than their margin: equity 10125.
    EXPECT_EQ(lines[9],
              R"({"ok":true,"balance":"10000","share_supply":"10000000000","unrealized_pnl":"125",)"
              R"("unrealized_funding":"0","uncollectable":"0","equity":"10125","treasury":"0","pending_deposits":"0",)"
              R"("backs_positions":true,"events":[]})");
    // Used margin ceil(50 * 100 * 0.05) = 250. Equity 1000 + (50 * 100 - 5125) = 875, so
    // available = min(1000, 875) - 250 - 0 = 625. No maintenance ratio: no liquidation price.
    // The position's own unrealized PnL is the account's: 50 * 100 - 5125 = -125.
    EXPECT_EQ(
        lines[10],
        R"({"ok":true,"margin":"1000","reserved_margin":"0","used_margin":"250","available_margin":"625",)"
        R"("vault_shares":"0","equity":"875","maintenance_margin":"0","unrealized_pnl":"-125",)"
        R"("accrued_funding":"0","unlocks":[],"pending_deposits":[],"positions":{"BTC":{"size":"50","cost_basis":"5125",)"
        R"("entry_funding_per_unit":"0","unrealized_pnl":"-125","accrued_funding":"0","liquidation_price":null}},)"
        R"("open_orders":[{"order_id":"2","pair":"BTC","size":"-10","limit_price":"120","reduce_only":false,)"
        R"("reserved_margin":"0","created_at":1500}],"events":[]})");
}

TEST(ReplayContract, StdinAndFileGiveTheSameBytes) {
    const std::string path = ::testing::TempDir() + "/session2.jsonl";
    std::ofstream(path) << kSession;
    EXPECT_EQ(run_binary("replay " + path), run_binary("replay - < " + path));
}

std::string decode_error(std::string_view line) {
    ballast::api::CommandDecoder decoder;
    ballast::core::Command command;
    std::string error;
    if (decoder.decode(line, command, error)) return "accepted";
    return error;
}

TEST(CommandDecoder, RefusesMalformedCommandsWithAReason) {
    EXPECT_NE(decode_error("{").find("not valid JSON"), std::string::npos);
    EXPECT_NE(decode_error("[1,2]").find("JSON object"), std::string::npos);
    EXPECT_NE(decode_error(R"({"user":"a"})").find("missing field 'cmd'"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"launch_rocket"})").find("unknown command"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"a"})").find("missing field 'amount'"), std::string::npos);
    EXPECT_NE(
        decode_error(R"({"cmd":"deposit_margin","user":"a","amount":"1","memo":"x"})").find("unknown field 'memo'"),
        std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"a","amount":"-1"})").find("negative"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"a","amount":"1.5"})").find("whole number"),
              std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"a","amount":1.5})").find("whole number"),
              std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"a","amount":-3})").find("negative"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"","amount":"1"})").find("'user'"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"a b","amount":"1"})").find("'user'"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":7,"amount":"1"})").find("'user'"), std::string::npos);
    const std::string long_name(65, 'x');
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":")" + long_name + R"(","amount":"1"})").find("'user'"),
              std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"oracle","prices":{"BTC":"1e3"}})").find("not a plain decimal"),
              std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"oracle","prices":{"BTC":"0.0000000000000000001"}})").find("18 fractional"),
              std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"oracle","prices":{"BTC":100.5}})").find("decimal string"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"oracle","prices":[]})").find("'prices'"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"query_vault","time":-1})").find("'time'"), std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"query_vault","time":1.5})").find("'time'"), std::string::npos);
    // Strict, as documented: the time is a JSON integer, numbers have no leading zeros.
    EXPECT_NE(decode_error(R"({"cmd":"query_vault","time":"2000"})").find("'time' must be a JSON integer"),
              std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"a","amount":"0100"})").find("not a plain decimal"),
              std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"oracle","prices":{"BTC":"0100.5"}})").find("not a plain decimal"),
              std::string::npos);
    EXPECT_NE(
        decode_error(R"({"cmd":"submit_order","user":"a","pair":"BTC","size":"1","kind":"stop","max_slippage":"0"})")
            .find("'kind'"),
        std::string::npos);
    EXPECT_NE(
        decode_error(
            R"({"cmd":"submit_order","user":"a","pair":"BTC","size":"1","kind":"market","max_slippage":"0.1","limit_price":"5"})")
            .find("not limit_price"),
        std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"submit_order","user":"a","pair":"BTC","size":"1","kind":"limit"})")
                  .find("missing field 'limit_price'"),
              std::string::npos);
    EXPECT_NE(
        decode_error(
            R"({"cmd":"submit_order","user":"a","pair":"BTC","size":"1","kind":"market","max_slippage":"0","reduce_only":"yes"})")
            .find("true or false"),
        std::string::npos);
}

TEST(CommandDecoder, AcceptsJsonIntegersAndOptionalNulls) {
    ballast::api::CommandDecoder decoder;
    ballast::core::Command command;
    std::string error;
    ASSERT_TRUE(
        decoder.decode(R"({"cmd":"deposit_liquidity","user":"lp","amount":100000,"min_shares_to_mint":null,"time":5})",
                       command, error))
        << error;
    const auto& d = std::get<ballast::core::DepositLiquidity>(command.body);
    EXPECT_TRUE(d.amount.units() == 100000);
    EXPECT_FALSE(d.min_shares_to_mint.has_value());
    EXPECT_EQ(command.time, 5);
    ASSERT_TRUE(decoder.decode(R"({"cmd":"oracle","prices":{"BTC":97}})", command, error)) << error;
    EXPECT_EQ(std::get<ballast::core::OracleUpdate>(command.body).prices[0].price, ballast::core::Dec::from_int(97));
}

TEST(ReplayContract, ABadLineDoesNotStopTheReplay) {
    ballast::api::Replayer replayer;
    std::string out;
    EXPECT_TRUE(replayer.process_line("garbage", out));
    EXPECT_FALSE(replayer.process_line("   ", out));
    EXPECT_TRUE(replayer.process_line(R"({"cmd":"query_vault"})", out));
    const auto lines = split_lines(out);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(error_code_of(lines[0]), "invalid_input");
    EXPECT_EQ(lines[1], R"({"ok":true,"balance":"0","share_supply":"0","unrealized_pnl":"0","unrealized_funding":"0",)"
                        R"("uncollectable":"0","equity":"0","treasury":"0","pending_deposits":"0",)"
                        R"("backs_positions":false,"events":[]})");
}

}  // namespace

namespace {

TEST(CommandDecoder, RefusesDuplicateFieldsAndOverlongLines) {
    EXPECT_NE(decode_error(R"({"cmd":"deposit_margin","user":"a","amount":"1","amount":"2"})").find("duplicate field"),
              std::string::npos);
    EXPECT_NE(decode_error(R"({"cmd":"query_vault","cmd":"query_vault"})").find("duplicate field"), std::string::npos);
    const std::string huge = R"({"cmd":"query_user","user":")" + std::string(70'000, 'x') + R"("})";
    EXPECT_NE(decode_error(huge).find("at most"), std::string::npos);
}

TEST(JsonWriter, EscapesWhatJsonRequiresAndNothingElse) {
    std::string out;
    ballast::api::JsonWriter w(out);
    w.begin_object();
    w.key("m").string("a\"b\\c\nd\te\x01\x1f/é");
    w.key("n").plain_string("alice");
    w.key("list").begin_array();
    w.integer(-5);
    w.boolean(true);
    w.null();
    w.decimal(ballast::core::Dec::from_raw(-1));
    w.end_array();
    w.end_object();
    EXPECT_EQ(out, R"({"m":"a\"b\\c\nd\te\u0001\u001f/é","n":"alice","list":[-5,true,null,"-0.000000000000000001"]})");
    // And an independent parser reads it back.
    const auto v = boost::json::parse(out);
    EXPECT_EQ(v.at("m").as_string(), "a\"b\\c\nd\te\x01\x1f/é");
}

}  // namespace

namespace {

// The risk engine's commands and fields through the replay contract.
TEST(ReplayContract, RiskCommandsAndFields) {
    ballast::api::Replayer replayer;
    std::string out;
    const char* const lines[] = {
        R"({"cmd":"set_params","protocol_fee_share":"0.2","adl_trigger_ratio":"0","max_oracle_age_ms":0})",
        R"({"cmd":"set_pair","pair":"BTC","skew_scale":"1000","max_abs_premium":"0","max_abs_oi":"1000000",)"
        R"("initial_margin_ratio":"0.1","maintenance_margin_ratio":"0.05","liquidation_fee_rate":"0.02",)"
        R"("maker_fee_rate":"0","taker_fee_rate":"0","max_funding_velocity":"1","max_abs_funding_rate":"0.05"})",
        R"({"cmd":"oracle","time":0,"prices":{"BTC":"100"}})",
        R"({"cmd":"deposit_margin","user":"lp","amount":"100000"})",
        R"({"cmd":"deposit_liquidity","user":"lp","amount":"100000"})",
        R"({"cmd":"deposit_margin","user":"alice","amount":"10000"})",
        R"({"cmd":"submit_order","user":"alice","pair":"BTC","size":"500","kind":"market","max_slippage":"0"})",
        R"({"cmd":"oracle","time":86400000,"prices":{"BTC":"100"}})",
        R"({"cmd":"query_pair","pair":"BTC"})",
        R"({"cmd":"force_close","user":"alice","caller":"keeper"})",
        R"({"cmd":"set_pair_status","pair":"BTC","status":"paused"})",
        R"({"cmd":"submit_order","user":"alice","pair":"BTC","size":"1","kind":"market","max_slippage":"0"})",
        R"({"cmd":"set_pair_status","pair":"BTC","status":"closed"})",
    };
    for (const char* line : lines) replayer.process_line(line, out);
    const auto results = split_lines(out);
    ASSERT_EQ(results.size(), 13u);
    for (int i = 0; i < 8; ++i) EXPECT_TRUE(boost::json::parse(results[i]).at("ok").as_bool()) << results[i];
    // As in RiskFunding.RateRampsThenHitsItsCapInsideTheInterval: rate 0.05, 4.75 per unit.
    const auto pair = boost::json::parse(results[8]);
    EXPECT_EQ(pair.at("funding_rate").as_string(), "0.05");
    EXPECT_EQ(pair.at("cumulative_funding_per_unit").as_string(), "4.75");
    EXPECT_EQ(pair.at("status").as_string(), "active");
    EXPECT_EQ(pair.at("maintenance_margin_ratio").as_string(), "0.05");
    // Equity 10000 - 2375 is far above maintenance 2500.
    EXPECT_EQ(error_code_of(results[9]), "not_liquidatable");
    EXPECT_TRUE(boost::json::parse(results[10]).at("ok").as_bool());
    EXPECT_EQ(error_code_of(results[11]), "market_paused");
    EXPECT_EQ(error_code_of(results[12]), "invalid_input");
}

}  // namespace
