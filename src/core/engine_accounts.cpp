// Trader margin (003, "Margin deposit", "Margin withdrawal"). The vault's
// side is in engine_vault.cpp.
#include "core/engine.hpp"
#include "core/limits.hpp"

namespace ballast::core {

Engine::Result Engine::handle(const DepositMargin& cmd) {
    if (cmd.amount.is_zero()) return Rejection{ErrorCode::NothingToDo, "amount must be positive"};
    // Every amount the exchange holds must stay representable, however it is
    // later moved around: the money in the whole exchange has a ceiling.
    if (cmd.amount.units() > limits::kMaxMoney - money_in_.units()) {
        return Rejection{ErrorCode::TooLarge,
                         "the exchange would hold more than " + to_string(Amount(limits::kMaxMoney)) + " base units"};
    }
    const auto existing = find_user(cmd.user);
    const Amount margin = (existing ? users_[*existing].margin : Amount::zero()) + cmd.amount;
    accept();
    users_[user_for_write(cmd.user, existing)].margin = margin;
    money_in_ += cmd.amount;
    return Reply{};
}

Engine::Result Engine::handle(const WithdrawMargin& cmd) {
    if (cmd.amount.is_zero()) return Rejection{ErrorCode::NothingToDo, "amount must be positive"};
    const auto id = find_user(cmd.user);
    // What is available depends on the prices of the account's positions.
    if (id && !account_prices_fresh(users_[*id])) return stale_account();
    const Amount available = id ? available_margin(users_[*id]) : Amount::zero();
    if (cmd.amount > available) {
        return Rejection{ErrorCode::InsufficientAvailableMargin,
                         "available margin is " + to_string(available) + ", requested " + to_string(cmd.amount)};
    }
    accept();
    users_[*id].margin -= cmd.amount;
    money_in_ -= cmd.amount;
    return Reply{};
}

}  // namespace ballast::core
