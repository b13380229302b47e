// The liquidity vault: LP deposits and unlocks, and when they are priced
// (003 "Vault deposit", "Vault withdrawal"; the departures are in
// docs/SPEC-NOTES.md, "The vault").
//
// Entering and leaving the vault must not pay by timing alone:
// - a deposit or unlock is priced at once only when nobody holds a position
//   (the vault's value then depends on no price); otherwise at the first
//   oracle update after it that reprices every pair with open interest, so a
//   move the LP saw coming is already in the price;
// - an unlock's shares keep sharing the vault's losses until released, and the
//   release pays the lesser of their value when priced and when released;
// - a release waits until the vault can pay it and still owe winning traders
//   no more than it holds;
// - the vault's equity counts a trader's loss only as far as their margin
//   can pay it.
#include <algorithm>
#include <utility>

#include "core/engine.hpp"

namespace ballast::core {

namespace {

// The virtual assets of the vault: one base unit. With virtual shares of
// default_shares_per_amount, an empty vault mints that many shares per unit,
// and inflating the share price to steal through rounding costs the attacker
// a million times what it could take.
constexpr Amount kVirtualAssets = Amount(1);

}  // namespace

Amount Engine::shares_for_deposit(Amount amount, Dec equity, Amount supply) const {
    const Dec assets = equity + Dec::from_amount(kVirtualAssets);
    if (!assets.is_positive()) return Amount::zero();
    return mul_div_by_dec(amount, supply + params_.default_shares_per_amount, assets, Rounding::Floor);
}

Amount Engine::value_of_shares(Amount shares, Dec equity, Amount supply) const {
    const Dec assets = equity + Dec::from_amount(kVirtualAssets);
    if (!assets.is_positive()) return Amount::zero();
    return mul_div_to_amount(assets, shares, supply + params_.default_shares_per_amount, Rounding::Floor);
}

Dec Engine::marked_equity(const VaultMark& mark, Amount balance, Rounding rounding) const {
    // Each account's equity rounds against its trader by less than 2e-18 per
    // position, which can only overstate what the vault cannot collect: a
    // slack of that size turns the total the asked way.
    const Dec slack = Dec::from_raw(2 * static_cast<i128>(mark.positions));
    Dec equity = Dec::from_amount(balance) + vault_unrealized_pnl(rounding) + vault_unrealized_funding(rounding) -
                 mark.uncollectable;
    if (rounding == Rounding::Ceil) equity += slack;
    return equity;
}

Dec Engine::vault_equity(Rounding rounding) const {
    if (!vault_exposed()) return Dec::from_amount(vault_.balance);
    return Dec::from_amount(vault_.balance) + vault_unrealized_pnl(rounding) + vault_unrealized_funding(rounding) -
           vault_.uncollectable;
}

void Engine::refresh_vault_backing() {
    try {
        vault_.backs_positions = vault_equity(Rounding::Floor).is_positive();
    } catch (const ArithmeticOverflow&) {
        vault_.backs_positions = false;
    }
}

bool Engine::vault_work_due() const {
    if (vault_exposed()) return false;  // priced at oracle updates only
    if (!deposit_queue_.empty() || !unpriced_unlocks_.empty()) return true;
    return !releases_.empty() && releases_.top().end_time <= now_;
}

Engine::VaultWork Engine::plan_vault_work(const VaultMark& mark) const {
    VaultWork work;
    work.balance = vault_.balance;
    work.share_supply = vault_.share_supply;
    work.pending_deposits = vault_.pending_deposits;
    if (deposit_queue_.empty() && unpriced_unlocks_.empty() && (releases_.empty() || releases_.top().end_time > now_))
        return work;               // nothing waiting
    if (!mark.fresh) return work;  // a stale price: nothing is priced or paid

    // Requests are priced once every pair with open interest has been
    // repriced since they were made.
    std::uint64_t oldest_repricing = std::numeric_limits<std::uint64_t>::max();
    for (const PairState& pair : pairs_) {
        if (!pair.holders.empty()) oldest_repricing = std::min(oldest_repricing, pair.price_epoch);
    }
    try {
        // Equity low when paying out, high when minting; each moves with the work.
        Dec pay_equity = marked_equity(mark, work.balance, Rounding::Floor);
        Dec mint_equity = marked_equity(mark, work.balance, Rounding::Ceil);
        // What the vault owes winning traders, rounded up, stays in it.
        const Dec owed = mark.owed_to_winners + Dec::from_raw(2 * static_cast<i128>(mark.positions));
        Amount payable = work.balance.saturating_sub(to_amount(max(owed, Dec::zero()), Rounding::Ceil));

        std::vector<std::pair<std::uint64_t, Amount>> priced_now;  // seq -> amount, this round
        for (const UnpricedUnlock& u : unpriced_unlocks_) {
            if (u.epoch >= oldest_repricing) break;
            const Unlock* unlock = find_unlock(u.user, u.seq);
            const Amount amount = value_of_shares(unlock->shares, pay_equity, work.share_supply);
            work.pricings.push_back({u.user, u.seq, amount});
            priced_now.emplace_back(u.seq, amount);
        }

        // Releases go oldest end time first; one that cannot be paid yet
        // holds the ones behind it. Entries of unlocks canceled at pricing
        // are dropped as they surface.
        auto queue = releases_;
        while (!queue.empty() && queue.top().end_time <= now_) {
            const PendingRelease due = queue.top();
            const Unlock* unlock = find_unlock(due.user, due.seq);
            std::optional<Amount> priced;
            if (unlock != nullptr && unlock->priced) priced = unlock->amount;
            for (const auto& [seq, amount] : priced_now)
                if (seq == due.seq) priced = amount;
            if (unlock == nullptr || (priced && priced->is_zero())) {
                queue.pop();
                continue;
            }
            if (!priced) break;  // not priced yet: it waits, and so do later ones
            const Amount now_worth = value_of_shares(unlock->shares, pay_equity, work.share_supply);
            const Amount payout = min(*priced, now_worth);
            // The vault cannot pay it yet, or its shares are worth nothing now
            // (the vault has no equity): it waits, holding the ones behind it.
            if (payout > payable || payout.is_zero()) break;
            work.releases.push_back({due.user, due.seq, unlock->shares, payout, *priced, unlock->end_time});
            work.share_supply -= unlock->shares;
            work.balance -= payout;
            payable -= payout;
            pay_equity -= Dec::from_amount(payout);
            mint_equity -= Dec::from_amount(payout);
            queue.pop();
        }

        for (const PendingDeposit& d : deposit_queue_) {
            if (d.epoch >= oldest_repricing) break;
            VaultWork::Deposit done{d.user, d.seq, d.amount, Amount::zero(), std::nullopt};
            work.pending_deposits -= d.amount;
            if (!(mint_equity + Dec::from_amount(kVirtualAssets)).is_positive()) {
                done.refund = RefundReason::VaultInsolvent;
            } else {
                try {
                    done.shares = shares_for_deposit(d.amount, mint_equity, work.share_supply);
                    const Amount supply = work.share_supply + done.shares;
                    const Amount balance = work.balance + d.amount;
                    if (done.shares.is_zero() || (d.min_shares && done.shares < *d.min_shares)) {
                        done.refund = RefundReason::TooFewShares;
                    } else {
                        work.share_supply = supply;
                        work.balance = balance;
                        pay_equity += Dec::from_amount(d.amount);
                        mint_equity += Dec::from_amount(d.amount);
                    }
                } catch (const ArithmeticOverflow&) {
                    done.refund = RefundReason::TooLarge;
                }
            }
            if (done.refund) done.shares = Amount::zero();
            work.deposits.push_back(done);
        }
    } catch (const ArithmeticOverflow&) {
        // The vault cannot be valued in range: nothing is priced or paid now.
        VaultWork none;
        none.balance = vault_.balance;
        none.share_supply = vault_.share_supply;
        none.pending_deposits = vault_.pending_deposits;
        return none;
    }
    return work;
}

const Unlock* Engine::find_unlock(UserId user, std::uint64_t seq) const {
    for (const Unlock& u : users_[user].unlocks)
        if (u.seq == seq) return &u;
    return nullptr;
}

Unlock* Engine::find_unlock(UserId user, std::uint64_t seq) {
    return const_cast<Unlock*>(std::as_const(*this).find_unlock(user, seq));
}

void Engine::erase_unlock(UserId user, std::uint64_t seq) {
    std::vector<Unlock>& unlocks = users_[user].unlocks;
    unlocks.erase(std::find_if(unlocks.begin(), unlocks.end(), [&](const Unlock& u) { return u.seq == seq; }));
}

void Engine::apply_vault_work(const VaultWork& work) {
    for (const VaultWork::Pricing& p : work.pricings) {
        unpriced_unlocks_.pop_front();
        Unlock& unlock = *find_unlock(p.user, p.seq);
        if (p.amount.is_zero()) {
            // Worth nothing: the shares go back and the unlock is dropped.
            users_[p.user].vault_shares += unlock.shares;
            events_.push_back(UnlockCanceledEvent{p.user, p.seq, unlock.shares});
            erase_unlock(p.user, p.seq);
        } else {
            unlock.amount = p.amount;
            unlock.priced = true;
            events_.push_back(UnlockPricedEvent{p.user, p.seq, unlock.shares, p.amount, unlock.end_time});
        }
    }
    for (const VaultWork::Release& r : work.releases) {
        erase_unlock(r.user, r.seq);
        users_[r.user].margin += r.payout;
        events_.push_back(LiquidityReleasedEvent{r.user, r.seq, r.shares, r.payout, r.value_at_request, r.end_time});
    }
    // Release entries of unlocks that are gone leave the queue as they reach its top.
    while (!releases_.empty() && find_unlock(releases_.top().user, releases_.top().seq) == nullptr) releases_.pop();
    for (const VaultWork::Deposit& d : work.deposits) {
        deposit_queue_.pop_front();
        if (d.refund) {
            users_[d.user].margin += d.amount;
            events_.push_back(DepositRefundedEvent{d.user, d.seq, d.amount, *d.refund});
        } else {
            users_[d.user].vault_shares += d.shares;
            events_.push_back(LiquidityDepositedEvent{d.user, d.seq, d.amount, d.shares});
        }
    }
    vault_.balance = work.balance;
    vault_.share_supply = work.share_supply;
    vault_.pending_deposits = work.pending_deposits;
}

// ---------------------------------------------------------------------------
// Commands

Engine::Result Engine::handle(const DepositLiquidity& cmd) {
    if (cmd.amount.is_zero()) return Rejection{ErrorCode::NothingToDo, "amount must be positive"};
    const auto id = find_user(cmd.user);
    if (!id)
        return Rejection{ErrorCode::InsufficientAvailableMargin,
                         "available margin is 0, requested " + to_string(cmd.amount)};
    const UserState& user = users_[*id];
    if (!account_prices_fresh(user)) return stale_account();
    const Amount available = available_margin(user);
    if (cmd.amount > available) {
        return Rejection{ErrorCode::InsufficientAvailableMargin,
                         "available margin is " + to_string(available) + ", requested " + to_string(cmd.amount)};
    }
    const std::uint64_t seq = next_lp_seq_;
    const PendingDeposit deposit{*id, cmd.amount, cmd.min_shares_to_mint, seq, oracle_epoch_};

    // Priced at once when nobody holds a position, on the vault as the
    // work due before this command leaves it; checked before the commit
    // point, so that a deposit below its minimum is refused outright.
    std::optional<VaultWork> now;
    if (!vault_exposed()) {
        VaultWork before = due_work_ ? *due_work_ : plan_vault_work(VaultMark{});
        const Dec equity = Dec::from_amount(before.balance);
        if (!(equity + Dec::from_amount(kVirtualAssets)).is_positive())
            return Rejection{ErrorCode::VaultInsolvent, "the vault has no positive equity; deposits are disabled"};
        const Amount shares = shares_for_deposit(cmd.amount, equity, before.share_supply);
        if (shares.is_zero()) return Rejection{ErrorCode::TooFewShares, "the deposit is too small to mint a share"};
        if (cmd.min_shares_to_mint && shares < *cmd.min_shares_to_mint) {
            return Rejection{ErrorCode::TooFewShares, "would mint " + to_string(shares) + " shares, fewer than " +
                                                          to_string(*cmd.min_shares_to_mint)};
        }
        VaultWork::Deposit minted{*id, seq, cmd.amount, shares, std::nullopt};
        now.emplace();
        now->deposits.push_back(minted);
        now->balance = before.balance + cmd.amount;
        now->share_supply = before.share_supply + shares;
        now->pending_deposits = before.pending_deposits;
    }

    accept();
    ++next_lp_seq_;
    users_[*id].margin -= cmd.amount;
    deposit_queue_.push_back(deposit);
    vault_.pending_deposits += cmd.amount;
    DepositLiquidityReply reply{seq, std::nullopt};
    if (now) {
        now->pending_deposits = vault_.pending_deposits - cmd.amount;
        apply_vault_work(*now);
        reply.shares_minted = now->deposits.front().shares;
    }
    refresh_vault_backing();
    return Reply{reply};
}

Engine::Result Engine::handle(const UnlockLiquidity& cmd) {
    if (cmd.shares_to_burn.is_zero()) return Rejection{ErrorCode::NothingToDo, "shares_to_burn must be positive"};
    const auto id = find_user(cmd.user);
    const Amount owned = id ? users_[*id].vault_shares : Amount::zero();
    if (cmd.shares_to_burn > owned) {
        return Rejection{ErrorCode::InsufficientShares,
                         "owns " + to_string(owned) + " shares, asked to burn " + to_string(cmd.shares_to_burn)};
    }
    TimeMs end_time = 0;
    if (__builtin_add_overflow(now_, params_.vault_cooldown_ms, &end_time)) throw_overflow();
    const std::uint64_t seq = next_lp_seq_;

    // Unexposed: priced now (and, with no cooldown, released now), on the
    // vault as the work due before this command leaves it.
    std::optional<VaultWork> now;
    if (!vault_exposed()) {
        const VaultWork before = due_work_ ? *due_work_ : plan_vault_work(VaultMark{});
        const Dec equity = Dec::from_amount(before.balance);
        const Amount amount = value_of_shares(cmd.shares_to_burn, equity, before.share_supply);
        if (amount.is_zero()) {
            if (!(equity + Dec::from_amount(kVirtualAssets)).is_positive())
                return Rejection{ErrorCode::VaultInsolvent,
                                 "the vault has no positive equity; shares are worth nothing now"};
            return Rejection{ErrorCode::NothingToDo, "burning this few shares would release nothing"};
        }
        now.emplace();
        now->pricings.push_back({*id, seq, amount});
        now->balance = before.balance;
        now->share_supply = before.share_supply;
        now->pending_deposits = before.pending_deposits;
        if (end_time <= now_ && amount <= before.balance) {
            now->releases.push_back({*id, seq, cmd.shares_to_burn, amount, amount, end_time});
            now->balance -= amount;
            now->share_supply -= cmd.shares_to_burn;
        }
    }

    accept();
    ++next_lp_seq_;
    UserState& user = users_[*id];
    user.vault_shares -= cmd.shares_to_burn;
    user.unlocks.push_back(Unlock{cmd.shares_to_burn, Amount::zero(), false, end_time, seq, oracle_epoch_});
    unpriced_unlocks_.push_back({*id, seq, oracle_epoch_});
    releases_.push(PendingRelease{end_time, seq, *id});
    UnlockLiquidityReply reply{seq, cmd.shares_to_burn, end_time, std::nullopt};
    if (now) {
        apply_vault_work(*now);
        reply.amount = now->pricings.front().amount;
    }
    refresh_vault_backing();
    return Reply{reply};
}

Engine::Result Engine::handle(const FundVault& cmd) {
    if (cmd.amount.is_zero()) return Rejection{ErrorCode::NothingToDo, "amount must be positive"};
    std::optional<UserId> id;
    if (cmd.user) {
        id = find_user(*cmd.user);
        if (id && !account_prices_fresh(users_[*id])) return stale_account();
        const Amount available = id ? available_margin(users_[*id]) : Amount::zero();
        if (cmd.amount > available) {
            return Rejection{ErrorCode::InsufficientAvailableMargin,
                             "available margin is " + to_string(available) + ", requested " + to_string(cmd.amount)};
        }
    } else if (cmd.amount > vault_.treasury) {
        return Rejection{ErrorCode::InsufficientAvailableMargin,
                         "the treasury holds " + to_string(vault_.treasury) + ", requested " + to_string(cmd.amount)};
    }
    const Amount balance = vault_.balance + cmd.amount;
    accept();
    if (id)
        users_[*id].margin -= cmd.amount;
    else
        vault_.treasury -= cmd.amount;
    vault_.balance = balance;
    events_.push_back(VaultFundedEvent{id.value_or(kNoUser), cmd.amount});
    refresh_vault_backing();
    return Reply{};
}

}  // namespace ballast::core
