// Orders: submission, cancellation, fills and the fulfilment of resting
// orders on oracle updates (003, "Submit order", "Cancel order", "Fulfillment
// of limit orders"; the departures are listed in docs/SPEC-NOTES.md).
#include <algorithm>

#include "core/engine.hpp"
#include "core/fees.hpp"
#include "core/limits.hpp"
#include "core/pricing.hpp"

namespace ballast::core {

namespace {

Dec position_size(const UserState* user, PairId pair) {
    if (user == nullptr) return Dec::zero();
    const Position* position = user->position(pair);
    return position ? position->size : Dec::zero();
}

i128 signed_cost(Dec size, Amount cost_basis) {
    const i128 cost = to_signed(cost_basis);
    return size.is_negative() ? -cost : cost;
}

}  // namespace

Engine::Result Engine::handle(const SubmitOrder& cmd) {
    const auto pair_id = find_pair(cmd.pair);
    if (!pair_id) return unknown_pair(cmd.pair);
    const PairState& pair = pairs_[*pair_id];
    if (!pair.oracle_price) return Rejection{ErrorCode::NoOraclePrice, "the pair has no oracle price yet"};
    if (cmd.size.is_zero()) return Rejection{ErrorCode::NothingToDo, "size must not be zero"};
    const bool is_market = cmd.kind == OrderKind::Market;
    if (is_market && (cmd.max_slippage.is_negative() || cmd.max_slippage > Dec::one()))
        return Rejection{ErrorCode::InvalidInput, "max_slippage must be in [0, 1]"};
    if (!is_market && !cmd.limit_price.is_positive())
        return Rejection{ErrorCode::InvalidInput, "limit_price must be positive"};
    if (magnitude(cmd.size.raw()) > magnitude(limits::max_size().raw()))
        return Rejection{ErrorCode::TooLarge,
                         "size must be at most " + to_string(limits::max_size()) + " in magnitude"};
    if (!is_market && cmd.limit_price > limits::max_price())
        return Rejection{ErrorCode::TooLarge, "limit_price must be at most " + to_string(limits::max_price())};

    const Dec oracle = *pair.oracle_price;
    const PairParams& params = pair.params;
    const auto user_id = find_user(cmd.user);
    const UserState* user = user_id ? &users_[*user_id] : nullptr;
    const Dec position = position_size(user, *pair_id);
    const bool is_buy = cmd.size.is_positive();
    const Dec skew = pair.skew();

    // Market safety, in this order: status, oracle age, price band, minimum size.
    const Portions portions = decompose_fill(cmd.size, position);
    const bool opens = !portions.opening.is_zero() && !cmd.reduce_only;
    if (pair.status == PairStatus::Paused) return Rejection{ErrorCode::MarketPaused, "the market is paused"};
    if (pair.status == PairStatus::ReduceOnly && opens)
        return Rejection{ErrorCode::MarketReduceOnly, "the market only takes orders that reduce positions"};
    if (!price_is_fresh(pair))
        return Rejection{ErrorCode::StaleOracle, "the oracle price is older than max_oracle_age_ms"};
    if (const Dec band = params.max_limit_price_deviation; !is_market && band.is_positive()) {
        if (compare_products(cmd.limit_price, Dec::one(), oracle, Dec::one() - band) < 0 ||
            compare_products(cmd.limit_price, Dec::one(), oracle, Dec::one() + band) > 0)
            return Rejection{ErrorCode::PriceOutOfBand,
                             "limit_price is outside oracle * (1 +/- max_limit_price_deviation)"};
    }
    if (opens && params.min_order_notional.is_positive() &&
        compare_products(portions.opening.abs(), oracle, params.min_order_notional, Dec::one()) < 0)
        return Rejection{ErrorCode::OrderTooSmall, "the opening part is worth less than min_order_notional"};
    // The vault is the counterparty of every position: without equity it cannot back a new one.
    if (opens && !vault_.backs_positions)
        return Rejection{ErrorCode::VaultInsolvent, "the vault has no equity to back new positions"};

    // Steps 1-3: reduce-only never opens, and an opening beyond max OI blocks the whole order.
    Dec fill_size = cmd.size;
    std::optional<UnfilledReason> reason;
    if (cmd.reduce_only) {
        fill_size = portions.closing;
        if (!portions.opening.is_zero()) reason = UnfilledReason::ReduceOnly;
    } else if (opening_exceeds_max_oi(portions.opening, pair.long_oi, pair.short_oi, params.max_abs_oi)) {
        fill_size = Dec::zero();
        reason = UnfilledReason::MaxOi;
    }

    // Step 4: the worst price the order accepts.
    const Dec target =
        is_market ? compute_market_target_price(oracle, skew, cmd.max_slippage, is_buy, params) : cmd.limit_price;

    // Step 7, first half: the all-or-nothing price check with the average clamped premium.
    std::optional<Dec> exec_price;
    if (!fill_size.is_zero()) {
        exec_price = compute_exec_price(oracle, skew, fill_size, params);
        if (is_buy ? *exec_price > target : *exec_price < target) {
            exec_price.reset();
            fill_size = Dec::zero();
            reason = UnfilledReason::Price;
        }
    }

    // Steps 5-6: the margin to open at the worst price plus the worst-case fee
    // on what opens. The margin is never priced below the oracle or the
    // execution price, whichever is worse for the trader: a sell with a target
    // near zero needs margin for what it is worth, not for its target.
    // Closing needs no margin: its fee comes out of its settlement.
    Dec margin_price = max(target, oracle);
    if (exec_price) margin_price = max(margin_price, *exec_price);
    const Dec opening = cmd.reduce_only ? Dec::zero() : portions.opening;
    const Amount required =
        compute_required_margin(opening, margin_price, params) + compute_worst_case_fee(opening, margin_price, params);
    // Nothing required (a pure close): no need to value the account.
    const Amount available = required.is_zero() || user == nullptr ? Amount::zero() : available_margin(*user);
    if (available < required) {
        return Rejection{ErrorCode::InsufficientMargin,
                         "requires margin " + to_string(required) + ", available " + to_string(available)};
    }

    // Step 7, second half: plan the fill. One that opens exposure must leave
    // the account's equity covering the initial margin of all its positions
    // plus its reservations, after the fill's premium and fee.
    const OrderId order_id = next_order_id_;
    std::optional<FillPlan> fill;
    if (exec_price) {
        fill.emplace(
            plan_fill(user, user_id.value_or(kNoUser), *pair_id, order_id, fill_size, *exec_price, /*settle=*/true));
        if (!opening.is_zero() &&
            !margin_surely_covered_after(*fill, oracle, available, required,
                                         compute_worst_case_fee(fill_size, margin_price, params))) {
            const Amount reserved = user ? user->reserved_margin : Amount::zero();
            if (auto shortfall = margin_shortfall_after(user, *fill, reserved)) return std::move(*shortfall);
        }
    }

    // Step 9: a limit remainder rests (within the open-order cap) with its margin reserved.
    // Only a reduce-only order can both fill and rest, and it reserves nothing;
    // any other order that rests has filled nothing, so its reservation is
    // exactly the margin just required (same opening, same price).
    const Dec remainder = cmd.size - fill_size;
    bool rests = false;
    Amount reservation;
    Amount reserved_after = user ? user->reserved_margin : Amount::zero();
    if (!is_market && !remainder.is_zero()) {
        if ((user_id ? book_.count_of_user(*user_id) : 0) < params_.max_open_orders) {
            rests = true;
            if (!cmd.reduce_only) reservation = required;
            reserved_after += reservation;
        } else {
            reason = UnfilledReason::MaxOpenOrders;
        }
    }

    accept();
    ++next_order_id_;
    const UserId uid = user_for_write(cmd.user, user_id);
    if (fill) {
        fill->user = uid;
        apply_fill(*fill);
    }
    if (rests) {
        // Nothing filled (only reduce-only orders fill and rest, and they reserve
        // nothing), so the reservation covers this order's opening portion.
        const RestingOrder order{order_id,    uid,    *pair_id,        remainder,    cmd.limit_price,
                                 reservation, clock_, cmd.reduce_only, opening.abs()};
        book_.insert(order);
        users_[uid].reserved_margin = reserved_after;
        events_.push_back(OrderRestedEvent{uid, *pair_id, order_id, remainder, cmd.limit_price, cmd.reduce_only,
                                           reservation, clock_});
    } else if (!remainder.is_zero()) {
        events_.push_back(UnfilledEvent{uid, *pair_id, order_id, remainder, reason.value_or(UnfilledReason::Price)});
    }

    SubmitOrderReply reply;
    reply.order_id = order_id;
    reply.filled = fill_size;
    if (fill) reply.exec_price = fill->price;
    reply.rested = rests ? remainder : Dec::zero();
    return Reply{reply};
}

Engine::Result Engine::handle(const CancelOrder& cmd) {
    const auto pair_id = find_pair(cmd.pair);
    if (!pair_id) return unknown_pair(cmd.pair);
    const Slot slot = book_.find(cmd.order_id);
    if (slot == kNoSlot || book_.at(slot).pair != *pair_id)
        return Rejection{ErrorCode::OrderNotFound,
                         "no resting order " + std::to_string(cmd.order_id) + " on this pair"};
    const auto user_id = find_user(cmd.user);
    if (!user_id || *user_id != book_.at(slot).user)
        return Rejection{ErrorCode::NotYourOrder, "the order belongs to another user"};

    accept();
    cancel_resting(slot, CancelReason::ByOwner);
    return Reply{};
}

void Engine::cancel_resting(Slot slot, CancelReason reason) {
    const RestingOrder order = book_.at(slot);
    users_[order.user].reserved_margin -= order.reserved_margin;
    book_.erase(slot);
    events_.push_back(OrderCanceledEvent{order.user, order.pair, order.id, order.size, order.reserved_margin, reason,
                                         order.limit_price});
}

// execute_fill, planned: every number the fill changes, computed (and checked
// for overflow) before any of it is written.
Engine::FillPlan Engine::plan_fill(const UserState* user, UserId user_id, PairId pair_id, OrderId order_id, Dec size,
                                   Dec price, bool settle) const {
    const PairState& pair = pairs_[pair_id];
    const Position* held = user ? user->position(pair_id) : nullptr;
    const Position current = held ? *held : Position{};
    const Portions portions = decompose_fill(size, current.size);

    FillPlan plan;
    plan.user = user_id;
    plan.pair = pair_id;
    plan.order_id = order_id;
    plan.size = size;
    plan.price = price;
    plan.was_held = held != nullptr;
    plan.funding = funding_now(pair);
    plan.money.margin = user ? user->margin : Amount::zero();
    plan.money.vault_balance = vault_.balance;
    plan.money.treasury = vault_.treasury;

    // Funding accrued on the position so far is settled first (owed rounds up).
    if (held)
        plan.funding_paid =
            funding_to_settle(current.size, plan.funding.cumulative_per_unit, current.entry_funding_per_unit);

    // Closing: take the closed share of the cost basis off in one rounding,
    // in the protocol's favour, and realize PnL against it.
    Amount remaining_cost = current.cost_basis;
    if (!portions.closing.is_zero()) {
        const bool closing_long = current.size.is_positive();
        const Dec closed = portions.closing.abs();
        const Amount removed_cost = closed == current.size.abs()
                                        ? current.cost_basis
                                        : scale_amount(current.cost_basis, closed, current.size.abs(),
                                                       closing_long ? Rounding::Ceil : Rounding::Floor);
        remaining_cost = current.cost_basis - removed_cost;
        // A profit is floored and a loss ceiled: floor(exit - entry) for a long,
        // floor(entry - exit) for a short.
        plan.realized_pnl =
            closing_long
                ? checked_sub(to_signed(mul_to_amount(closed, price, Rounding::Floor)), to_signed(removed_cost))
                : checked_sub(to_signed(removed_cost), to_signed(mul_to_amount(closed, price, Rounding::Ceil)));
    }

    // Opening: longs record their cost rounded up, shorts their proceeds rounded down.
    Amount cost_basis = remaining_cost;
    if (!portions.opening.is_zero()) {
        cost_basis += mul_to_amount(portions.opening.abs(), price,
                                    portions.opening.is_positive() ? Rounding::Ceil : Rounding::Floor);
    }
    plan.position.size = current.size + size;
    if (!plan.position.size.is_zero()) {
        plan.position.cost_basis = cost_basis;
        plan.position.entry_funding_per_unit = plan.funding.cumulative_per_unit;
    }

    plan.long_oi = pair.long_oi;
    plan.short_oi = pair.short_oi;
    if (portions.opening.is_positive()) plan.long_oi += portions.opening;
    if (portions.opening.is_negative()) plan.short_oi += portions.opening;
    if (portions.closing.is_positive()) plan.short_oi += portions.closing;
    if (portions.closing.is_negative()) plan.long_oi += portions.closing;

    plan.oi_weighted_entry_price =
        checked_add(checked_sub(pair.oi_weighted_entry_price, signed_cost(current.size, current.cost_basis)),
                    signed_cost(plan.position.size, plan.position.cost_basis));
    plan.oi_weighted_entry_funding = pair.oi_weighted_entry_funding;
    if (!current.entry_funding_per_unit.is_zero())
        plan.oi_weighted_entry_funding -= mul(current.size, current.entry_funding_per_unit, Rounding::Floor);
    if (!plan.position.entry_funding_per_unit.is_zero())
        plan.oi_weighted_entry_funding +=
            mul(plan.position.size, plan.position.entry_funding_per_unit, Rounding::Floor);

    plan.settles = settle;
    if (settle) {
        // Funding, then PnL, against the vault; then the trading fee out of
        // what margin is left, to the vault less the protocol's share.
        plan.money.transfer(-plan.funding_paid);
        plan.money.transfer(plan.realized_pnl);
        plan.fee = min(compute_trading_fee(pair.skew(), size, price, pair.params), plan.money.margin);
        if (!plan.fee.is_zero()) {
            plan.treasury_cut = to_amount(mul(Dec::from_amount(plan.fee), params_.protocol_fee_share, Rounding::Floor),
                                          Rounding::Floor);
            plan.money.margin -= plan.fee;
            plan.money.vault_balance += plan.fee - plan.treasury_cut;
            plan.money.treasury += plan.treasury_cut;
        }
    }
    return plan;
}

void Engine::apply_fill(const FillPlan& plan) {
    UserState& user = users_[plan.user];
    auto entry = std::lower_bound(user.positions.begin(), user.positions.end(), plan.pair,
                                  [](const PositionEntry& e, PairId pair) { return e.pair < pair; });
    if (plan.position.size.is_zero()) {
        if (plan.was_held) {
            const std::uint32_t slot = entry->holder_slot;
            user.positions.erase(entry);
            remove_holder(plan.pair, slot);
            if (user.positions.empty()) user.risk_alerted = false;
        }
    } else if (plan.was_held) {
        entry->position = plan.position;
    } else {
        user.positions.insert(entry, PositionEntry{plan.pair, plan.position, 0});
        add_holder(plan.pair, plan.user);
    }
    if (plan.settles) {
        user.margin = plan.money.margin;
        vault_.balance = plan.money.vault_balance;
        vault_.treasury = plan.money.treasury;
    }

    // The owner's position changed, so what their parked orders would open did too.
    book_.unpark_user(plan.user, plan.pair);

    PairState& pair = pairs_[plan.pair];
    pair.long_oi = plan.long_oi;
    pair.short_oi = plan.short_oi;
    pair.oi_weighted_entry_price = plan.oi_weighted_entry_price;
    pair.oi_weighted_entry_funding = plan.oi_weighted_entry_funding;
    pair.funding = plan.funding;

    if (plan.funding_paid != 0) events_.push_back(FundingSettledEvent{plan.user, plan.pair, plan.funding_paid});
    events_.push_back(FillEvent{plan.user, plan.pair, plan.order_id, plan.size, plan.price, plan.realized_pnl, plan.fee,
                                plan.funding_paid, plan.resting_limit_price});
    if (!plan.money.shortfall.is_zero())
        events_.push_back(VaultShortfallEvent{plan.user, plan.pair, plan.order_id, plan.money.shortfall});
    if (!plan.money.bad_debt.is_zero())
        events_.push_back(BadDebtEvent{plan.user, plan.pair, plan.order_id, plan.money.bad_debt});
}

// fulfill_limit_orders_for_pair: both sides walked at once in price-time
// priority, the older head first (a buy wins a tie), each order visited at
// most once, the skew moving after every fill.
void Engine::fulfill_limit_orders(PairId pair_id) {
    const PairState& pair = pairs_[pair_id];
    const Dec oracle = *pair.oracle_price;
    // Orders parked by the OI cap come back once their side has room for them.
    if (book_.has_parked(pair_id)) {
        book_.unpark_fitting(pair_id, Side::Bid, pair.params.max_abs_oi - pair.long_oi);
        book_.unpark_fitting(pair_id, Side::Ask, pair.params.max_abs_oi + pair.short_oi);
    }
    Slot buy = book_.best(pair_id, Side::Bid);
    Slot sell = book_.best(pair_id, Side::Ask);
    while (buy != kNoSlot || sell != kNoSlot) {
        const Dec skew = pair.skew();
        bool buy_fillable = false, sell_fillable = false;
        try {
            // Cutoffs round toward the order, so rounding never stops a scan early.
            if (buy != kNoSlot)
                buy_fillable =
                    book_.at(buy).limit_price >= compute_marginal_price(oracle, skew, pair.params, Rounding::Floor);
            if (sell != kNoSlot)
                sell_fillable =
                    book_.at(sell).limit_price <= compute_marginal_price(oracle, skew, pair.params, Rounding::Ceil);
        } catch (const ArithmeticOverflow&) {
            return;  // prices beyond range: nothing on this pair can be priced now
        }
        if (!buy_fillable && !sell_fillable) break;
        const bool take_buy = buy_fillable && (!sell_fillable || book_.at(buy).created_at <= book_.at(sell).created_at);
        Slot& cursor = take_buy ? buy : sell;
        const Slot current = cursor;
        cursor = book_.next_in_priority(current);  // advance before the order may leave the book
        try_fill_resting(current, skew);
    }
}

void Engine::try_fill_resting(Slot slot, Dec skew) {
    const RestingOrder order = book_.at(slot);
    const PairState& pair = pairs_[order.pair];
    const UserState& user = users_[order.user];

    FillPlan plan;
    bool opens = false;
    try {
        const Portions portions = decompose_fill(order.size, position_size(&user, order.pair));
        Dec fill_size = order.size;
        if (order.reduce_only || pair.status == PairStatus::ReduceOnly) {
            fill_size = portions.closing;  // only what closes the position as it is now
            if (fill_size.is_zero()) return;
        } else if (opening_exceeds_max_oi(portions.opening, pair.long_oi, pair.short_oi, pair.params.max_abs_oi)) {
            // Blocked by the OI cap: parked until its side has room for the
            // opening (or its owner's position or the pair's parameters
            // change), so blocked orders are not walked at every update.
            book_.park(slot, portions.opening.abs());
            return;
        } else {
            opens = !portions.opening.is_zero();
        }
        const Dec exec_price = compute_exec_price(*pair.oracle_price, skew, fill_size, pair.params);
        const bool price_ok =
            order.size.is_positive() ? exec_price <= order.limit_price : exec_price >= order.limit_price;
        if (!price_ok) return;  // too large at this skew: skip, keep scanning
        plan = plan_fill(&user, order.user, order.pair, order.id, fill_size, exec_price, /*settle=*/true);
        plan.resting_limit_price = order.limit_price;
        // Margin was reserved at placement for the opening the order had then.
        // If its owner's position has changed so that it now opens more (a
        // closing order left behind by a close), the reservation does not
        // cover it: the fill must then leave the account covering the initial
        // margin of its positions and its other reservations, or the order is
        // canceled.
        if (opens && portions.opening.abs() > order.reserved_opening &&
            margin_shortfall_after(&user, plan, user.reserved_margin - order.reserved_margin)) {
            cancel_resting(slot, CancelReason::InsufficientMargin);
            return;
        }
    } catch (const ArithmeticOverflow&) {
        return;  // cannot be priced or settled in range: it keeps resting
    }
    apply_fill(plan);

    if (plan.size == order.size) {
        users_[order.user].reserved_margin -= order.reserved_margin;
        book_.erase(slot);
    } else {
        RestingOrder& resting = book_.at(slot);
        resting.size = order.size - plan.size;
        events_.push_back(OrderUpdatedEvent{order.user, order.pair, order.id, resting.size, resting.reserved_margin,
                                            order.limit_price});
    }
}

}  // namespace ballast::core
