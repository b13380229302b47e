// Trader margin and the liquidity vault (003, "Vault deposit", "Vault
// withdrawal", "Margin deposit", "Margin withdrawal").
#include "core/engine.hpp"

namespace ballast::core {

Engine::Result Engine::handle(const DepositMargin& cmd) {
    if (cmd.amount.is_zero()) return Rejection{ErrorCode::NothingToDo, "amount must be positive"};
    const auto existing = find_user(cmd.user);
    const Amount margin = (existing ? users_[*existing].margin : Amount::zero()) + cmd.amount;
    accept();
    users_[user_for_write(cmd.user, existing)].margin = margin;
    return Reply{};
}

Engine::Result Engine::handle(const WithdrawMargin& cmd) {
    if (cmd.amount.is_zero()) return Rejection{ErrorCode::NothingToDo, "amount must be positive"};
    const auto id = find_user(cmd.user);
    const Amount available = id ? available_margin(users_[*id]) : Amount::zero();
    if (cmd.amount > available) {
        return Rejection{ErrorCode::InsufficientAvailableMargin,
                         "available margin is " + to_string(available) + ", requested " + to_string(cmd.amount)};
    }
    accept();
    users_[*id].margin -= cmd.amount;
    return Reply{};
}

Engine::Result Engine::handle(const DepositLiquidity& cmd) {
    if (cmd.amount.is_zero()) return Rejection{ErrorCode::NothingToDo, "amount must be positive"};

    Amount shares;
    if (!vault_.share_supply.is_zero()) {
        // Rounding equity up mints fewer shares: the existing LPs' favour.
        const Dec equity = vault_equity(Rounding::Ceil);
        if (!equity.is_positive()) {
            return Rejection{ErrorCode::VaultInsolvent,
                             "the vault has shares but no positive equity; deposits are disabled"};
        }
        shares = mul_div_by_dec(cmd.amount, vault_.share_supply, equity, Rounding::Floor);
    } else {
        u128 minted = 0;
        if (__builtin_mul_overflow(cmd.amount.units(), params_.default_shares_per_amount.units(), &minted))
            throw_overflow();
        shares = Amount(minted);
    }
    if (shares.is_zero()) return Rejection{ErrorCode::TooFewShares, "the deposit is too small to mint a share"};
    if (cmd.min_shares_to_mint && shares < *cmd.min_shares_to_mint) {
        return Rejection{ErrorCode::TooFewShares, "would mint " + to_string(shares) + " shares, fewer than " +
                                                      to_string(*cmd.min_shares_to_mint)};
    }
    const auto existing = find_user(cmd.user);
    const Amount balance = vault_.balance + cmd.amount;
    const Amount supply = vault_.share_supply + shares;
    const Amount user_shares = (existing ? users_[*existing].vault_shares : Amount::zero()) + shares;

    accept();
    vault_.balance = balance;
    vault_.share_supply = supply;
    users_[user_for_write(cmd.user, existing)].vault_shares = user_shares;
    return Reply{DepositLiquidityReply{shares}};
}

Engine::Result Engine::handle(const UnlockLiquidity& cmd) {
    if (cmd.shares_to_burn.is_zero()) return Rejection{ErrorCode::NothingToDo, "shares_to_burn must be positive"};
    const auto id = find_user(cmd.user);
    const Amount owned = id ? users_[*id].vault_shares : Amount::zero();
    if (cmd.shares_to_burn > owned) {
        return Rejection{ErrorCode::InsufficientShares,
                         "owns " + to_string(owned) + " shares, asked to burn " + to_string(cmd.shares_to_burn)};
    }
    // Rounding equity down pays out less: the remaining LPs' favour.
    const Dec equity = vault_equity(Rounding::Floor);
    if (!equity.is_positive()) {
        return Rejection{ErrorCode::VaultInsolvent, "the vault has no positive equity; shares are worth nothing now"};
    }
    const Amount amount = mul_div_to_amount(equity, cmd.shares_to_burn, vault_.share_supply, Rounding::Floor);
    if (amount.is_zero()) return Rejection{ErrorCode::NothingToDo, "burning this few shares would release nothing"};
    if (vault_.balance < amount) {
        return Rejection{ErrorCode::VaultInsufficientBalance, "the vault balance " + to_string(vault_.balance) +
                                                                  " cannot pay " + to_string(amount) +
                                                                  " until unrealized PnL is realized"};
    }
    TimeMs end_time = 0;
    if (__builtin_add_overflow(now_, params_.vault_cooldown_ms, &end_time)) throw_overflow();

    accept();
    UserState& user = users_[*id];
    vault_.balance -= amount;
    vault_.share_supply -= cmd.shares_to_burn;
    user.vault_shares -= cmd.shares_to_burn;
    const std::uint64_t seq = next_unlock_seq_++;
    user.unlocks.push_back(Unlock{amount, end_time, seq});
    releases_.push(PendingRelease{end_time, seq, *id});
    // A zero cooldown matures at once; it is paid out now, with this command.
    release_matured_unlocks();
    return Reply{UnlockLiquidityReply{amount, end_time}};
}

}  // namespace ballast::core
