// The peer-to-pool perpetuals engine: a deterministic state machine.
//
// apply(command) validates the whole command first and only then changes
// state (the "commit point", `accept`). A rejected command changes nothing,
// not even the clock. Time and prices are inputs; there is no I/O, no clock,
// no randomness and no threading in here.
#pragma once

#include <deque>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/commands.hpp"
#include "core/events.hpp"
#include "core/funding.hpp"
#include "core/order_book.hpp"
#include "core/replies.hpp"

namespace ballast::core {

struct PositionEntry {
    PairId pair = 0;
    Position position;
    std::uint32_t holder_slot = 0;  // index of this user in the pair's holders list
};

struct UserState {
    Name name;
    Amount margin;
    Amount reserved_margin;  // always the sum of reserved_margin over the user's resting orders
    Amount vault_shares;
    std::vector<Unlock> unlocks;
    std::vector<PositionEntry> positions;  // sorted by pair id
    // Below liquidation_alert_ratio × maintenance at the last valuation
    // (alerted once per crossing); false while holding nothing.
    bool risk_alerted = false;

    const Position* position(PairId pair) const;
};

struct PairState {
    Name name;
    PairParams params;
    PairStatus status = PairStatus::Active;
    std::optional<Dec> oracle_price;
    TimeMs price_time = 0;          // when the oracle price was set
    std::uint64_t price_epoch = 0;  // the engine's oracle_epoch when it was set
    Dec long_oi;                    // >= 0
    Dec short_oi;                   // <= 0
    // Sum over positions of sign(size) * cost_basis, in base units (004, "Vault Unrealized PnL").
    i128 oi_weighted_entry_price = 0;
    // Funding accrued up to funding.last_time, and the sum over positions of
    // size * entry_funding_per_unit (each product rounded down).
    FundingState funding;
    Dec oi_weighted_entry_funding;
    std::vector<UserId> holders;  // users with a position here, in no particular order

    Dec skew() const { return long_oi + short_oi; }
};

struct VaultState {
    Amount balance;
    Amount share_supply;      // includes the shares locked in unlocks until they are released
    Amount treasury;          // the protocol's share of trading fees
    Amount pending_deposits;  // LP margin waiting to be priced into shares
    // Traders' losses beyond their margin, found when the accounts were last
    // all valued (an oracle update): the part of the vault's unrealized PnL
    // it cannot collect.
    Dec uncollectable;
    // Whether the vault had equity to back new positions when last checked
    // (after every oracle update and every vault command).
    bool backs_positions = false;
};

// Every account valued at once at the current prices, for the vault.
struct VaultMark {
    Dec uncollectable;          // sum over accounts of max(0, -equity)
    Dec owed_to_winners;        // sum over accounts of max(0, unrealized PnL - accrued funding)
    std::size_t positions = 0;  // positions valued (each term rounds by at most 2e-18)
    // Every pair with open interest has a fresh price, and every account could be valued.
    bool fresh = true;
};

// A trader's account at the current oracle prices, with funding accrued to the clock.
struct AccountHealth {
    Dec equity;  // margin + unrealized PnL - accrued funding
    Amount maintenance_margin;
    Amount used_margin;  // initial margin of the positions at the oracle price
    Dec unrealized_pnl;
    Dec accrued_funding;  // positive: owed by the trader

    // Below maintenance: liquidatable. Pairs without a maintenance ratio never
    // make an account liquidatable.
    bool below_maintenance() const {
        return !maintenance_margin.is_zero() && equity < Dec::from_amount(maintenance_margin);
    }
};

// A position's unrealized PnL at `oracle`, rounded against the trader.
Dec position_unrealized_pnl(const Position& position, Dec oracle);

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

    // Positions: margin, health and positions only (no unlocks, pending
    // deposits or orders), for the event stream's account updates.
    enum class UserDetail : std::uint8_t { Full, Positions };
    UserView view_user(std::optional<UserId> id, UserDetail detail = UserDetail::Full) const;
    PairView view_pair(PairId id) const;
    BookView view_book(PairId id) const;
    VaultView view_vault() const;

    // Margin and risk arithmetic at the current prices and clock, exposed for
    // views and tests. used_margin is health(user).used_margin.
    // max(0, min(margin, equity) - used - reserved): losses and owed funding
    // count against it at once, profits only once realized.
    Amount available_margin(const UserState& user) const;
    static Amount available_margin(const UserState& user, const AccountHealth& health);
    AccountHealth health(const UserState& user) const;
    bool is_liquidatable(const UserState& user) const;
    // The pair's funding accrued to the current command's time, or to the
    // clock between commands (nothing is written).
    FundingState funding_now(const PairState& pair) const;
    // The vault's unrealized PnL (positions and funding), rounded in the given direction.
    Dec vault_unrealized_pnl(Rounding rounding) const;
    Dec vault_unrealized_funding(Rounding rounding) const;
    // Balance plus unrealized PnL and funding, less the traders' losses the
    // vault cannot collect (as of the last valuation of every account).
    Dec vault_equity(Rounding rounding) const;
    // Whether any trader holds a position: if not, the vault's value
    // depends on no price and LP requests are priced at once.
    bool vault_exposed() const { return open_positions_ != 0; }
    std::uint64_t oracle_epoch() const { return oracle_epoch_; }
    std::uint64_t next_lp_seq() const { return next_lp_seq_; }  // ids of deposits and unlocks
    const std::deque<PendingDeposit>& pending_deposits() const { return deposit_queue_; }
    // Base units in the exchange: margin deposits less withdrawals.
    Amount money_in() const { return money_in_; }

private:
    // Snapshot decoding (snapshot_codec.cpp) restores this state field by field.
    friend class SnapshotDecoder;

    struct Rejection {
        ErrorCode code;
        std::string message;
    };
    using Result = std::variant<Rejection, Reply>;

    // Money moving between a trader and the vault, capped on both sides.
    struct Settlement {
        Amount margin, vault_balance, treasury;
        Amount shortfall, bad_debt;
        // Pays `amount` to the trader (negative: the trader pays) as far as
        // the payer holds it; the rest is a shortfall or bad debt.
        void transfer(i128 amount);
    };

    // Everything a fill changes, computed before anything is changed.
    struct FillPlan {
        UserId user = kNoUser;
        PairId pair = 0;
        OrderId order_id = 0;
        Dec size;
        Dec price;
        bool settles = false;  // false: funding and PnL are left to the caller (a forced close)
        bool was_held = false;
        Position position;  // after the fill; size zero means closed
        Dec long_oi, short_oi;
        i128 oi_weighted_entry_price = 0;
        Dec oi_weighted_entry_funding;
        FundingState funding;   // the pair's, accrued to the clock
        i128 funding_paid = 0;  // settled funding: positive paid by the trader
        i128 realized_pnl = 0;
        Amount fee, treasury_cut;
        Settlement money;
        std::optional<Dec> resting_limit_price;  // see FillEvent
    };

    // A forced close of every position of one user (liquidation or ADL).
    struct ForceClosePlan {
        UserId user = kNoUser;
        bool is_adl = false;
        std::vector<FillPlan> closes;  // pair-id order; each settles nothing itself
        i128 net_pnl = 0;              // realized PnL minus funding, settled as one amount
        Amount fee;
        Settlement money;
    };

    struct PendingRelease {
        TimeMs end_time;
        std::uint64_t seq;
        UserId user;
        auto operator<=>(const PendingRelease&) const = default;
    };
    // An unlock waiting to be priced, in request order.
    struct UnpricedUnlock {
        UserId user;
        std::uint64_t seq;
        std::uint64_t epoch;
    };

    // LP requests settled together (engine_vault.cpp): unlocks priced,
    // matured unlocks released, deposits priced into shares. Planned without
    // changing anything, then applied.
    struct VaultWork {
        struct Pricing {
            UserId user;
            std::uint64_t seq;
            Amount amount;  // zero: the shares are worth nothing and go back to the LP
        };
        struct Release {
            UserId user;
            std::uint64_t seq;
            Amount shares, payout, value_at_request;
            TimeMs end_time;
        };
        struct Deposit {
            UserId user;
            std::uint64_t seq;
            Amount amount, shares;
            std::optional<RefundReason> refund;
        };
        std::vector<Pricing> pricings;                   // the front of unpriced_unlocks_, in order
        std::vector<Release> releases;                   // the top of releases_, in order
        std::vector<Deposit> deposits;                   // the front of deposit_queue_, in order
        Amount balance, share_supply, pending_deposits;  // the vault's after the work
        bool empty() const { return pricings.empty() && releases.empty() && deposits.empty(); }
    };

    // The vault's share arithmetic, with virtual shares and assets (a vault
    // holding one base unit more and default_shares_per_amount shares more
    // than it does), so that no rounding can cost a depositor more than dust.
    Amount shares_for_deposit(Amount amount, Dec equity, Amount supply) const;
    Amount value_of_shares(Amount shares, Dec equity, Amount supply) const;
    // Vault equity from a valuation of every account, in the LPs' favour
    // both ways: low when paying out, high when minting.
    Dec marked_equity(const VaultMark& mark, Amount balance, Rounding rounding) const;
    VaultWork plan_vault_work(const VaultMark& mark) const;
    const Unlock* find_unlock(UserId user, std::uint64_t seq) const;
    Unlock* find_unlock(UserId user, std::uint64_t seq);
    void erase_unlock(UserId user, std::uint64_t seq);
    void apply_vault_work(const VaultWork& work);
    // With no position open anywhere the vault's value depends on no price:
    // LP requests are settled by the next command, before its own work.
    bool vault_work_due() const;
    // Whether the vault has equity to back new positions (kept in VaultState).
    void refresh_vault_backing();

    Result dispatch(const Command& command);
    // The commit point: moves the clock to the command's time and applies
    // the vault work planned for it. Called once per accepted command, after validation.
    void accept();
    // The user's id, registering the name first if it is new.
    UserId user_for_write(const Name& name, std::optional<UserId> known);

    Result handle(const SetParams& cmd);
    Result handle(const SetPair& cmd);
    Result handle(const OracleUpdate& cmd);
    Result handle(const DepositMargin& cmd);
    Result handle(const WithdrawMargin& cmd);
    Result handle(const DepositLiquidity& cmd);
    Result handle(const UnlockLiquidity& cmd);
    Result handle(const SubmitOrder& cmd);
    Result handle(const CancelOrder& cmd);
    Result handle(const QueryUser& cmd);
    Result handle(const QueryPair& cmd);
    Result handle(const QueryVault& cmd);
    Result handle(const SetPairStatus& cmd);
    Result handle(const ForceClose& cmd);
    Result handle(const FundVault& cmd);

    // Health of a position added to an account's totals at the pair's oracle price.
    static void add_position_health(AccountHealth& h, const PairState& pair, const Position& p,
                                    const FundingState& funding);
    // The account's health as it would be after a planned, settling fill.
    AccountHealth health_after(const UserState* user, const FillPlan& plan) const;
    // A cheap test that implies margin_shortfall_after finds nothing, from the
    // account's available margin before the fill (see engine.cpp).
    static bool margin_surely_covered_after(const FillPlan& plan, Dec oracle, Amount available, Amount required,
                                            Amount fee_whole);
    // Why a fill that opens exposure may not be made: the account's equity
    // after it (its premium and fee included) would not cover the initial
    // margin of all its positions plus `reserved_after`. nullopt: it may.
    std::optional<Rejection> margin_shortfall_after(const UserState* user, const FillPlan& plan,
                                                    Amount reserved_after) const;

    // Plans a fill. With `settle`, funding, PnL and the trading fee are paid
    // there and then; without, they are left for the caller to net.
    FillPlan plan_fill(const UserState* user, UserId user_id, PairId pair, OrderId order_id, Dec size, Dec price,
                       bool settle) const;
    void apply_fill(const FillPlan& plan);
    void fulfill_limit_orders(PairId pair);
    // Removes a resting order and releases exactly the margin reserved for it.
    void cancel_resting(Slot slot, CancelReason reason);
    // Tries one resting order during fulfilment.
    void try_fill_resting(Slot slot, Dec skew);

    // Liquidation and auto-deleveraging (engine_risk.cpp).
    struct LiquidationCandidate {
        Dec cushion;  // equity - maintenance margin (negative)
        UserId user;
    };
    struct AccountSweep {
        VaultMark mark;
        std::vector<LiquidationCandidate> liquidatable;  // fresh prices only, worst first
        std::optional<UserId> most_profitable;           // fresh prices only; ties by user id
        // Accounts that crossed liquidation_alert_ratio × maintenance, either way.
        struct AlertChange {
            UserId user;
            bool below;
            Dec equity;
            Amount maintenance_margin;
        };
        std::vector<AlertChange> alert_changes;
    };
    // Values every account holding a position at the current prices.
    AccountSweep sweep_accounts() const;
    void sweep_account(UserId id, AccountSweep& sweep, Dec& best_profit) const;
    ForceClosePlan plan_force_close(UserId user, bool is_adl) const;
    void apply_force_close(const ForceClosePlan& plan);
    // After an oracle update: liquidations, worst first; then ADL while the
    // vault's equity is below adl_trigger_ratio times what it owes winning
    // traders. Returns the valuation of the accounts that remain, or nullopt
    // when nothing needed every account valued (see engine_risk.cpp).
    std::optional<VaultMark> settle_risk();
    // Whether the pair's price is within max_oracle_age_ms of the command's time.
    bool price_is_fresh(const PairState& pair) const;
    // Whether every position of the account has a fresh price; if not, what
    // the account is worth (and may withdraw) depends on a stale price.
    bool account_prices_fresh(const UserState& user) const;
    static Rejection stale_account();
    void add_holder(PairId pair, UserId user);
    void remove_holder(PairId pair, std::uint32_t slot);

    Rejection unknown_pair(const Name& name) const;

    bool committed_ = false;  // set by accept(): from here on the command must not fail
    TimeMs clock_ = 0;
    // The time of the command being applied (its "time", or the clock). Plans
    // are computed at this time; accept() makes it the clock.
    TimeMs now_ = 0;
    GlobalParams params_;
    VaultState vault_;
    OrderId next_order_id_ = 1;
    std::uint64_t next_lp_seq_ = 1;
    std::uint64_t oracle_epoch_ = 0;  // oracle updates accepted
    Amount money_in_;                 // margin deposits less withdrawals
    std::size_t open_positions_ = 0;  // positions held by anyone

    std::vector<UserState> users_;
    boost::unordered_flat_map<Name, UserId, NameHash> user_index_;
    std::vector<PairState> pairs_;
    boost::unordered_flat_map<Name, PairId, NameHash> pair_index_;
    OrderBook book_;
    std::priority_queue<PendingRelease, std::vector<PendingRelease>, std::greater<>> releases_;
    std::deque<UnpricedUnlock> unpriced_unlocks_;
    std::deque<PendingDeposit> deposit_queue_;
    // Vault work due before the current command's own (planned before
    // validation, applied by accept()).
    std::optional<VaultWork> due_work_;

    std::vector<Event> events_;
};

}  // namespace ballast::core
