#include "api/command_decoder.hpp"

#include <array>
#include <cstring>
#include <initializer_list>
#include <limits>

namespace ballast::api {

namespace json = simdjson::dom;
using core::Amount;
using core::Dec;
using core::Name;

namespace {

struct DecodeError {
    std::string message;
};

[[noreturn]] void fail(std::string message) { throw DecodeError{std::move(message)}; }

// Field and command names are a few bytes long: comparing them inline beats a
// call to memcmp, which dominated decoding.
bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('\'');
    out.append(s);
    out.push_back('\'');
    return out;
}

// Typed access to one command object's fields. The object is walked once:
// `cmd` and `time` are picked out, and every other member must be one of the
// names the command takes (allow_only), at most once, or the command is refused.
class Fields {
public:
    explicit Fields(json::object object) {
        for (const auto [key, value] : object) {
            if (same(key, "cmd")) {
                set_once(cmd_, key, value);
            } else if (same(key, "time")) {
                set_once(time_, key, value);
            } else {
                if (member_count_ == kMaxFields) fail("too many fields");
                members_[member_count_++] = {key, value};
            }
        }
    }

    const json::element* cmd() const { return present(cmd_); }
    const json::element* time() const { return present(time_); }

    void allow_only(std::initializer_list<std::string_view> names) {
        name_count_ = 0;
        for (std::string_view n : names) names_[name_count_++] = n;
        // Clients usually send fields in the documented order, so the search
        // starts where the previous match left off.
        std::size_t next = 0;
        for (std::size_t m = 0; m < member_count_; ++m) {
            const std::string_view key = members_[m].key;
            std::size_t probes = 0, i = next;
            while (probes < name_count_ && !same(names_[i], key)) {
                i = i + 1 == name_count_ ? 0 : i + 1;
                ++probes;
            }
            if (probes == name_count_) fail("unknown field " + quoted(key));
            set_once(slots_[i], key, members_[m].value);
            next = i + 1 == name_count_ ? 0 : i + 1;
        }
    }

    // A member allowed by allow_only, or null when absent or JSON null.
    const json::element* find(std::string_view key) const {
        for (std::size_t i = 0; i < name_count_; ++i) {
            if (same(names_[i], key)) return present(slots_[i]);
        }
        return nullptr;
    }

    const json::element& require(std::string_view key) const {
        const json::element* v = find(key);
        if (v == nullptr) fail("missing field " + quoted(key));
        return *v;
    }

    std::string_view text(std::string_view key) const {
        std::string_view out;
        if (require(key).get_string().get(out)) fail(quoted(key) + " must be a string");
        return out;
    }

    Name name(std::string_view key) const {
        const std::string_view value = text(key);
        if (!Name::is_valid(value))
            fail(quoted(key) + " must be 1 to 64 printable characters without spaces, quotes or backslashes");
        return Name::from(value);
    }

    Dec decimal(std::string_view key) const { return to_decimal(key, require(key)); }

    Amount amount(std::string_view key) const { return to_amount(key, require(key)); }

    std::optional<Dec> optional_decimal(std::string_view key) const {
        const json::element* v = find(key);
        if (v == nullptr) return std::nullopt;
        return to_decimal(key, *v);
    }

    std::optional<Amount> optional_amount(std::string_view key) const {
        const json::element* v = find(key);
        if (v == nullptr) return std::nullopt;
        return to_amount(key, *v);
    }

    bool boolean(std::string_view key, bool fallback) const {
        const json::element* v = find(key);
        if (v == nullptr) return fallback;
        bool out = false;
        if (v->get_bool().get(out)) fail(quoted(key) + " must be true or false");
        return out;
    }

    std::optional<std::uint64_t> optional_count(std::string_view key, std::uint64_t max) const {
        const json::element* v = find(key);
        if (v == nullptr) return std::nullopt;
        return to_count(key, *v, max);
    }

    std::uint64_t count(std::string_view key, std::uint64_t max) const { return to_count(key, require(key), max); }

    static Dec to_decimal(std::string_view key, const json::element& v) {
        switch (v.type()) {
            case json::element_type::STRING: {
                Dec out;
                const core::ParseError e = core::parse_dec(v.get_string().value_unsafe(), out);
                if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
                return out;
            }
            case json::element_type::INT64:
            case json::element_type::UINT64:
                try {
                    return v.type() == json::element_type::INT64 ? Dec::from_int(v.get_int64().value_unsafe())
                                                                 : Dec::from_int(v.get_uint64().value_unsafe());
                } catch (const core::ArithmeticOverflow&) {
                    fail(quoted(key) + ": number out of range");
                }
            default: fail(quoted(key) + " must be a decimal string");
        }
    }

    static Amount to_amount(std::string_view key, const json::element& v) {
        switch (v.type()) {
            case json::element_type::STRING: {
                Amount out;
                const core::ParseError e = core::parse_amount(v.get_string().value_unsafe(), out);
                if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
                return out;
            }
            case json::element_type::UINT64: return Amount(v.get_uint64().value_unsafe());
            case json::element_type::INT64: {
                const std::int64_t n = v.get_int64().value_unsafe();
                if (n < 0) fail(quoted(key) + ": " + core::describe(core::ParseError::Negative));
                return Amount(static_cast<std::uint64_t>(n));
            }
            default: fail(quoted(key) + " must be a whole number of base units, as a string");
        }
    }

    static std::uint64_t to_count(std::string_view key, const json::element& v, std::uint64_t max) {
        std::uint64_t out = 0;
        switch (v.type()) {
            case json::element_type::UINT64: out = v.get_uint64().value_unsafe(); break;
            case json::element_type::INT64:
                if (v.get_int64().value_unsafe() < 0) fail(quoted(key) + " must be a non-negative integer");
                out = static_cast<std::uint64_t>(v.get_int64().value_unsafe());
                break;
            case json::element_type::STRING: {
                Amount parsed;
                const core::ParseError e = core::parse_amount(v.get_string().value_unsafe(), parsed);
                if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
                if (parsed.units() > max) fail(quoted(key) + " is too large");
                out = static_cast<std::uint64_t>(parsed.units());
                break;
            }
            default: fail(quoted(key) + " must be a non-negative integer");
        }
        if (out > max) fail(quoted(key) + " is too large");
        return out;
    }

private:
    static constexpr std::size_t kMaxFields = 16;
    struct Member {
        std::string_view key;
        json::element value;
    };
    struct Slot {
        bool set = false;
        json::element value;
    };

    static void set_once(Slot& slot, std::string_view key, json::element value) {
        if (slot.set) fail("duplicate field " + quoted(key));
        slot = {true, value};
    }
    static const json::element* present(const Slot& slot) {
        return slot.set && !slot.value.is_null() ? &slot.value : nullptr;
    }

    Slot cmd_, time_;
    std::array<Member, kMaxFields> members_{};
    std::size_t member_count_ = 0;
    std::array<std::string_view, kMaxFields> names_{};
    std::array<Slot, kMaxFields> slots_{};
    std::size_t name_count_ = 0;
};

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
        f.allow_only({"pair", "skew_scale", "max_abs_premium", "max_abs_oi", "initial_margin_ratio",
                      "maintenance_margin_ratio", "liquidation_fee_rate", "maker_fee_rate", "taker_fee_rate",
                      "max_funding_velocity", "max_abs_funding_rate", "max_limit_price_deviation",
                      "min_order_notional"});
        core::SetPair p;
        p.pair = f.name("pair");
        core::PairParams& q = p.params;
        q.skew_scale = f.decimal("skew_scale");
        q.max_abs_premium = f.decimal("max_abs_premium");
        q.max_abs_oi = f.decimal("max_abs_oi");
        q.initial_margin_ratio = f.decimal("initial_margin_ratio");
        q.maintenance_margin_ratio = f.optional_decimal("maintenance_margin_ratio").value_or(Dec::zero());
        q.liquidation_fee_rate = f.optional_decimal("liquidation_fee_rate").value_or(Dec::zero());
        q.maker_fee_rate = f.optional_decimal("maker_fee_rate").value_or(Dec::zero());
        q.taker_fee_rate = f.optional_decimal("taker_fee_rate").value_or(Dec::zero());
        q.max_funding_velocity = f.optional_decimal("max_funding_velocity").value_or(Dec::zero());
        q.max_abs_funding_rate = f.optional_decimal("max_abs_funding_rate").value_or(Dec::zero());
        q.max_limit_price_deviation = f.optional_decimal("max_limit_price_deviation").value_or(Dec::zero());
        q.min_order_notional = f.optional_decimal("min_order_notional").value_or(Dec::zero());
        return p;
    }
    if (same(cmd, "set_params")) {
        f.allow_only({"vault_cooldown_ms", "max_open_orders", "default_shares_per_amount", "max_oracle_age_ms",
                      "adl_trigger_ratio", "protocol_fee_share"});
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
    // simdjson reads a little past the end of its input: give it padded room.
    if (buffer_.size() < line.size() + simdjson::SIMDJSON_PADDING)
        buffer_.resize(line.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buffer_.data(), line.data(), line.size());
    json::element root;
    if (const auto e = parser_.parse(buffer_.data(), line.size(), false).get(root)) {
        error = std::string("not valid JSON: ") + simdjson::error_message(e);
        return false;
    }
    try {
        json::object object;
        if (root.get_object().get(object)) fail("a command must be a JSON object");
        Fields fields(object);
        const json::element* cmd = fields.cmd();
        if (cmd == nullptr) fail("missing field 'cmd'");
        std::string_view cmd_name;
        if (cmd->get_string().get(cmd_name)) fail("'cmd' must be a string");
        core::Command command;
        if (const json::element* time = fields.time())
            command.time = static_cast<core::TimeMs>(Fields::to_count("time", *time, kMaxTime));
        command.body = decode_body(cmd_name, fields);
        out = std::move(command);
        return true;
    } catch (const DecodeError& e) {
        error = e.message;
        return false;
    }
}

}  // namespace ballast::api
