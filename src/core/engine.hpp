// The peer-to-pool perpetuals engine: a deterministic state machine.
//
// apply(command) validates the whole command first and only then changes
// state (the "commit point", `accept`). A rejected command changes nothing,
// not even the clock. Time and prices are inputs; there is no I/O, no clock,
// no randomness and no threading in here.
#pragma once

#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/commands.hpp"
#include "core/events.hpp"
#include "core/order_book.hpp"
#include "core/replies.hpp"

namespace ballast::core {

struct PositionEntry {
    PairId pair = 0;
    Position position;
};

struct UserState {
    Name name;
    Amount margin;
    Amount reserved_margin;  // always the sum of reserved_margin over the user's resting orders
    Amount vault_shares;
    std::vector<Unlock> unlocks;
    std::vector<PositionEntry> positions;  // sorted by pair id

    const Position* position(PairId pair) const;
};

struct PairState {
    Name name;
    PairParams params;
    std::optional<Dec> oracle_price;
    Dec long_oi;   // >= 0
    Dec short_oi;  // <= 0
    // Sum over positions of sign(size) * cost_basis, in base units (004, "Vault Unrealized PnL").
    i128 oi_weighted_entry_price = 0;

    Dec skew() const { return long_oi + short_oi; }
};

struct VaultState {
    Amount balance;
    Amount share_supply;
};

class Engine {
public:
    Engine() = default;

    // Applies one command. The events it caused are in events() until the next call.
    Outcome apply(const Command& command);
    const std::vector<Event>& events() const { return events_; }

    // Read access for codecs, queries, state dumps and tests.
    TimeMs clock() const { return clock_; }
    const GlobalParams& params() const { return params_; }
    OrderId next_order_id() const { return next_order_id_; }
    std::uint64_t next_unlock_seq() const { return next_unlock_seq_; }
    const VaultState& vault() const { return vault_; }
    const OrderBook& book() const { return book_; }

    std::size_t user_count() const { return users_.size(); }
    const UserState& user(UserId id) const { return users_[id]; }
    std::optional<UserId> find_user(const Name& name) const;
    std::string_view user_name(UserId id) const { return users_[id].name.view(); }

    std::size_t pair_count() const { return pairs_.size(); }
    const PairState& pair(PairId id) const { return pairs_[id]; }
    std::optional<PairId> find_pair(const Name& name) const;
    std::string_view pair_name(PairId id) const { return pairs_[id].name.view(); }

    UserView view_user(std::optional<UserId> id) const;
    PairView view_pair(PairId id) const;
    VaultView view_vault() const;

    // Margin arithmetic, exposed for views and tests.
    Amount used_margin(const UserState& user) const;
    Amount available_margin(const UserState& user) const;
    // The vault's unrealized PnL and equity, rounded in the given direction.
    Dec vault_unrealized_pnl(Rounding rounding) const;
    Dec vault_equity(Rounding rounding) const;

private:
    struct Rejection {
        ErrorCode code;
        std::string message;
    };
    using Result = std::variant<Rejection, Reply>;

    // Everything a fill changes, computed before anything is changed.
    struct FillPlan {
        UserId user = kNoUser;
        PairId pair = 0;
        OrderId order_id = 0;
        Dec size;
        Dec price;
        Position position;  // after the fill; size zero means closed
        Dec long_oi, short_oi;
        i128 oi_weighted_entry_price = 0;
        i128 realized_pnl = 0;
        Amount margin, vault_balance;
        Amount shortfall, bad_debt;
    };

    struct PendingRelease {
        TimeMs end_time;
        std::uint64_t seq;
        UserId user;
        auto operator<=>(const PendingRelease&) const = default;
    };

    Result dispatch(const Command& command);
    // The commit point: moves the clock to the command's time and pays out
    // every matured unlock. Called once per accepted command, after validation.
    void accept(const Command& command);
    void release_matured_unlocks();
    // The user's id, registering the name first if it is new.
    UserId user_for_write(const Name& name, std::optional<UserId> known);

    Result handle(const Command& c, const SetParams& cmd);
    Result handle(const Command& c, const SetPair& cmd);
    Result handle(const Command& c, const OracleUpdate& cmd);
    Result handle(const Command& c, const DepositMargin& cmd);
    Result handle(const Command& c, const WithdrawMargin& cmd);
    Result handle(const Command& c, const DepositLiquidity& cmd);
    Result handle(const Command& c, const UnlockLiquidity& cmd);
    Result handle(const Command& c, const SubmitOrder& cmd);
    Result handle(const Command& c, const CancelOrder& cmd);
    Result handle(const Command& c, const QueryUser& cmd);
    Result handle(const Command& c, const QueryPair& cmd);
    Result handle(const Command& c, const QueryVault& cmd);

    FillPlan plan_fill(const UserState* user, UserId user_id, PairId pair, OrderId order_id, Dec size, Dec price) const;
    void apply_fill(const FillPlan& plan);
    void fulfill_limit_orders(PairId pair);
    // Tries one resting order during fulfilment.
    void try_fill_resting(Slot slot, Dec skew);

    Rejection unknown_pair(const Name& name) const;

    bool committed_ = false;  // set by accept(): from here on the command must not fail
    TimeMs clock_ = 0;
    GlobalParams params_;
    VaultState vault_;
    OrderId next_order_id_ = 1;
    std::uint64_t next_unlock_seq_ = 1;

    std::vector<UserState> users_;
    boost::unordered_flat_map<Name, UserId, NameHash> user_index_;
    std::vector<PairState> pairs_;
    boost::unordered_flat_map<Name, PairId, NameHash> pair_index_;
    OrderBook book_;
    std::priority_queue<PendingRelease, std::vector<PendingRelease>, std::greater<>> releases_;

    std::vector<Event> events_;
};

}  // namespace ballast::core
