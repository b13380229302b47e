#include "api/command_decoder.hpp"

#include <algorithm>
#include <initializer_list>
#include <limits>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>

namespace ballast::api {

namespace json = boost::json;
using core::Amount;
using core::Dec;
using core::Name;

namespace {

struct DecodeError {
    std::string message;
};

[[noreturn]] void fail(std::string message) { throw DecodeError{std::move(message)}; }

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Typed access to one command object's fields.
class Fields {
public:
    explicit Fields(const json::object& object) : object_(object) {}

    void allow_only(std::initializer_list<std::string_view> names) const {
        for (const auto& item : object_) {
            const std::string_view key = item.key();
            if (key == "cmd" || key == "time") continue;
            if (std::find(names.begin(), names.end(), key) == names.end()) fail("unknown field " + quoted(key));
        }
    }

    const json::value* find(std::string_view key) const {
        const json::value* v = object_.if_contains(key);
        return v == nullptr || v->is_null() ? nullptr : v;
    }

    const json::value& require(std::string_view key) const {
        const json::value* v = find(key);
        if (v == nullptr) fail("missing field " + quoted(key));
        return *v;
    }

    Name name(std::string_view key) const {
        const json::value& v = require(key);
        if (!v.is_string()) fail(quoted(key) + " must be a string");
        const std::string_view text = v.get_string();
        if (!Name::is_valid(text))
            fail(quoted(key) + " must be 1 to 64 printable characters without spaces, quotes or backslashes");
        return Name::from(text);
    }

    Dec decimal(std::string_view key) const { return to_decimal(key, require(key)); }

    Amount amount(std::string_view key) const { return to_amount(key, require(key)); }

    std::optional<Amount> optional_amount(std::string_view key) const {
        const json::value* v = find(key);
        if (v == nullptr) return std::nullopt;
        return to_amount(key, *v);
    }

    bool boolean(std::string_view key, bool fallback) const {
        const json::value* v = find(key);
        if (v == nullptr) return fallback;
        if (!v->is_bool()) fail(quoted(key) + " must be true or false");
        return v->get_bool();
    }

    std::optional<std::uint64_t> optional_count(std::string_view key, std::uint64_t max) const {
        const json::value* v = find(key);
        if (v == nullptr) return std::nullopt;
        return to_count(key, *v, max);
    }

    std::uint64_t count(std::string_view key, std::uint64_t max) const { return to_count(key, require(key), max); }

    static Dec to_decimal(std::string_view key, const json::value& v) {
        if (v.is_string()) {
            Dec out;
            const core::ParseError e = core::parse_dec(v.get_string(), out);
            if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
            return out;
        }
        if (v.is_int64() || v.is_uint64()) {
            try {
                return v.is_int64() ? Dec::from_int(v.get_int64()) : Dec::from_int(v.get_uint64());
            } catch (const core::ArithmeticOverflow&) {
                fail(quoted(key) + ": number out of range");
            }
        }
        fail(quoted(key) + " must be a decimal string");
    }

    static Amount to_amount(std::string_view key, const json::value& v) {
        if (v.is_string()) {
            Amount out;
            const core::ParseError e = core::parse_amount(v.get_string(), out);
            if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
            return out;
        }
        if (v.is_uint64()) return Amount(v.get_uint64());
        if (v.is_int64()) {
            if (v.get_int64() < 0) fail(quoted(key) + ": " + core::describe(core::ParseError::Negative));
            return Amount(static_cast<std::uint64_t>(v.get_int64()));
        }
        fail(quoted(key) + " must be a whole number of base units, as a string");
    }

    static std::uint64_t to_count(std::string_view key, const json::value& v, std::uint64_t max) {
        std::uint64_t out = 0;
        if (v.is_uint64()) {
            out = v.get_uint64();
        } else if (v.is_int64() && v.get_int64() >= 0) {
            out = static_cast<std::uint64_t>(v.get_int64());
        } else if (v.is_string()) {
            Amount parsed;
            const core::ParseError e = core::parse_amount(v.get_string(), parsed);
            if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
            if (parsed.units() > max) fail(quoted(key) + " is too large");
            out = static_cast<std::uint64_t>(parsed.units());
        } else {
            fail(quoted(key) + " must be a non-negative integer");
        }
        if (out > max) fail(quoted(key) + " is too large");
        return out;
    }

private:
    const json::object& object_;
};

constexpr std::uint64_t kMaxTime = static_cast<std::uint64_t>(std::numeric_limits<core::TimeMs>::max());

core::CommandBody decode_body(std::string_view cmd, const Fields& f) {
    if (cmd == "submit_order") {
        f.allow_only({"user", "pair", "size", "kind", "max_slippage", "limit_price", "reduce_only"});
        core::SubmitOrder o;
        o.user = f.name("user");
        o.pair = f.name("pair");
        o.size = f.decimal("size");
        const json::value& kind = f.require("kind");
        const std::string_view kind_name = kind.is_string() ? std::string_view(kind.get_string()) : std::string_view{};
        if (kind_name == "market") {
            o.kind = core::OrderKind::Market;
            if (f.find("limit_price")) fail("a market order takes max_slippage, not limit_price");
            o.max_slippage = f.decimal("max_slippage");
        } else if (kind_name == "limit") {
            o.kind = core::OrderKind::Limit;
            if (f.find("max_slippage")) fail("a limit order takes limit_price, not max_slippage");
            o.limit_price = f.decimal("limit_price");
        } else {
            fail("'kind' must be \"market\" or \"limit\"");
        }
        o.reduce_only = f.boolean("reduce_only", false);
        return o;
    }
    if (cmd == "cancel_order") {
        f.allow_only({"user", "pair", "order_id"});
        core::CancelOrder o;
        o.user = f.name("user");
        o.pair = f.name("pair");
        o.order_id = f.count("order_id", std::numeric_limits<core::OrderId>::max());
        return o;
    }
    if (cmd == "oracle") {
        f.allow_only({"prices"});
        const json::value& prices = f.require("prices");
        if (!prices.is_object()) fail("'prices' must be an object of pair -> price");
        core::OracleUpdate update;
        for (const auto& item : prices.get_object()) {
            if (!Name::is_valid(item.key())) fail("invalid pair name " + quoted(item.key()));
            update.prices.push_back({Name::from(item.key()), Fields::to_decimal(item.key(), item.value())});
        }
        return update;
    }
    if (cmd == "deposit_margin" || cmd == "withdraw_margin") {
        f.allow_only({"user", "amount"});
        const Name user = f.name("user");
        const Amount amount = f.amount("amount");
        if (cmd == "deposit_margin") return core::DepositMargin{user, amount};
        return core::WithdrawMargin{user, amount};
    }
    if (cmd == "deposit_liquidity") {
        f.allow_only({"user", "amount", "min_shares_to_mint"});
        return core::DepositLiquidity{f.name("user"), f.amount("amount"), f.optional_amount("min_shares_to_mint")};
    }
    if (cmd == "unlock_liquidity") {
        f.allow_only({"user", "shares_to_burn"});
        return core::UnlockLiquidity{f.name("user"), f.amount("shares_to_burn")};
    }
    if (cmd == "set_pair") {
        f.allow_only({"pair", "skew_scale", "max_abs_premium", "max_abs_oi", "initial_margin_ratio"});
        core::SetPair p;
        p.pair = f.name("pair");
        p.params.skew_scale = f.decimal("skew_scale");
        p.params.max_abs_premium = f.decimal("max_abs_premium");
        p.params.max_abs_oi = f.decimal("max_abs_oi");
        p.params.initial_margin_ratio = f.decimal("initial_margin_ratio");
        return p;
    }
    if (cmd == "set_params") {
        f.allow_only({"vault_cooldown_ms", "max_open_orders", "default_shares_per_amount"});
        core::SetParams p;
        if (auto v = f.optional_count("vault_cooldown_ms", kMaxTime))
            p.vault_cooldown_ms = static_cast<core::TimeMs>(*v);
        if (auto v = f.optional_count("max_open_orders", std::numeric_limits<std::uint32_t>::max()))
            p.max_open_orders = static_cast<std::uint32_t>(*v);
        p.default_shares_per_amount = f.optional_amount("default_shares_per_amount");
        return p;
    }
    if (cmd == "query_user") {
        f.allow_only({"user"});
        return core::QueryUser{f.name("user")};
    }
    if (cmd == "query_pair") {
        f.allow_only({"pair"});
        return core::QueryPair{f.name("pair")};
    }
    if (cmd == "query_vault") {
        f.allow_only({});
        return core::QueryVault{};
    }
    fail("unknown command " + quoted(cmd));
}

}  // namespace

bool CommandDecoder::decode(std::string_view line, core::Command& out, std::string& error) {
    json::monotonic_resource resource(scratch_, sizeof scratch_);
    parser_.reset(json::storage_ptr(&resource));
    boost::system::error_code ec;
    parser_.write(line.data(), line.size(), ec);
    if (ec) {
        error = "not valid JSON: " + ec.message();
        return false;
    }
    const json::value root = parser_.release();
    try {
        const json::object* object = root.if_object();
        if (object == nullptr) fail("a command must be a JSON object");
        const Fields fields(*object);
        const json::value& cmd = fields.require("cmd");
        if (!cmd.is_string()) fail("'cmd' must be a string");
        core::Command command;
        if (fields.find("time")) command.time = static_cast<core::TimeMs>(fields.count("time", kMaxTime));
        command.body = decode_body(cmd.get_string(), fields);
        out = std::move(command);
        return true;
    } catch (const DecodeError& e) {
        error = e.message;
        return false;
    }
}

}  // namespace ballast::api
