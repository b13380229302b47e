// Queries. A query is a command like any other: it moves the clock and
// settles the vault work due before it.
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

UserView Engine::view_user(std::optional<UserId> id, UserDetail detail) const {
    UserView view;
    if (!id) return view;
    const UserState& user = users_[*id];
    view.margin = user.margin;
    view.reserved_margin = user.reserved_margin;
    view.vault_shares = user.vault_shares;
    if (detail == UserDetail::Full) {
        view.unlocks = user.unlocks;
        for (const PendingDeposit& d : deposit_queue_) {
            if (d.user == *id) view.pending_deposits.push_back(d);
        }
    }
    const std::optional<AccountHealth> h = computed([&] { return health(user); });
    if (h) {
        view.equity = h->equity;
        view.unrealized_pnl = h->unrealized_pnl;
        view.accrued_funding = h->accrued_funding;
        view.maintenance_margin = h->maintenance_margin;
        view.used_margin = h->used_margin;
        view.available_margin = available_margin(user, *h);
    }
    for (const PositionEntry& entry : user.positions) {
        const PairState& pair = pairs_[entry.pair];
        const Position& p = entry.position;
        PositionView pv{entry.pair, p, std::nullopt, std::nullopt, std::nullopt};
        pv.unrealized_pnl = computed([&] { return position_unrealized_pnl(p, *pair.oracle_price); });
        pv.accrued_funding = computed(
            [&] { return accrued_funding(p.size, funding_now(pair).cumulative_per_unit, p.entry_funding_per_unit); });
        // Solve equity(P) = maintenance(P) for this pair's price P, the rest fixed:
        // P = (mm - equity + s*P0 - |s|*P0*mmr) / (s - |s|*mmr).
        const Dec mmr = pair.params.maintenance_margin_ratio;
        if (h && mmr.is_positive()) {
            pv.liquidation_price =
                computed([&]() -> std::optional<Dec> {
                    const Dec p0 = *pair.oracle_price;
                    const Dec notional = mul(p.size.abs(), p0, Rounding::Floor);
                    const Dec numerator = Dec::from_amount(h->maintenance_margin) - h->equity +
                                          mul(p.size, p0, Rounding::Floor) - mul(notional, mmr, Rounding::Floor);
                    const Dec denominator = p.size - mul(p.size.abs(), mmr, Rounding::Floor);
                    if (denominator.is_zero()) return std::nullopt;
                    const Dec price =
                        div(numerator, denominator, p.size.is_positive() ? Rounding::Ceil : Rounding::Floor);
                    if (!price.is_positive()) return std::nullopt;
                    return price;
                }).value_or(std::nullopt);
        }
        view.positions.push_back(pv);
    }
    if (detail == UserDetail::Full) {
        for (Slot slot = book_.first_of_user(*id); slot != kNoSlot; slot = book_.next_of_user(slot)) {
            view.open_orders.push_back(view_of(book_.at(slot)));
        }
    }
    return view;
}

PairView Engine::view_pair(PairId id) const {
    const PairState& pair = pairs_[id];
    PairView view;
    view.pair = id;
    view.params = pair.params;
    view.status = pair.status;
    if (const auto funding = computed([&] { return funding_now(pair); })) {
        view.funding_rate = funding->rate;
        view.cumulative_funding_per_unit = funding->cumulative_per_unit;
    }
    view.oracle_price = pair.oracle_price;
    view.long_oi = pair.long_oi;
    view.short_oi = pair.short_oi;
    view.skew = pair.skew();
    if (pair.oracle_price)
        view.marginal_price = computed(
            [&] { return compute_marginal_price(*pair.oracle_price, view.skew, pair.params, Rounding::Floor); });
    view.oi_weighted_entry_price = pair.oi_weighted_entry_price;
    for (Slot s : book_.side_in_priority(id, Side::Bid)) view.bids.push_back(view_of(book_.at(s)));
    for (Slot s : book_.side_in_priority(id, Side::Ask)) view.asks.push_back(view_of(book_.at(s)));
    return view;
}

BookView Engine::view_book(PairId id) const {
    BookView view;
    for (const Side side : {Side::Bid, Side::Ask}) {
        std::vector<BookLevel>& levels = side == Side::Bid ? view.bids : view.asks;
        for (Slot s : book_.side_in_priority(id, side)) {
            const RestingOrder& order = book_.at(s);
            if (levels.empty() || levels.back().price != order.limit_price)
                levels.push_back({order.limit_price, Dec{}, 0});
            BookLevel& level = levels.back();
            if (level.size) level.size = computed([&] { return *level.size + order.size.abs(); });
            ++level.orders;
        }
    }
    return view;
}

VaultView Engine::view_vault() const {
    VaultView view;
    view.balance = vault_.balance;
    view.share_supply = vault_.share_supply;
    view.treasury = vault_.treasury;
    view.pending_deposits = vault_.pending_deposits;
    view.uncollectable = vault_.uncollectable;
    view.backs_positions = vault_.backs_positions;
    view.unrealized_pnl = computed([&] { return vault_unrealized_pnl(Rounding::Floor); });
    view.unrealized_funding = computed([&] { return vault_unrealized_funding(Rounding::Floor); });
    view.equity = computed([&] { return vault_equity(Rounding::Floor); });
    return view;
}

// Views never throw (a figure that cannot be computed is null), so a query
// reads the state after its commit point, with the vault work due before it done.
Engine::Result Engine::handle(const QueryUser& cmd) {
    accept();
    return Reply{view_user(find_user(cmd.user))};
}

Engine::Result Engine::handle(const QueryPair& cmd) {
    const auto id = find_pair(cmd.pair);
    if (!id) return unknown_pair(cmd.pair);
    accept();
    return Reply{view_pair(*id)};
}

Engine::Result Engine::handle(const QueryVault&) {
    accept();
    return Reply{view_vault()};
}

}  // namespace ballast::core
