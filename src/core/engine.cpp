// Command dispatch, the commit point, registries and the shared margin and
// vault arithmetic. Handlers live in engine_accounts.cpp (margin and vault),
// engine_orders.cpp (orders and fills) and engine_views.cpp (queries).
#include "core/engine.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/pricing.hpp"

namespace ballast::core {

const Position* UserState::position(PairId pair) const {
    for (const PositionEntry& entry : positions) {
        if (entry.pair == pair) return &entry.position;
    }
    return nullptr;
}

Outcome Engine::apply(const Command& command) {
    events_.clear();
    Outcome outcome;
    if (command.time && *command.time < clock_) {
        outcome.error = ErrorCode::TimeWentBackwards;
        outcome.message = "command time is before the engine clock";
        return outcome;
    }
    committed_ = false;
    try {
        Result result = dispatch(command);
        if (auto* rejection = std::get_if<Rejection>(&result)) {
            outcome.error = rejection->code;
            outcome.message = std::move(rejection->message);
            events_.clear();
        } else {
            outcome.reply = std::move(std::get<Reply>(result));
        }
    } catch (const ArithmeticOverflow&) {
        // Handlers compute everything before their commit point, so an
        // overflow here has changed nothing. Overflow after the commit point
        // would be a defect that leaves state half-applied: stop loudly.
        if (committed_) {
            std::fputs("ballast: arithmetic overflow after a command's commit point\n", stderr);
            std::abort();
        }
        outcome.error = ErrorCode::Overflow;
        outcome.message = "a result does not fit the number range";
    }
    return outcome;
}

Engine::Result Engine::dispatch(const Command& command) {
    return std::visit([&](const auto& body) { return handle(command, body); }, command.body);
}

void Engine::accept(const Command& command) {
    committed_ = true;
    if (command.time) clock_ = *command.time;
    release_matured_unlocks();
}

void Engine::release_matured_unlocks() {
    while (!releases_.empty() && releases_.top().end_time <= clock_) {
        const PendingRelease due = releases_.top();
        releases_.pop();
        std::vector<Unlock>& unlocks = users_[due.user].unlocks;
        const auto it = std::find_if(unlocks.begin(), unlocks.end(), [&](const Unlock& u) { return u.seq == due.seq; });
        events_.push_back(LiquidityReleasedEvent{due.user, it->amount, it->end_time});
        unlocks.erase(it);
    }
}

std::optional<UserId> Engine::find_user(const Name& name) const {
    const auto it = user_index_.find(name);
    if (it == user_index_.end()) return std::nullopt;
    return it->second;
}

std::optional<PairId> Engine::find_pair(const Name& name) const {
    const auto it = pair_index_.find(name);
    if (it == pair_index_.end()) return std::nullopt;
    return it->second;
}

UserId Engine::user_for_write(const Name& name, std::optional<UserId> known) {
    if (known) return *known;
    const auto id = static_cast<UserId>(users_.size());
    users_.emplace_back();
    users_.back().name = name;
    user_index_.emplace(name, id);
    book_.ensure_user(id);
    return id;
}

Engine::Rejection Engine::unknown_pair(const Name& name) const {
    return {ErrorCode::UnknownPair, "unknown pair '" + std::string(name.view()) + "'"};
}

Amount Engine::used_margin(const UserState& user) const {
    Amount total;
    for (const PositionEntry& entry : user.positions) {
        const PairState& pair = pairs_[entry.pair];
        // A position exists only on a pair that has had a price.
        total += compute_required_margin(entry.position.size, *pair.oracle_price, pair.params);
    }
    return total;
}

Amount Engine::available_margin(const UserState& user) const {
    return user.margin.saturating_sub(used_margin(user)).saturating_sub(user.reserved_margin);
}

Dec Engine::vault_unrealized_pnl(Rounding rounding) const {
    // Per pair: oi_weighted_entry_price - oracle * skew. Rounding the product
    // the other way rounds the difference the asked way.
    const Rounding product_rounding = rounding == Rounding::Floor ? Rounding::Ceil : Rounding::Floor;
    Dec total;
    for (const PairState& pair : pairs_) {
        const Dec skew = pair.skew();
        if (pair.oi_weighted_entry_price == 0 && skew.is_zero()) continue;
        total += Dec::from_int(pair.oi_weighted_entry_price) - mul(*pair.oracle_price, skew, product_rounding);
    }
    return total;
}

Dec Engine::vault_equity(Rounding rounding) const {
    return Dec::from_amount(vault_.balance) + vault_unrealized_pnl(rounding);
}

// ---------------------------------------------------------------------------
// Administration and oracle

Engine::Result Engine::handle(const Command& c, const SetParams& cmd) {
    if (cmd.vault_cooldown_ms && *cmd.vault_cooldown_ms < 0)
        return Rejection{ErrorCode::InvalidInput, "vault_cooldown_ms must not be negative"};
    if (cmd.default_shares_per_amount && cmd.default_shares_per_amount->is_zero())
        return Rejection{ErrorCode::InvalidInput, "default_shares_per_amount must be positive"};
    accept(c);
    if (cmd.vault_cooldown_ms) params_.vault_cooldown_ms = *cmd.vault_cooldown_ms;
    if (cmd.max_open_orders) params_.max_open_orders = *cmd.max_open_orders;
    if (cmd.default_shares_per_amount) params_.default_shares_per_amount = *cmd.default_shares_per_amount;
    return Reply{};
}

Engine::Result Engine::handle(const Command& c, const SetPair& cmd) {
    const PairParams& p = cmd.params;
    if (!p.skew_scale.is_positive()) return Rejection{ErrorCode::InvalidInput, "skew_scale must be positive"};
    if (p.max_abs_premium.is_negative() || p.max_abs_premium >= Dec::one())
        return Rejection{ErrorCode::InvalidInput, "max_abs_premium must be in [0, 1)"};
    if (p.max_abs_oi.is_negative()) return Rejection{ErrorCode::InvalidInput, "max_abs_oi must not be negative"};
    if (!p.initial_margin_ratio.is_positive() || p.initial_margin_ratio > Dec::one())
        return Rejection{ErrorCode::InvalidInput, "initial_margin_ratio must be in (0, 1]"};
    accept(c);
    if (const auto existing = find_pair(cmd.pair)) {
        pairs_[*existing].params = p;
    } else {
        const auto id = static_cast<PairId>(pairs_.size());
        pairs_.emplace_back();
        pairs_.back().name = cmd.pair;
        pairs_.back().params = p;
        pair_index_.emplace(cmd.pair, id);
        book_.add_pair();
    }
    return Reply{};
}

Engine::Result Engine::handle(const Command& c, const OracleUpdate& cmd) {
    std::vector<std::pair<PairId, Dec>> updates;
    updates.reserve(cmd.prices.size());
    for (const PriceUpdate& update : cmd.prices) {
        const auto pair = find_pair(update.pair);
        if (!pair) return unknown_pair(update.pair);
        if (!update.price.is_positive()) return Rejection{ErrorCode::InvalidInput, "oracle prices must be positive"};
        updates.emplace_back(*pair, update.price);
    }
    std::sort(updates.begin(), updates.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < updates.size(); ++i) {
        if (updates[i].first == updates[i - 1].first)
            return Rejection{ErrorCode::InvalidInput, "a pair is priced twice in one update"};
    }
    accept(c);
    for (const auto& [pair, price] : updates) pairs_[pair].oracle_price = price;
    for (const auto& update : updates) fulfill_limit_orders(update.first);
    return Reply{};
}

}  // namespace ballast::core
