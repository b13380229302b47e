// The commands the engine accepts. Each is a small value: the replay file, the
// journal and the network API all carry exactly these.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "core/name.hpp"
#include "core/pair_fields.hpp"
#include "core/types.hpp"

namespace ballast::core {

// Only the fields present change.
struct SetParams {
    std::optional<TimeMs> vault_cooldown_ms{};
    std::optional<std::uint32_t> max_open_orders{};
    std::optional<Amount> default_shares_per_amount{};
    std::optional<TimeMs> max_oracle_age_ms{};
    std::optional<Dec> adl_trigger_ratio{};
    std::optional<Dec> protocol_fee_share{};
    std::optional<Dec> liquidation_alert_ratio{};
};

// Creates the pair, or changes the parameters of an existing one. `given`
// says which fields of `params` the command sets (core/pair_fields.hpp): a
// new pair needs the spec's four and leaves the others zero (off); an
// existing pair keeps every parameter not given.
struct SetPair {
    Name pair;
    PairParams params;
    PairFieldMask given = kAllPairFields;
};

struct PriceUpdate {
    Name pair;
    Dec price;
};

// New oracle prices; resting orders of each pair are then fulfilled.
struct OracleUpdate {
    std::vector<PriceUpdate> prices;
};

struct DepositMargin {
    Name user;
    Amount amount;
};

struct WithdrawMargin {
    Name user;
    Amount amount;
};

// Moves `amount` of the user's available margin toward the vault. It is
// priced into shares at once when no position is open anywhere, otherwise at
// the first oracle update after it that reprices every pair with open
// interest; a deposit that would mint fewer than min_shares_to_mint then
// goes back to the margin.
struct DepositLiquidity {
    Name user;
    Amount amount;
    std::optional<Amount> min_shares_to_mint;
};

// Locks shares for release after the cooldown. Priced like a deposit; the
// release pays the lesser of that value and the value at release, to the
// user's margin, once the vault can pay it without leaving winning traders unpaid.
struct UnlockLiquidity {
    Name user;
    Amount shares_to_burn;
};

// Recapitalizes the vault without minting shares: from the user's available
// margin or, without a user, from the treasury. An admin command.
struct FundVault {
    std::optional<Name> user;
    Amount amount;
};

enum class OrderKind : std::uint8_t { Market, Limit };

struct SubmitOrder {
    Name user;
    Name pair;
    Dec size;  // positive buys, negative sells
    OrderKind kind = OrderKind::Market;
    Dec max_slippage;  // market orders
    Dec limit_price;   // limit orders
    bool reduce_only = false;
};

struct CancelOrder {
    Name user;
    Name pair;
    OrderId order_id = 0;
};

// Circuit breaker: active, reduce-only (no new exposure) or paused (no
// submissions or fulfilment; cancels and liquidations go on).
struct SetPairStatus {
    Name pair;
    PairStatus status = PairStatus::Active;
};

// Liquidates `user` if liquidatable; with caller "admin", auto-deleverages them.
struct ForceClose {
    Name user;
    Name caller;
};

struct QueryUser {
    Name user;
};

struct QueryPair {
    Name pair;
};

struct QueryVault {};

using CommandBody =
    std::variant<SetParams, SetPair, OracleUpdate, DepositMargin, WithdrawMargin, DepositLiquidity, UnlockLiquidity,
                 SubmitOrder, CancelOrder, QueryUser, QueryPair, QueryVault, SetPairStatus, ForceClose, FundVault>;

struct Command {
    std::optional<TimeMs> time;  // absent: the engine's clock stays where it is
    CommandBody body;
};

}  // namespace ballast::core
