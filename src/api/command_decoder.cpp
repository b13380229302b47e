#include "api/command_decoder.hpp"

#include <array>
#include <limits>

namespace ballast::api {

using namespace json_fields;

namespace {

constexpr std::uint64_t kMaxTime = static_cast<std::uint64_t>(std::numeric_limits<core::TimeMs>::max());

core::CommandBody decode_body(std::string_view cmd, Fields& f) {
    if (same(cmd, "submit_order")) {
        f.allow_only({"user", "pair", "size", "kind", "max_slippage", "limit_price", "reduce_only"});
        core::SubmitOrder o;
        o.user = f.name("user");
        o.pair = f.name("pair");
        o.size = f.decimal("size");
        const std::string_view kind_name = f.text("kind");
        if (same(kind_name, "market")) {
            o.kind = core::OrderKind::Market;
            if (f.find("limit_price")) fail("a market order takes max_slippage, not limit_price");
            o.max_slippage = f.decimal("max_slippage");
        } else if (same(kind_name, "limit")) {
            o.kind = core::OrderKind::Limit;
            if (f.find("max_slippage")) fail("a limit order takes limit_price, not max_slippage");
            o.limit_price = f.decimal("limit_price");
        } else {
            fail("'kind' must be \"market\" or \"limit\"");
        }
        o.reduce_only = f.boolean("reduce_only", false);
        return o;
    }
    if (same(cmd, "cancel_order")) {
        f.allow_only({"user", "pair", "order_id"});
        core::CancelOrder o;
        o.user = f.name("user");
        o.pair = f.name("pair");
        o.order_id = f.count("order_id", std::numeric_limits<core::OrderId>::max());
        return o;
    }
    if (same(cmd, "oracle")) {
        f.allow_only({"prices"});
        json::object prices;
        if (f.require("prices").get_object().get(prices)) fail("'prices' must be an object of pair -> price");
        core::OracleUpdate update;
        for (const auto [pair, price] : prices) {
            if (!Name::is_valid(pair)) fail("invalid pair name " + quoted(pair));
            update.prices.push_back({Name::from(pair), Fields::to_decimal(pair, price)});
        }
        return update;
    }
    if (same(cmd, "deposit_margin") || same(cmd, "withdraw_margin")) {
        f.allow_only({"user", "amount"});
        const Name user = f.name("user");
        const Amount amount = f.amount("amount");
        if (same(cmd, "deposit_margin")) return core::DepositMargin{user, amount};
        return core::WithdrawMargin{user, amount};
    }
    if (same(cmd, "deposit_liquidity")) {
        f.allow_only({"user", "amount", "min_shares_to_mint"});
        return core::DepositLiquidity{f.name("user"), f.amount("amount"), f.optional_amount("min_shares_to_mint")};
    }
    if (same(cmd, "unlock_liquidity")) {
        f.allow_only({"user", "shares_to_burn"});
        return core::UnlockLiquidity{f.name("user"), f.amount("shares_to_burn")};
    }
    if (same(cmd, "set_pair")) {
        // "pair" and the parameters of core/pair_fields.hpp; those omitted keep their values.
        static const auto names = [] {
            std::array<std::string_view, core::kPairFields.size() + 1> n{};
            n[0] = "pair";
            for (std::size_t i = 0; i < core::kPairFields.size(); ++i) n[i + 1] = core::kPairFields[i].name;
            return n;
        }();
        f.allow_only(names.begin(), names.end());
        core::SetPair p;
        p.pair = f.name("pair");
        p.given = 0;
        for (std::size_t i = 0; i < core::kPairFields.size(); ++i) {
            if (const auto value = f.optional_decimal(core::kPairFields[i].name)) {
                p.params.*core::kPairFields[i].member = *value;
                p.given |= core::pair_field_bit(i);
            }
        }
        return p;
    }
    if (same(cmd, "fund_vault")) {
        f.allow_only({"user", "amount"});
        core::FundVault v;
        if (f.find("user")) v.user = f.name("user");
        v.amount = f.amount("amount");
        return v;
    }
    if (same(cmd, "set_params")) {
        f.allow_only({"vault_cooldown_ms", "max_open_orders", "default_shares_per_amount", "max_oracle_age_ms",
                      "adl_trigger_ratio", "protocol_fee_share", "liquidation_alert_ratio"});
        core::SetParams p;
        if (auto v = f.optional_count("vault_cooldown_ms", kMaxTime))
            p.vault_cooldown_ms = static_cast<core::TimeMs>(*v);
        if (auto v = f.optional_count("max_open_orders", std::numeric_limits<std::uint32_t>::max()))
            p.max_open_orders = static_cast<std::uint32_t>(*v);
        p.default_shares_per_amount = f.optional_amount("default_shares_per_amount");
        if (auto v = f.optional_count("max_oracle_age_ms", kMaxTime))
            p.max_oracle_age_ms = static_cast<core::TimeMs>(*v);
        p.adl_trigger_ratio = f.optional_decimal("adl_trigger_ratio");
        p.protocol_fee_share = f.optional_decimal("protocol_fee_share");
        p.liquidation_alert_ratio = f.optional_decimal("liquidation_alert_ratio");
        return p;
    }
    if (same(cmd, "set_pair_status")) {
        f.allow_only({"pair", "status"});
        core::SetPairStatus p;
        p.pair = f.name("pair");
        const std::string_view status = f.text("status");
        if (same(status, "active"))
            p.status = core::PairStatus::Active;
        else if (same(status, "reduce_only"))
            p.status = core::PairStatus::ReduceOnly;
        else if (same(status, "paused"))
            p.status = core::PairStatus::Paused;
        else
            fail("'status' must be \"active\", \"reduce_only\" or \"paused\"");
        return p;
    }
    if (same(cmd, "force_close")) {
        f.allow_only({"user", "caller"});
        return core::ForceClose{f.name("user"), f.name("caller")};
    }
    if (same(cmd, "query_user")) {
        f.allow_only({"user"});
        return core::QueryUser{f.name("user")};
    }
    if (same(cmd, "query_pair")) {
        f.allow_only({"pair"});
        return core::QueryPair{f.name("pair")};
    }
    if (same(cmd, "query_vault")) {
        f.allow_only({});
        return core::QueryVault{};
    }
    fail("unknown command " + quoted(cmd));
}

}  // namespace

bool CommandDecoder::decode(std::string_view line, core::Command& out, std::string& error) {
    if (line.size() > kMaxLineBytes) {
        error = "a command line must be at most " + std::to_string(kMaxLineBytes) + " bytes";
        return false;
    }
    json::element root;
    if (!document_.parse(line, root, error)) return false;
    try {
        json::object object;
        if (root.get_object().get(object)) fail("a command must be a JSON object");
        Fields fields(object);
        const json::element* cmd = fields.cmd();
        if (cmd == nullptr) fail("missing field 'cmd'");
        std::string_view cmd_name;
        if (cmd->get_string().get(cmd_name)) fail("'cmd' must be a string");
        core::Command command;
        if (const json::element* time = fields.time()) {
            // Milliseconds as a JSON integer: "2000" (a string) is refused.
            if (time->type() != json::element_type::INT64 && time->type() != json::element_type::UINT64)
                fail("'time' must be a JSON integer of milliseconds");
            command.time = static_cast<core::TimeMs>(Fields::to_count("time", *time, kMaxTime));
        }
        command.body = decode_body(cmd_name, fields);
        out = std::move(command);
        return true;
    } catch (const DecodeError& e) {
        error = e.message;
        return false;
    }
}

bool CommandDecoder::decode_as(std::string_view cmd, std::string_view text, core::CommandBody& out,
                               std::string& error) {
    return decode_body_object(document_, text, kMaxLineBytes, error,
                              [&](Fields& fields) { out = decode_body(cmd, fields); });
}

}  // namespace ballast::api
