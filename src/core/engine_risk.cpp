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
    user.risk_alerted = false;  // holds nothing now
    user.margin = plan.money.margin;
    vault_.balance = plan.money.vault_balance;
    vault_.treasury = plan.money.treasury;
    events_.push_back(ForceCloseEvent{plan.user, plan.is_adl, plan.net_pnl, plan.fee, plan.money.bad_debt});
    if (!plan.money.shortfall.is_zero())
        events_.push_back(VaultShortfallEvent{plan.user, kNoPair, kNoOrder, plan.money.shortfall});
    if (!plan.money.bad_debt.is_zero())
        events_.push_back(BadDebtEvent{plan.user, kNoPair, kNoOrder, plan.money.bad_debt});
}

Engine::AccountSweep Engine::sweep_accounts() const {
    AccountSweep sweep;
    Dec best_profit;
    for (PairId pair_id = 0; pair_id < pairs_.size(); ++pair_id) {
        for (UserId id : pairs_[pair_id].holders) {
            // Each account once: under the first pair it holds (positions are in pair order).
            if (users_[id].positions.front().pair == pair_id) sweep_account(id, sweep, best_profit);
        }
    }
    std::sort(sweep.liquidatable.begin(), sweep.liquidatable.end(),
              [](const LiquidationCandidate& a, const LiquidationCandidate& b) {
                  return a.cushion != b.cushion ? a.cushion < b.cushion : a.user < b.user;
              });
    return sweep;
}

void Engine::sweep_account(UserId id, AccountSweep& sweep, Dec& best_profit) const {
    const UserState& user = users_[id];
    // An account with a stale price is neither liquidated nor deleveraged,
    // and the vault cannot be valued without it.
    const bool fresh = account_prices_fresh(user);
    if (!fresh) sweep.mark.fresh = false;
    try {
        // Equity and profit for the vault; the maintenance margin for
        // liquidation. The initial margin in use is not needed here.
        AccountHealth h;
        for (const PositionEntry& entry : user.positions) {
            const PairState& pair = pairs_[entry.pair];
            const Position& p = entry.position;
            h.unrealized_pnl += position_unrealized_pnl(p, *pair.oracle_price);
            h.accrued_funding +=
                accrued_funding(p.size, funding_now(pair).cumulative_per_unit, p.entry_funding_per_unit);
            h.maintenance_margin +=
                mul3_to_amount(p.size.abs(), *pair.oracle_price, pair.params.maintenance_margin_ratio, Rounding::Ceil);
        }
        h.equity = Dec::from_amount(user.margin) + h.unrealized_pnl - h.accrued_funding;
        const Dec net = h.unrealized_pnl - h.accrued_funding;
        if (h.equity.is_negative()) sweep.mark.uncollectable -= h.equity;
        if (net.is_positive()) sweep.mark.owed_to_winners += net;
        sweep.mark.positions += user.positions.size();
        if (!fresh) return;
        // The alert must never change the valuation: its product is computed
        // apart (one too large for a Dec exceeds any equity, so it alerts).
        const Dec alert_ratio = params_.liquidation_alert_ratio;
        bool alert = false;
        if (alert_ratio.is_positive() && !h.maintenance_margin.is_zero()) {
            const auto threshold =
                computed([&] { return mul(alert_ratio, Dec::from_amount(h.maintenance_margin), Rounding::Ceil); });
            alert = !threshold || h.equity < *threshold;
        }
        if (alert != user.risk_alerted) sweep.alert_changes.push_back({id, alert, h.equity, h.maintenance_margin});
        if (h.below_maintenance())
            sweep.liquidatable.push_back({h.equity - Dec::from_amount(h.maintenance_margin), id});
        // The most profitable goes first; ties by user id.
        if (net.is_positive() &&
            (!sweep.most_profitable || net > best_profit || (net == best_profit && id < *sweep.most_profitable))) {
            sweep.most_profitable = id;
            best_profit = net;
        }
    } catch (const ArithmeticOverflow&) {
        sweep.mark.fresh = false;  // cannot be valued in range; left for an operator
    }
}

std::optional<VaultMark> Engine::settle_risk() {
    if (!vault_exposed()) return VaultMark{};  // nothing to value
    // Valuing every account costs a pass over every holder, so it runs only
    // when something needs it: liquidations (a market with a maintenance
    // ratio has positions; such a pass ran before the vault needed it too),
    // ADL, or vault requests waiting to be priced or paid. Otherwise the
    // uncollectable losses in vault_equity() keep their last valuation: only
    // markets without a maintenance ratio (never liquidated, the spec's own
    // test set-up) can leave them behind.
    bool needed = params_.adl_trigger_ratio.is_positive() || !deposit_queue_.empty() || !unpriced_unlocks_.empty() ||
                  (!releases_.empty() && releases_.top().end_time <= now_);
    for (std::size_t p = 0; p < pairs_.size() && !needed; ++p)
        needed = !pairs_[p].holders.empty() && pairs_[p].params.maintenance_margin_ratio.is_positive();
    if (!needed) return std::nullopt;
    AccountSweep sweep = sweep_accounts();
    if (!sweep.liquidatable.empty()) {
        for (const LiquidationCandidate& c : sweep.liquidatable) {
            ForceClosePlan plan;
            try {
                plan = plan_force_close(c.user, /*is_adl=*/false);
            } catch (const ArithmeticOverflow&) {
                continue;
            }
            apply_force_close(plan);
        }
        sweep = sweep_accounts();
    }
    // Auto-deleveraging, on the vault's real exposure: while its equity is
    // below adl_trigger_ratio times what it owes winning traders, the most
    // profitable account is closed. Never on a stale price. Each round closes
    // one account, so the loop ends within the number of users.
    for (std::size_t round = 0; round <= users_.size() && params_.adl_trigger_ratio.is_positive(); ++round) {
        if (!sweep.mark.fresh || !sweep.most_profitable) break;
        try {
            const Dec equity = marked_equity(sweep.mark, vault_.balance, Rounding::Floor);
            if (equity >= mul(params_.adl_trigger_ratio, sweep.mark.owed_to_winners, Rounding::Ceil)) break;
            const ForceClosePlan plan = plan_force_close(*sweep.most_profitable, /*is_adl=*/true);
            apply_force_close(plan);
        } catch (const ArithmeticOverflow&) {
            break;
        }
        sweep = sweep_accounts();
    }
    // Alerts from the last valuation: the accounts that remain.
    for (const AccountSweep::AlertChange& change : sweep.alert_changes) {
        users_[change.user].risk_alerted = change.below;
        if (change.below)
            events_.push_back(LiquidationAlertEvent{change.user, change.equity, change.maintenance_margin});
    }
    return sweep.mark;
}

Engine::Result Engine::handle(const ForceClose& cmd) {
    const auto id = find_user(cmd.user);
    const bool is_adl = cmd.caller.view() == "admin";
    if (!id || users_[*id].positions.empty()) {
        return Rejection{is_adl ? ErrorCode::NothingToDo : ErrorCode::NotLiquidatable, "the user holds no position"};
    }
    const UserState& user = users_[*id];
    // Neither a liquidation nor an ADL closes on a stale price.
    if (!account_prices_fresh(user))
        return Rejection{ErrorCode::StaleOracle, "no forced close on a price older than max_oracle_age_ms"};
    if (!is_adl && !is_liquidatable(user))
        return Rejection{ErrorCode::NotLiquidatable, "the account's equity is at or above its maintenance margin"};
    const ForceClosePlan plan = plan_force_close(*id, is_adl);
    accept();
    apply_force_close(plan);
    if (const auto mark = settle_risk()) vault_.uncollectable = mark->uncollectable;
    refresh_vault_backing();
    return Reply{};
}

}  // namespace ballast::core
