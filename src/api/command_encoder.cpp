#include "api/command_encoder.hpp"

#include "api/json_writer.hpp"

namespace ballast::api {

namespace {

using namespace ballast::core;

// Field names and order follow command_decoder.cpp.
class CommandWriter {
public:
    explicit CommandWriter(std::string& out) : w_(out) {}

    void write(const Command& command) {
        w_.begin_object();
        std::visit(
            [&](const auto& body) {
                w_.key("cmd").plain_string(name_of(body));
                if (command.time) w_.key("time").integer(*command.time);
                fields(body);
            },
            command.body);
        w_.end_object();
    }

private:
    static std::string_view name_of(const SetParams&) { return "set_params"; }
    static std::string_view name_of(const SetPair&) { return "set_pair"; }
    static std::string_view name_of(const OracleUpdate&) { return "oracle"; }
    static std::string_view name_of(const DepositMargin&) { return "deposit_margin"; }
    static std::string_view name_of(const WithdrawMargin&) { return "withdraw_margin"; }
    static std::string_view name_of(const DepositLiquidity&) { return "deposit_liquidity"; }
    static std::string_view name_of(const UnlockLiquidity&) { return "unlock_liquidity"; }
    static std::string_view name_of(const SubmitOrder&) { return "submit_order"; }
    static std::string_view name_of(const CancelOrder&) { return "cancel_order"; }
    static std::string_view name_of(const QueryUser&) { return "query_user"; }
    static std::string_view name_of(const QueryPair&) { return "query_pair"; }
    static std::string_view name_of(const QueryVault&) { return "query_vault"; }
    static std::string_view name_of(const SetPairStatus&) { return "set_pair_status"; }
    static std::string_view name_of(const ForceClose&) { return "force_close"; }
    static std::string_view name_of(const FundVault&) { return "fund_vault"; }

    void name(std::string_view key, const Name& value) { w_.key(key).plain_string(value.view()); }
    void optional_decimal(std::string_view key, Dec value) {
        if (!value.is_zero()) w_.key(key).decimal(value);
    }

    void fields(const SetParams& c) {
        if (c.vault_cooldown_ms) w_.key("vault_cooldown_ms").integer(*c.vault_cooldown_ms);
        if (c.max_open_orders) w_.key("max_open_orders").integer(*c.max_open_orders);
        if (c.default_shares_per_amount) w_.key("default_shares_per_amount").amount(*c.default_shares_per_amount);
        if (c.max_oracle_age_ms) w_.key("max_oracle_age_ms").integer(*c.max_oracle_age_ms);
        if (c.adl_trigger_ratio) w_.key("adl_trigger_ratio").decimal(*c.adl_trigger_ratio);
        if (c.protocol_fee_share) w_.key("protocol_fee_share").decimal(*c.protocol_fee_share);
        if (c.liquidation_alert_ratio) w_.key("liquidation_alert_ratio").decimal(*c.liquidation_alert_ratio);
    }
    void fields(const SetPair& c) {
        name("pair", c.pair);
        for (std::size_t i = 0; i < kPairFields.size(); ++i) {
            if (c.given & pair_field_bit(i)) w_.key(kPairFields[i].name).decimal(c.params.*kPairFields[i].member);
        }
    }
    void fields(const FundVault& c) {
        if (c.user) name("user", *c.user);
        w_.key("amount").amount(c.amount);
    }
    void fields(const OracleUpdate& c) {
        w_.key("prices").begin_object();
        for (const PriceUpdate& p : c.prices) w_.key(p.pair.view()).decimal(p.price);
        w_.end_object();
    }
    void fields(const DepositMargin& c) {
        name("user", c.user);
        w_.key("amount").amount(c.amount);
    }
    void fields(const WithdrawMargin& c) {
        name("user", c.user);
        w_.key("amount").amount(c.amount);
    }
    void fields(const DepositLiquidity& c) {
        name("user", c.user);
        w_.key("amount").amount(c.amount);
        if (c.min_shares_to_mint) w_.key("min_shares_to_mint").amount(*c.min_shares_to_mint);
    }
    void fields(const UnlockLiquidity& c) {
        name("user", c.user);
        w_.key("shares_to_burn").amount(c.shares_to_burn);
    }
    void fields(const SubmitOrder& c) {
        name("user", c.user);
        name("pair", c.pair);
        w_.key("size").decimal(c.size);
        if (c.kind == OrderKind::Limit) {
            w_.key("kind").plain_string("limit");
            w_.key("limit_price").decimal(c.limit_price);
        } else {
            w_.key("kind").plain_string("market");
            w_.key("max_slippage").decimal(c.max_slippage);
        }
        w_.key("reduce_only").boolean(c.reduce_only);
    }
    void fields(const CancelOrder& c) {
        name("user", c.user);
        name("pair", c.pair);
        // A string: order ids are unsigned 64-bit, beyond a JSON integer's safe range.
        w_.key("order_id").wide_integer(c.order_id);
    }
    void fields(const QueryUser& c) { name("user", c.user); }
    void fields(const QueryPair& c) { name("pair", c.pair); }
    void fields(const QueryVault&) {}
    void fields(const SetPairStatus& c) {
        name("pair", c.pair);
        w_.key("status").plain_string(pair_status_name(c.status));
    }
    void fields(const ForceClose& c) {
        name("user", c.user);
        name("caller", c.caller);
    }

    JsonWriter w_;
};

}  // namespace

void encode_command_json(const Command& command, std::string& out) {
    CommandWriter(out).write(command);
    out.push_back('\n');
}

}  // namespace ballast::api
