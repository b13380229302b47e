// Liquidation and auto-deleveraging: closing every position of an account at
// the skew-adjusted price, settling funding and PnL across pairs as one net
// amount, then the liquidation fee. See docs/SPEC-NOTES.md, "Risk engine".
#include <algorithm>

#include "core/engine.hpp"
#include "core/pricing.hpp"

namespace ballast::core {

Engine::ForceClosePlan Engine::plan_force_close(UserId user_id, bool is_adl) const {
    const UserState& user = users_[user_id];
    ForceClosePlan plan;
    plan.user = user_id;
    plan.is_adl = is_adl;
    plan.money.margin = user.margin;
    plan.money.vault_balance = vault_.balance;
    plan.money.treasury = vault_.treasury;

    Dec fee_base;  // sum of |size| * oracle * liquidation_fee_rate over the positions
    for (const PositionEntry& entry : user.positions) {
        const PairState& pair = pairs_[entry.pair];
        const Dec close = -entry.position.size;
        const Dec price = compute_exec_price(*pair.oracle_price, pair.skew(), close, pair.params);
        FillPlan fill = plan_fill(&user, user_id, entry.pair, kNoOrder, close, price, /*settle=*/false);
        plan.net_pnl = checked_sub(checked_add(plan.net_pnl, fill.realized_pnl), fill.funding_paid);
        if (!is_adl) {
            fee_base += mul(mul(close.abs(), *pair.oracle_price, Rounding::Ceil), pair.params.liquidation_fee_rate,
                            Rounding::Ceil);
        }
        plan.closes.push_back(std::move(fill));
    }
    // A profit in one pair covers a loss in another before anything is bad debt.
    plan.money.transfer(plan.net_pnl);
    if (!is_adl) {
        plan.fee = min(to_amount(fee_base, Rounding::Ceil), plan.money.margin);
        plan.money.margin -= plan.fee;
        plan.money.vault_balance += plan.fee;
    }
    return plan;
}

void Engine::apply_force_close(const ForceClosePlan& plan) {
    // Resting orders go first: they would reopen what is being closed.
    for (Slot slot = book_.first_of_user(plan.user); slot != kNoSlot; slot = book_.first_of_user(plan.user)) {
        cancel_resting(slot, plan.is_adl ? CancelReason::AutoDeleveraging : CancelReason::Liquidation);
    }
    // Each close moves its pair; the money moves once, net, below.
    for (const FillPlan& close : plan.closes) apply_fill(close);
    UserState& user = users_[plan.user];
    user.margin = plan.money.margin;
    vault_.balance = plan.money.vault_balance;
    vault_.treasury = plan.money.treasury;
    events_.push_back(ForceCloseEvent{plan.user, plan.is_adl, plan.net_pnl, plan.fee, plan.money.bad_debt});
    if (!plan.money.shortfall.is_zero())
        events_.push_back(VaultShortfallEvent{plan.user, kNoPair, kNoOrder, plan.money.shortfall});
    if (!plan.money.bad_debt.is_zero())
        events_.push_back(BadDebtEvent{plan.user, kNoPair, kNoOrder, plan.money.bad_debt});
}

void Engine::liquidate_holders() {
    std::vector<UserId> holders;
    for (const PairState& pair : pairs_) {
        if (pair.params.maintenance_margin_ratio.is_positive())
            holders.insert(holders.end(), pair.holders.begin(), pair.holders.end());
    }
    if (holders.empty()) return;
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());

    struct Candidate {
        Dec cushion;  // equity - maintenance margin (negative)
        UserId user;
    };
    std::vector<Candidate> liquidatable;
    for (UserId id : holders) {
        const UserState& user = users_[id];
        // No liquidation on a stale price: every position's price must be fresh.
        if (!std::all_of(user.positions.begin(), user.positions.end(),
                         [&](const PositionEntry& e) { return price_is_fresh(pairs_[e.pair]); }))
            continue;
        try {
            const AccountHealth h = health(user);
            if (h.below_maintenance()) liquidatable.push_back({h.equity - Dec::from_amount(h.maintenance_margin), id});
        } catch (const ArithmeticOverflow&) {
            continue;  // cannot be valued in range; left for an operator
        }
    }
    std::sort(liquidatable.begin(), liquidatable.end(), [](const Candidate& a, const Candidate& b) {
        return a.cushion != b.cushion ? a.cushion < b.cushion : a.user < b.user;
    });
    for (const Candidate& c : liquidatable) {
        ForceClosePlan plan;
        try {
            plan = plan_force_close(c.user, /*is_adl=*/false);
        } catch (const ArithmeticOverflow&) {
            continue;
        }
        apply_force_close(plan);
    }
}

void Engine::auto_deleverage() {
    if (!params_.adl_trigger_ratio.is_positive()) return;
    // Each round closes one account, so the loop ends within the number of users.
    for (std::size_t round = 0; round <= users_.size(); ++round) {
        std::optional<UserId> chosen;
        try {
            Dec open_interest;  // sum over pairs of (long_oi + |short_oi|) * oracle
            for (const PairState& pair : pairs_) {
                if (pair.holders.empty()) continue;
                open_interest += mul(pair.long_oi - pair.short_oi, *pair.oracle_price, Rounding::Ceil);
            }
            if (vault_equity(Rounding::Floor) >= mul(params_.adl_trigger_ratio, open_interest, Rounding::Ceil)) return;
            Dec best;
            for (UserId id = 0; id < users_.size(); ++id) {
                if (users_[id].positions.empty()) continue;
                const AccountHealth h = health(users_[id]);
                const Dec profit = h.unrealized_pnl - h.accrued_funding;
                if (profit.is_positive() && (!chosen || profit > best)) {
                    chosen = id;
                    best = profit;
                }
            }
            if (!chosen) return;  // nobody in profit: nothing ADL can do
            const ForceClosePlan plan = plan_force_close(*chosen, /*is_adl=*/true);
            apply_force_close(plan);
        } catch (const ArithmeticOverflow&) {
            return;
        }
    }
}

Engine::Result Engine::handle(const ForceClose& cmd) {
    const auto id = find_user(cmd.user);
    const bool is_adl = cmd.caller.view() == "admin";
    if (!id || users_[*id].positions.empty()) {
        return Rejection{is_adl ? ErrorCode::NothingToDo : ErrorCode::NotLiquidatable, "the user holds no position"};
    }
    const UserState& user = users_[*id];
    if (!is_adl) {
        for (const PositionEntry& e : user.positions) {
            if (!price_is_fresh(pairs_[e.pair]))
                return Rejection{ErrorCode::StaleOracle, "no liquidation on a price older than max_oracle_age_ms"};
        }
        if (!is_liquidatable(user))
            return Rejection{ErrorCode::NotLiquidatable, "the account's equity is at or above its maintenance margin"};
    }
    const ForceClosePlan plan = plan_force_close(*id, is_adl);
    accept();
    apply_force_close(plan);
    auto_deleverage();
    return Reply{};
}

}  // namespace ballast::core
