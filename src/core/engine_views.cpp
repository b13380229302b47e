// Queries. A query is a command like any other: it moves the clock and
// releases matured unlocks; its view is computed before the commit point so
// an overflow rejects it cleanly.
#include "core/engine.hpp"
#include "core/pricing.hpp"

namespace ballast::core {

namespace {

OrderView view_of(const RestingOrder& order) {
    return OrderView{order.id,
                     order.user,
                     order.pair,
                     order.size,
                     order.limit_price,
                     order.reduce_only,
                     order.reserved_margin,
                     order.created_at};
}

}  // namespace

UserView Engine::view_user(std::optional<UserId> id) const {
    UserView view;
    if (!id) return view;
    const UserState& user = users_[*id];
    view.margin = user.margin;
    view.reserved_margin = user.reserved_margin;
    view.used_margin = used_margin(user);
    view.available_margin = available_margin(user);
    view.vault_shares = user.vault_shares;
    view.unlocks = user.unlocks;
    for (const PositionEntry& entry : user.positions)
        view.positions.push_back(PositionView{entry.pair, entry.position});
    for (Slot slot = book_.first_of_user(*id); slot != kNoSlot; slot = book_.next_of_user(slot)) {
        view.open_orders.push_back(view_of(book_.at(slot)));
    }
    return view;
}

PairView Engine::view_pair(PairId id) const {
    const PairState& pair = pairs_[id];
    PairView view;
    view.pair = id;
    view.params = pair.params;
    view.oracle_price = pair.oracle_price;
    view.long_oi = pair.long_oi;
    view.short_oi = pair.short_oi;
    view.skew = pair.skew();
    if (pair.oracle_price)
        view.marginal_price = compute_marginal_price(*pair.oracle_price, view.skew, pair.params, Rounding::Floor);
    view.oi_weighted_entry_price = pair.oi_weighted_entry_price;
    for (Slot s = book_.best(id, Side::Bid); s != kNoSlot; s = book_.next_in_priority(s))
        view.bids.push_back(view_of(book_.at(s)));
    for (Slot s = book_.best(id, Side::Ask); s != kNoSlot; s = book_.next_in_priority(s))
        view.asks.push_back(view_of(book_.at(s)));
    return view;
}

VaultView Engine::view_vault() const {
    VaultView view;
    view.balance = vault_.balance;
    view.share_supply = vault_.share_supply;
    view.unrealized_pnl = vault_unrealized_pnl(Rounding::Floor);
    view.equity = Dec::from_amount(vault_.balance) + view.unrealized_pnl;
    return view;
}

Engine::Result Engine::handle(const Command& c, const QueryUser& cmd) {
    const auto id = find_user(cmd.user);
    UserView view = view_user(id);
    accept(c);
    if (id) view.unlocks = users_[*id].unlocks;  // without the ones just released
    return Reply{std::move(view)};
}

Engine::Result Engine::handle(const Command& c, const QueryPair& cmd) {
    const auto id = find_pair(cmd.pair);
    if (!id) return unknown_pair(cmd.pair);
    PairView view = view_pair(*id);
    accept(c);
    return Reply{std::move(view)};
}

Engine::Result Engine::handle(const Command& c, const QueryVault&) {
    VaultView view = view_vault();
    accept(c);
    return Reply{view};
}

}  // namespace ballast::core
