// Command dispatch, the commit point, registries and the shared margin and
// vault arithmetic. Handlers live in engine_accounts.cpp (margin and vault),
// engine_orders.cpp (orders and fills) and engine_views.cpp (queries).
#include "core/engine.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <boost/container/small_vector.hpp>

#include "core/limits.hpp"
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
    now_ = command.time.value_or(clock_);
    due_work_.reset();
    try {
        // With nobody exposed, LP requests due are settled ahead of the command.
        if (vault_work_due()) due_work_ = plan_vault_work(VaultMark{});
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
    now_ = clock_;  // a rejected command's time was never reached
    due_work_.reset();
    return outcome;
}

Engine::Result Engine::dispatch(const Command& command) {
    return std::visit([&](const auto& body) { return handle(body); }, command.body);
}

void Engine::accept() {
    committed_ = true;
    clock_ = now_;
    if (due_work_) {
        apply_vault_work(*due_work_);
        due_work_.reset();
        refresh_vault_backing();
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
    events_.push_back(AccountCreatedEvent{id});
    return id;
}

Engine::Rejection Engine::unknown_pair(const Name& name) const {
    return {ErrorCode::UnknownPair, "unknown pair '" + std::string(name.view()) + "'"};
}

void Engine::Settlement::transfer(i128 amount) {
    if (amount > 0) {
        const Amount owed(static_cast<u128>(amount));
        const Amount paid = min(owed, vault_balance);
        shortfall += owed - paid;
        margin += paid;
        vault_balance -= paid;
    } else if (amount < 0) {
        const Amount owed(magnitude(amount));
        const Amount taken = min(owed, margin);
        bad_debt += owed - taken;
        margin -= taken;
        vault_balance += taken;
    }
}

FundingState Engine::funding_now(const PairState& pair) const {
    return funding_at(pair.funding, now_, pair.oracle_price, pair.skew(), pair.params);
}

Dec position_unrealized_pnl(const Position& p, Dec oracle) {
    // size * oracle - sign(size) * cost_basis, rounded down (against the trader).
    const Dec value = mul(p.size, oracle, Rounding::Floor);
    const Dec cost = Dec::from_amount(p.cost_basis);
    return p.size.is_positive() ? value - cost : value + cost;
}

void Engine::add_position_health(AccountHealth& h, const PairState& pair, const Position& p,
                                 const FundingState& funding) {
    const Dec oracle = *pair.oracle_price;
    h.unrealized_pnl += position_unrealized_pnl(p, oracle);
    h.accrued_funding += accrued_funding(p.size, funding.cumulative_per_unit, p.entry_funding_per_unit);
    h.used_margin += compute_required_margin(p.size, oracle, pair.params);
    h.maintenance_margin += mul3_to_amount(p.size.abs(), oracle, pair.params.maintenance_margin_ratio, Rounding::Ceil);
}

AccountHealth Engine::health(const UserState& user) const {
    AccountHealth h;
    for (const PositionEntry& entry : user.positions) {
        const PairState& pair = pairs_[entry.pair];
        add_position_health(h, pair, entry.position, funding_now(pair));
    }
    h.equity = Dec::from_amount(user.margin) + h.unrealized_pnl - h.accrued_funding;
    return h;
}

AccountHealth Engine::health_after(const UserState* user, const FillPlan& plan) const {
    // Equity and initial margin only: the maintenance margin is not needed here.
    AccountHealth h;
    auto add = [&](const PairState& pair, const Position& p, const FundingState& funding) {
        const Dec oracle = *pair.oracle_price;
        h.unrealized_pnl += position_unrealized_pnl(p, oracle);
        if (funding.cumulative_per_unit != p.entry_funding_per_unit)
            h.accrued_funding += accrued_funding(p.size, funding.cumulative_per_unit, p.entry_funding_per_unit);
        h.used_margin += compute_required_margin(p.size, oracle, pair.params);
    };
    bool planned_pair_seen = false;
    if (user != nullptr) {
        for (const PositionEntry& entry : user->positions) {
            const PairState& pair = pairs_[entry.pair];
            if (entry.pair == plan.pair) {
                planned_pair_seen = true;
                if (!plan.position.size.is_zero()) add(pair, plan.position, plan.funding);
            } else {
                add(pair, entry.position, funding_now(pair));
            }
        }
    }
    if (!planned_pair_seen && !plan.position.size.is_zero()) add(pairs_[plan.pair], plan.position, plan.funding);
    h.equity = Dec::from_amount(plan.money.margin) + h.unrealized_pnl - h.accrued_funding;
    return h;
}

bool Engine::margin_surely_covered_after(const FillPlan& plan, Dec oracle, Amount available, Amount required,
                                         Amount fee_whole) {
    // What the fill can cost the account's equity at oracle prices: its
    // premium over the oracle on the whole size, its fee (the maker and taker
    // parts round up separately: one unit more than fee_whole at most), and a
    // unit each for the roundings of cost basis, realized PnL, the position's
    // value before and after, and settled funding; and what
    // it can add to the initial margin in use: at most that of its opening
    // portion at the oracle, which `required` covers (priced at or above the
    // oracle). Available margin is at most equity - used - reserved, so if it
    // covers all of that the exact test would pass; a shortfall or bad debt
    // in the settlement voids the bound.
    if (!plan.money.shortfall.is_zero() || !plan.money.bad_debt.is_zero()) return false;
    const Dec premium = mul(plan.size.abs(), (plan.price - oracle).abs(), Rounding::Ceil);
    const Amount bound = required + fee_whole + Amount(6);
    return Dec::from_amount(available) >= Dec::from_amount(bound) + premium;
}

std::optional<Engine::Rejection> Engine::margin_shortfall_after(const UserState* user, const FillPlan& plan,
                                                                Amount reserved_after) const {
    const AccountHealth h = health_after(user, plan);
    const Amount needed = h.used_margin + reserved_after;
    if (h.equity >= Dec::from_amount(needed)) return std::nullopt;
    std::string equity = to_string(h.equity);
    return Rejection{ErrorCode::InsufficientMargin,
                     "after the fill and its fee, equity " + equity + " would not cover the initial margin " +
                         to_string(h.used_margin) + " plus reserved " + to_string(reserved_after)};
}

bool Engine::is_liquidatable(const UserState& user) const {
    return !user.positions.empty() && health(user).below_maintenance();
}

Amount Engine::available_margin(const UserState& user) const {
    if (user.positions.empty()) return user.margin.saturating_sub(user.reserved_margin);
    return available_margin(user, health(user));
}

Amount Engine::available_margin(const UserState& user, const AccountHealth& h) {
    if (!h.equity.is_positive()) return Amount::zero();
    const Amount backing = min(user.margin, to_amount(h.equity, Rounding::Floor));
    return backing.saturating_sub(h.used_margin).saturating_sub(user.reserved_margin);
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

Dec Engine::vault_unrealized_funding(Rounding rounding) const {
    // What traders owe the vault in funding: cumulative * skew - sum(size * entry).
    Dec total;
    for (const PairState& pair : pairs_) {
        if (pair.holders.empty()) continue;
        total += mul(funding_now(pair).cumulative_per_unit, pair.skew(), rounding) - pair.oi_weighted_entry_funding;
    }
    return total;
}

bool Engine::price_is_fresh(const PairState& pair) const {
    if (!pair.oracle_price) return false;
    return params_.max_oracle_age_ms == 0 || now_ - pair.price_time <= params_.max_oracle_age_ms;
}

bool Engine::account_prices_fresh(const UserState& user) const {
    for (const PositionEntry& e : user.positions) {
        if (!price_is_fresh(pairs_[e.pair])) return false;
    }
    return true;
}

Engine::Rejection Engine::stale_account() {
    return {ErrorCode::StaleOracle, "the account's value depends on a price older than max_oracle_age_ms"};
}

void Engine::add_holder(PairId pair, UserId user) {
    std::vector<UserId>& holders = pairs_[pair].holders;
    for (PositionEntry& entry : users_[user].positions) {
        if (entry.pair == pair) entry.holder_slot = static_cast<std::uint32_t>(holders.size());
    }
    holders.push_back(user);
    ++open_positions_;
}

void Engine::remove_holder(PairId pair, std::uint32_t slot) {
    std::vector<UserId>& holders = pairs_[pair].holders;
    const UserId moved = holders.back();
    holders[slot] = moved;
    holders.pop_back();
    // With nobody exposed, nothing is owed that the vault could fail to collect.
    if (--open_positions_ == 0) vault_.uncollectable = Dec::zero();
    if (slot < holders.size()) {
        for (PositionEntry& entry : users_[moved].positions) {
            if (entry.pair == pair) entry.holder_slot = slot;
        }
    }
}

// ---------------------------------------------------------------------------
// Administration and oracle

Engine::Result Engine::handle(const SetParams& cmd) {
    if (cmd.vault_cooldown_ms && *cmd.vault_cooldown_ms < 0)
        return Rejection{ErrorCode::InvalidInput, "vault_cooldown_ms must not be negative"};
    if (cmd.default_shares_per_amount && (cmd.default_shares_per_amount->is_zero() ||
                                          cmd.default_shares_per_amount->units() > limits::kMaxSharesPerAmount))
        return Rejection{ErrorCode::InvalidInput, "default_shares_per_amount must be in [1, 10^18]"};
    if (cmd.max_oracle_age_ms && *cmd.max_oracle_age_ms < 0)
        return Rejection{ErrorCode::InvalidInput, "max_oracle_age_ms must not be negative"};
    if (cmd.adl_trigger_ratio && (cmd.adl_trigger_ratio->is_negative() || *cmd.adl_trigger_ratio > Dec::one()))
        return Rejection{ErrorCode::InvalidInput, "adl_trigger_ratio must be in [0, 1]"};
    if (cmd.protocol_fee_share && (cmd.protocol_fee_share->is_negative() || *cmd.protocol_fee_share > Dec::one()))
        return Rejection{ErrorCode::InvalidInput, "protocol_fee_share must be in [0, 1]"};
    if (cmd.liquidation_alert_ratio && !cmd.liquidation_alert_ratio->is_zero() &&
        (*cmd.liquidation_alert_ratio < Dec::one() || *cmd.liquidation_alert_ratio > Dec::from_int(100)))
        return Rejection{ErrorCode::InvalidInput, "liquidation_alert_ratio must be 0 (off) or in [1, 100]"};
    accept();
    if (cmd.vault_cooldown_ms) params_.vault_cooldown_ms = *cmd.vault_cooldown_ms;
    if (cmd.max_open_orders) params_.max_open_orders = *cmd.max_open_orders;
    if (cmd.default_shares_per_amount) params_.default_shares_per_amount = *cmd.default_shares_per_amount;
    if (cmd.max_oracle_age_ms) params_.max_oracle_age_ms = *cmd.max_oracle_age_ms;
    if (cmd.adl_trigger_ratio) params_.adl_trigger_ratio = *cmd.adl_trigger_ratio;
    if (cmd.protocol_fee_share) params_.protocol_fee_share = *cmd.protocol_fee_share;
    if (cmd.liquidation_alert_ratio) params_.liquidation_alert_ratio = *cmd.liquidation_alert_ratio;
    return Reply{};
}

Engine::Result Engine::handle(const SetPair& cmd) {
    const auto existing = find_pair(cmd.pair);
    // Fields not given keep their current values (a new pair's are zero: off).
    PairParams p = existing ? pairs_[*existing].params : PairParams{};
    for (std::size_t i = 0; i < kPairFields.size(); ++i) {
        if (cmd.given & pair_field_bit(i)) {
            p.*kPairFields[i].member = cmd.params.*kPairFields[i].member;
        } else if (!existing && kPairFields[i].required) {
            return Rejection{ErrorCode::InvalidInput, "a new pair needs " + std::string(kPairFields[i].name)};
        }
    }
    auto invalid = [](const char* why) { return Rejection{ErrorCode::InvalidInput, why}; };
    auto is_rate = [](Dec d) { return !d.is_negative() && d < Dec::one(); };
    if (!p.skew_scale.is_positive() || p.skew_scale > limits::max_size())
        return invalid("skew_scale must be positive and at most 10^15");
    if (!is_rate(p.max_abs_premium)) return invalid("max_abs_premium must be in [0, 1)");
    if (p.max_abs_oi.is_negative() || p.max_abs_oi > limits::max_size())
        return invalid("max_abs_oi must be in [0, 10^15]");
    if (!p.initial_margin_ratio.is_positive() || p.initial_margin_ratio > Dec::one())
        return invalid("initial_margin_ratio must be in (0, 1]");
    if (p.maintenance_margin_ratio.is_negative() || p.maintenance_margin_ratio >= p.initial_margin_ratio)
        return invalid("maintenance_margin_ratio must be below initial_margin_ratio (0 turns liquidation off)");
    if (!is_rate(p.maker_fee_rate) || !is_rate(p.taker_fee_rate)) return invalid("fee rates must be in [0, 1)");
    if (p.liquidation_fee_rate.is_negative()) return invalid("liquidation_fee_rate must not be negative");
    if (p.maintenance_margin_ratio.is_positive() &&
        p.liquidation_fee_rate > p.maintenance_margin_ratio - p.taker_fee_rate)
        return invalid("liquidation_fee_rate must not exceed maintenance_margin_ratio - taker_fee_rate");
    if (p.max_funding_velocity.is_negative() || p.max_funding_velocity > limits::max_funding_velocity())
        return invalid("max_funding_velocity must be in [0, 100] per day");
    if (p.max_abs_funding_rate.is_negative() || p.max_abs_funding_rate > limits::max_funding_rate())
        return invalid("max_abs_funding_rate must be in [0, 1] per day");
    if (!is_rate(p.max_limit_price_deviation)) return invalid("max_limit_price_deviation must be in [0, 1)");
    if (p.min_order_notional.is_negative() || p.min_order_notional > Dec::from_amount(Amount(limits::kMaxMoney)))
        return invalid("min_order_notional must be in [0, 10^20]");
    // Funding so far accrues under the old parameters, and from now on under the new.
    FundingState funding = existing ? funding_now(pairs_[*existing]) : FundingState{};
    funding.last_time = now_;
    accept();
    if (existing) {
        pairs_[*existing].funding = funding;
        pairs_[*existing].params = p;
        book_.unpark_all(*existing);  // the OI cap may have moved
    } else {
        const auto id = static_cast<PairId>(pairs_.size());
        pairs_.emplace_back();
        pairs_.back().name = cmd.pair;
        pairs_.back().params = p;
        pairs_.back().funding = funding;
        pair_index_.emplace(cmd.pair, id);
        book_.add_pair();
    }
    return Reply{};
}

Engine::Result Engine::handle(const SetPairStatus& cmd) {
    const auto id = find_pair(cmd.pair);
    if (!id) return unknown_pair(cmd.pair);
    accept();
    pairs_[*id].status = cmd.status;
    book_.unpark_all(*id);  // a reduce-only market fills what parked orders close
    return Reply{};
}

Engine::Result Engine::handle(const OracleUpdate& cmd) {
    struct Update {
        PairId pair;
        Dec price;
        FundingState funding;
    };
    boost::container::small_vector<Update, 8> updates;
    for (const PriceUpdate& update : cmd.prices) {
        const auto pair = find_pair(update.pair);
        if (!pair) return unknown_pair(update.pair);
        if (!update.price.is_positive()) return Rejection{ErrorCode::InvalidInput, "oracle prices must be positive"};
        if (update.price > limits::max_price())
            return Rejection{ErrorCode::TooLarge, "oracle prices must be at most " + to_string(limits::max_price())};
        updates.push_back({*pair, update.price, {}});
    }
    std::sort(updates.begin(), updates.end(), [](const Update& a, const Update& b) { return a.pair < b.pair; });
    for (std::size_t i = 1; i < updates.size(); ++i) {
        if (updates[i].pair == updates[i - 1].pair)
            return Rejection{ErrorCode::InvalidInput, "a pair is priced twice in one update"};
    }
    // Funding accrues up to now at the price that was in force.
    for (Update& u : updates) u.funding = funding_now(pairs_[u.pair]);
    accept();
    ++oracle_epoch_;
    for (const Update& u : updates) {
        PairState& pair = pairs_[u.pair];
        pair.funding = u.funding;
        pair.oracle_price = u.price;
        pair.price_time = clock_;
        pair.price_epoch = oracle_epoch_;
    }
    for (const Update& u : updates) {
        if (pairs_[u.pair].status != PairStatus::Paused) fulfill_limit_orders(u.pair);
    }
    // Every account is valued, not only those in the updated pairs: funding
    // accrues on all positions, so time alone can make an account liquidatable.
    if (const auto mark = settle_risk()) {
        vault_.uncollectable = mark->uncollectable;
        // LP requests are priced and paid on this valuation.
        apply_vault_work(plan_vault_work(*mark));
    }
    refresh_vault_backing();
    return Reply{};
}

}  // namespace ballast::core
