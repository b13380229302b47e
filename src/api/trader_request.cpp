#include "api/trader_request.hpp"

#include <limits>

namespace ballast::api {

using namespace json_fields;

namespace {

constexpr std::size_t kMaxTxIdBytes = 128;

// A decimal given as a string in canonical form.
Dec canonical_decimal(const Fields& f, std::string_view key) {
    const Dec value = f.decimal(key);
    if (core::to_string(value) != f.text(key))
        fail(quoted(key) + " must be a decimal string in canonical form (e.g. \"1.5\", not \"1.50\" or 1.5)");
    return value;
}

Amount canonical_amount(const Fields& f, std::string_view key) {
    const Amount value = f.amount(key);
    if (core::to_string(value) != f.text(key))
        fail(quoted(key) + " must be a whole number of base units as a string, without leading zeros");
    return value;
}

Address trader_address(const Fields& f) {
    const auto address = parse_address(f.text("trader"));
    if (!address) fail("'trader' must be an address: 0x and 40 hex digits");
    return *address;
}

// A signed uint64 field: a JSON integer only. A string ("1000") is refused so
// that each request has one written form, as the typed message has one value.
std::uint64_t json_integer(const Fields& f, std::string_view key, std::uint64_t max) {
    const json::element_type type = f.require(key).type();
    if (type != json::element_type::INT64 && type != json::element_type::UINT64)
        fail(quoted(key) +
             " must be a JSON integer, not a string or a fraction (e.g. 1718000000000, not \"1718000000000\")");
    return f.count(key, max);
}

// "trader", "nonce", "expiry" and "signature", common to every signed request.
void signed_fields(const Fields& f, TraderRequest& out) {
    out.trader = trader_address(f);
    out.signed_by.signer = Name::from(address_to_hex(out.trader));
    out.signed_by.nonce = json_integer(f, "nonce", std::numeric_limits<std::uint64_t>::max());
    out.signed_by.expiry = static_cast<core::TimeMs>(
        json_integer(f, "expiry", static_cast<std::uint64_t>(std::numeric_limits<core::TimeMs>::max())));
    out.signature = f.text("signature");
}

Name pair_name(std::string_view text) {
    if (!Name::is_valid(text))
        fail("'pair' must be 1 to 64 printable characters without spaces, quotes or backslashes");
    return Name::from(text);
}

// Every signed message ends with the request's nonce and expiry.
TypedMessage with_nonce_and_expiry(TypedMessage m, const sequencer::SignedBy& s) {
    m.add_uint64(s.nonce).add_uint64(static_cast<std::uint64_t>(s.expiry));
    return m;
}

}  // namespace

bool TraderRequestDecoder::decode(TraderAction action, std::string_view body, std::optional<core::OrderId> order_id,
                                  std::optional<std::string_view> pair, TraderRequest& out, std::string& error) {
    return decode_body_object(document_, body, kMaxBodyBytes, error, [&](Fields& f) {
        out.action = action;
        switch (action) {
            case TraderAction::Order: {
                f.allow_only({"trader", "pair", "size", "kind", "price", "max_slippage", "reduce_only", "nonce",
                              "expiry", "signature"});
                signed_fields(f, out);
                core::SubmitOrder o;
                o.user = out.signed_by.signer;
                o.pair = f.name("pair");
                o.size = canonical_decimal(f, "size");
                const std::string_view kind = f.text("kind");
                if (kind == "market") {
                    if (f.find("price")) fail("a market order takes max_slippage, not price");
                    o.kind = core::OrderKind::Market;
                    o.max_slippage = canonical_decimal(f, "max_slippage");
                } else if (kind == "limit") {
                    if (f.find("max_slippage")) fail("a limit order takes price, not max_slippage");
                    o.kind = core::OrderKind::Limit;
                    o.limit_price = canonical_decimal(f, "price");
                } else {
                    fail("'kind' must be \"market\" or \"limit\"");
                }
                o.reduce_only = f.boolean("reduce_only", false);
                out.command = o;
                break;
            }
            case TraderAction::Cancel:
                f.allow_only({"trader", "pair", "nonce", "expiry", "signature"});
                signed_fields(f, out);
                if (!order_id) fail("missing order id in the path");
                out.command = core::CancelOrder{out.signed_by.signer, f.name("pair"), *order_id};
                break;
            case TraderAction::CancelAll:
                f.allow_only({"trader", "nonce", "expiry", "signature"});
                signed_fields(f, out);
                if (!pair) fail("missing query parameter 'pair'");
                out.command = core::CancelOrder{out.signed_by.signer, pair_name(*pair), 0};
                break;
            case TraderAction::Withdraw:
                f.allow_only({"trader", "amount", "nonce", "expiry", "signature"});
                signed_fields(f, out);
                out.command = core::WithdrawMargin{out.signed_by.signer, canonical_amount(f, "amount")};
                break;
            case TraderAction::VaultDeposit: {
                f.allow_only({"trader", "amount", "min_shares", "nonce", "expiry", "signature"});
                signed_fields(f, out);
                core::DepositLiquidity d{out.signed_by.signer, canonical_amount(f, "amount"), std::nullopt};
                if (f.find("min_shares")) d.min_shares_to_mint = canonical_amount(f, "min_shares");
                out.command = d;
                break;
            }
            case TraderAction::VaultUnlock:
                f.allow_only({"trader", "shares", "nonce", "expiry", "signature"});
                signed_fields(f, out);
                out.command = core::UnlockLiquidity{out.signed_by.signer, canonical_amount(f, "shares")};
                break;
        }
    });
}

bool TraderRequestDecoder::decode_bridge_deposit(std::string_view body, BridgeDeposit& out, std::string& error) {
    return decode_body_object(document_, body, kMaxBodyBytes, error, [&](Fields& f) {
        f.allow_only({"tx_id", "trader", "amount"});
        const std::string_view tx_id = f.text("tx_id");
        if (tx_id.empty() || tx_id.size() > kMaxTxIdBytes) fail("'tx_id' must be 1 to 128 printable characters");
        for (char c : tx_id) {
            if (c <= ' ' || c > '~') fail("'tx_id' must be 1 to 128 printable characters");
        }
        out.tx_id = tx_id;
        out.command = core::DepositMargin{Name::from(address_to_hex(trader_address(f))), canonical_amount(f, "amount")};
    });
}

TypedMessage signed_message(const TraderRequest& request) {
    const auto& s = request.signed_by;
    switch (request.action) {
        case TraderAction::Order: {
            const auto& o = std::get<core::SubmitOrder>(request.command);
            const bool market = o.kind == core::OrderKind::Market;
            TypedMessage m(order_type());
            m.add_address(request.trader)
                .add_string(o.pair.view())
                .add_string(core::to_string(o.size))
                .add_string(market ? "market" : "limit")
                .add_string(market ? "0" : core::to_string(o.limit_price))
                .add_string(market ? core::to_string(o.max_slippage) : "0")
                .add_bool(o.reduce_only);
            return with_nonce_and_expiry(std::move(m), s);
        }
        case TraderAction::Cancel: {
            const auto& c = std::get<core::CancelOrder>(request.command);
            TypedMessage m(cancel_type());
            m.add_address(request.trader).add_string(c.pair.view()).add_uint64(c.order_id);
            return with_nonce_and_expiry(std::move(m), s);
        }
        case TraderAction::CancelAll: {
            const auto& c = std::get<core::CancelOrder>(request.command);
            TypedMessage m(cancel_all_type());
            m.add_address(request.trader).add_string(c.pair.view());
            return with_nonce_and_expiry(std::move(m), s);
        }
        case TraderAction::Withdraw: {
            const auto& w = std::get<core::WithdrawMargin>(request.command);
            TypedMessage m(withdraw_type());
            m.add_address(request.trader).add_string(core::to_string(w.amount));
            return with_nonce_and_expiry(std::move(m), s);
        }
        case TraderAction::VaultDeposit: {
            const auto& d = std::get<core::DepositLiquidity>(request.command);
            TypedMessage m(vault_deposit_type());
            m.add_address(request.trader)
                .add_string(core::to_string(d.amount))
                .add_string(core::to_string(d.min_shares_to_mint.value_or(Amount())));
            return with_nonce_and_expiry(std::move(m), s);
        }
        case TraderAction::VaultUnlock: {
            const auto& u = std::get<core::UnlockLiquidity>(request.command);
            TypedMessage m(vault_unlock_type());
            m.add_address(request.trader).add_string(core::to_string(u.shares_to_burn));
            return with_nonce_and_expiry(std::move(m), s);
        }
    }
    throw std::logic_error("unknown trader action");
}

}  // namespace ballast::api
