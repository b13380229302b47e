#include "api/outcome_encoder.hpp"

#include "api/json_writer.hpp"

namespace ballast::api {

namespace {

using namespace ballast::core;

// Names: anything with user_name(UserId) and pair_name(PairId), the engine
// itself or, for a published event, the names it carries.
template <class Names>
class OutcomeWriter {
public:
    OutcomeWriter(const Names& names, std::string& out) : engine_(names), w_(out) {}

    void reply(const Reply& reply) {
        std::visit([this](const auto& r) { this->fields(r); }, reply);
    }

    void event(const Event& e) {
        w_.begin_object();
        std::visit([this](const auto& x) { this->event_fields(x); }, e);
        w_.end_object();
    }

    JsonWriter& writer() { return w_; }

private:
    void user(UserId id) { w_.key("user").plain_string(engine_.user_name(id)); }
    void pair(PairId id) { w_.key("pair").plain_string(engine_.pair_name(id)); }
    void order_id(OrderId id) {
        if (id == kNoOrder)
            w_.key("order_id").null();
        else
            w_.key("order_id").wide_integer(id);
    }
    // Events of a liquidation's net settlement belong to no single pair or order.
    void pair_and_order(PairId p, OrderId id) {
        if (p == kNoPair) return;
        pair(p);
        order_id(id);
    }
    void type(std::string_view name) { w_.key("type").plain_string(name); }
    void request_id(std::uint64_t id) { w_.key("request_id").wide_integer(id); }

    void fields(const std::monostate&) {}
    void fields(const SubmitOrderReply& r) {
        order_id(r.order_id);
        w_.key("filled").decimal(r.filled);
        if (r.exec_price) w_.key("exec_price").decimal(*r.exec_price);
        w_.key("rested").decimal(r.rested);
    }
    void fields(const DepositLiquidityReply& r) {
        request_id(r.request_id);
        w_.key("shares_minted").amount(r.shares_minted);
        w_.key("pending").boolean(!r.shares_minted.has_value());
    }
    void fields(const UnlockLiquidityReply& r) {
        request_id(r.request_id);
        w_.key("shares").amount(r.shares);
        w_.key("end_time").integer(r.end_time);
        w_.key("amount").amount(r.amount);
    }
    void fields(const UserView& v) {
        write_account_figures(w_, v);
        w_.key("unlocks").begin_array();
        for (const Unlock& u : v.unlocks) {
            w_.begin_object();
            request_id(u.seq);
            w_.key("shares").amount(u.shares);
            w_.key("amount").amount(u.priced ? std::optional(u.amount) : std::nullopt);
            w_.key("end_time").integer(u.end_time);
            w_.end_object();
        }
        w_.end_array();
        w_.key("pending_deposits").begin_array();
        for (const PendingDeposit& d : v.pending_deposits) {
            w_.begin_object();
            request_id(d.seq);
            w_.key("amount").amount(d.amount);
            w_.end_object();
        }
        w_.end_array();
        w_.key("positions");
        write_positions(w_, engine_, v.positions);
        w_.key("open_orders").begin_array();
        for (const OrderView& o : v.open_orders) order(o, /*with_user=*/false);
        w_.end_array();
    }
    void fields(const PairView& v) {
        w_.key("oracle_price").decimal(v.oracle_price);
        w_.key("long_oi").decimal(v.long_oi);
        w_.key("short_oi").decimal(v.short_oi);
        w_.key("skew").decimal(v.skew);
        w_.key("marginal_price").decimal(v.marginal_price);
        w_.key("oi_weighted_entry_price").wide_integer(v.oi_weighted_entry_price);
        w_.key("funding_rate").decimal(v.funding_rate);
        w_.key("cumulative_funding_per_unit").decimal(v.cumulative_funding_per_unit);
        w_.key("status").plain_string(pair_status_name(v.status));
        for (const PairField& f : kPairFields) w_.key(f.name).decimal(v.params.*f.member);
        w_.key("bids").begin_array();
        for (const OrderView& o : v.bids) order(o, /*with_user=*/true);
        w_.end_array();
        w_.key("asks").begin_array();
        for (const OrderView& o : v.asks) order(o, /*with_user=*/true);
        w_.end_array();
    }
    void fields(const VaultView& v) {
        w_.key("balance").amount(v.balance);
        w_.key("share_supply").amount(v.share_supply);
        w_.key("unrealized_pnl").decimal(v.unrealized_pnl);
        w_.key("unrealized_funding").decimal(v.unrealized_funding);
        w_.key("uncollectable").decimal(v.uncollectable);
        w_.key("equity").decimal(v.equity);
        w_.key("treasury").amount(v.treasury);
        w_.key("pending_deposits").amount(v.pending_deposits);
        w_.key("backs_positions").boolean(v.backs_positions);
    }

    void order(const OrderView& o, bool with_user) { write_order_view(w_, engine_, o, with_user); }

    void event_fields(const FillEvent& e) {
        type("fill");
        user(e.user);
        pair(e.pair);
        order_id(e.order_id);
        w_.key("size").decimal(e.size);
        w_.key("price").decimal(e.price);
        w_.key("realized_pnl").wide_integer(e.realized_pnl);
        w_.key("fee").amount(e.fee);
        w_.key("funding").wide_integer(e.funding);
    }
    void event_fields(const FundingSettledEvent& e) {
        type("funding_settled");
        user(e.user);
        pair(e.pair);
        w_.key("amount").wide_integer(e.amount);
    }
    void event_fields(const ForceCloseEvent& e) {
        type(e.is_adl ? "adl" : "liquidation");
        user(e.user);
        w_.key("net_pnl").wide_integer(e.net_pnl);
        if (!e.is_adl) w_.key("fee").amount(e.fee);
        w_.key("bad_debt").amount(e.bad_debt);
    }
    void event_fields(const OrderRestedEvent& e) {
        type("order_rested");
        user(e.user);
        pair(e.pair);
        order_id(e.order_id);
        w_.key("size").decimal(e.size);
        w_.key("limit_price").decimal(e.limit_price);
        w_.key("reduce_only").boolean(e.reduce_only);
        w_.key("reserved_margin").amount(e.reserved_margin);
        w_.key("created_at").integer(e.created_at);
    }
    void event_fields(const OrderUpdatedEvent& e) {
        type("order_updated");
        user(e.user);
        pair(e.pair);
        order_id(e.order_id);
        w_.key("size").decimal(e.size);
        w_.key("reserved_margin").amount(e.reserved_margin);
    }
    void event_fields(const OrderCanceledEvent& e) {
        type("order_canceled");
        user(e.user);
        pair(e.pair);
        order_id(e.order_id);
        w_.key("size").decimal(e.size);
        w_.key("released_margin").amount(e.released_margin);
        w_.key("reason").plain_string(cancel_reason_name(e.reason));
    }
    void event_fields(const UnfilledEvent& e) {
        type("unfilled");
        user(e.user);
        pair(e.pair);
        order_id(e.order_id);
        w_.key("size").decimal(e.size);
        w_.key("reason").plain_string(unfilled_reason_name(e.reason));
    }
    void event_fields(const LiquidityReleasedEvent& e) {
        type("liquidity_released");
        user(e.user);
        request_id(e.seq);
        w_.key("shares").amount(e.shares);
        w_.key("amount").amount(e.amount);
        w_.key("value_at_request").amount(e.value_at_request);
        w_.key("end_time").integer(e.end_time);
    }
    void event_fields(const LiquidityDepositedEvent& e) {
        type("liquidity_deposited");
        user(e.user);
        request_id(e.seq);
        w_.key("amount").amount(e.amount);
        w_.key("shares").amount(e.shares);
    }
    void event_fields(const DepositRefundedEvent& e) {
        type("deposit_refunded");
        user(e.user);
        request_id(e.seq);
        w_.key("amount").amount(e.amount);
        w_.key("reason").plain_string(refund_reason_name(e.reason));
    }
    void event_fields(const UnlockPricedEvent& e) {
        type("unlock_priced");
        user(e.user);
        request_id(e.seq);
        w_.key("shares").amount(e.shares);
        w_.key("amount").amount(e.amount);
        w_.key("end_time").integer(e.end_time);
    }
    void event_fields(const UnlockCanceledEvent& e) {
        type("unlock_canceled");
        user(e.user);
        request_id(e.seq);
        w_.key("shares").amount(e.shares);
    }
    void event_fields(const VaultFundedEvent& e) {
        type("vault_funded");
        if (e.user == kNoUser)
            w_.key("from").plain_string("treasury");
        else
            user(e.user);
        w_.key("amount").amount(e.amount);
    }
    void event_fields(const VaultShortfallEvent& e) {
        type("vault_shortfall");
        user(e.user);
        pair_and_order(e.pair, e.order_id);
        w_.key("amount").amount(e.amount);
    }
    void event_fields(const LiquidationAlertEvent& e) {
        type("liquidation_alert");
        user(e.user);
        w_.key("equity").decimal(e.equity);
        w_.key("maintenance_margin").amount(e.maintenance_margin);
    }
    void event_fields(const AccountCreatedEvent& e) {
        type("account_created");
        user(e.user);
    }
    void event_fields(const BadDebtEvent& e) {
        type("bad_debt");
        user(e.user);
        pair_and_order(e.pair, e.order_id);
        w_.key("amount").amount(e.amount);
    }

    const Names& engine_;
    JsonWriter w_;
};

// The names of one published event (sequencer/stream_record.hpp).
struct EventNames {
    std::string_view user, pair;
    std::string_view user_name(UserId) const { return user; }
    std::string_view pair_name(PairId) const { return pair; }
};

void write_error(JsonWriter& w, std::string_view code, std::string_view message) {
    w.begin_object();
    w.key("ok").boolean(false);
    w.key("error").begin_object();
    w.key("code").plain_string(code);
    w.key("message").string(message);
    w.end_object();
    w.end_object();
}

}  // namespace

void write_order_view(JsonWriter& w, const Engine& engine, const OrderView& o, bool with_user) {
    w.begin_object();
    w.key("order_id").wide_integer(o.order_id);
    if (with_user) w.key("user").plain_string(engine.user_name(o.user));
    w.key("pair").plain_string(engine.pair_name(o.pair));
    w.key("size").decimal(o.size);
    w.key("limit_price").decimal(o.limit_price);
    w.key("reduce_only").boolean(o.reduce_only);
    w.key("reserved_margin").amount(o.reserved_margin);
    w.key("created_at").integer(o.created_at);
    w.end_object();
}

void write_positions(JsonWriter& w, const Engine& engine, std::span<const PositionView> positions) {
    w.begin_object();
    for (const PositionView& p : positions) {
        w.key(engine.pair_name(p.pair)).begin_object();
        write_position_fields(w, p);
        w.end_object();
    }
    w.end_object();
}

void write_account_figures(JsonWriter& w, const UserView& v) {
    w.key("margin").amount(v.margin);
    w.key("reserved_margin").amount(v.reserved_margin);
    w.key("used_margin").amount(v.used_margin);
    w.key("available_margin").amount(v.available_margin);
    w.key("vault_shares").amount(v.vault_shares);
    w.key("equity").decimal(v.equity);
    w.key("maintenance_margin").amount(v.maintenance_margin);
    w.key("unrealized_pnl").decimal(v.unrealized_pnl);
    w.key("accrued_funding").decimal(v.accrued_funding);
}

void write_position_fields(JsonWriter& w, const PositionView& p) {
    w.key("size").decimal(p.position.size);
    w.key("cost_basis").amount(p.position.cost_basis);
    w.key("entry_funding_per_unit").decimal(p.position.entry_funding_per_unit);
    w.key("unrealized_pnl").decimal(p.unrealized_pnl);
    w.key("accrued_funding").decimal(p.accrued_funding);
    w.key("liquidation_price").decimal(p.liquidation_price);
}

void encode_reply(const Engine& engine, const Reply& reply, std::string& out) {
    OutcomeWriter<Engine> writer(engine, out);
    writer.writer().begin_object();
    writer.reply(reply);
    writer.writer().end_object();
}

void encode_outcome(const Engine& engine, const Outcome& outcome, std::span<const Event> events, std::string& out) {
    OutcomeWriter<Engine> writer(engine, out);
    JsonWriter& w = writer.writer();
    if (!outcome.ok()) {
        write_error(w, error_code_name(outcome.error), outcome.message);
        return;
    }
    w.begin_object();
    w.key("ok").boolean(true);
    writer.reply(outcome.reply);
    w.key("events").begin_array();
    for (const Event& e : events)
        if (!is_notice(e)) writer.event(e);
    w.end_array();
    w.end_object();
}

void encode_event(const Event& event, std::string_view user, std::string_view pair, std::string& out) {
    const EventNames names{user, pair};
    OutcomeWriter<EventNames> writer(names, out);
    writer.event(event);
}

void encode_invalid_input(std::string_view message, std::string& out) {
    JsonWriter w(out);
    write_error(w, error_code_name(ErrorCode::InvalidInput), message);
}

}  // namespace ballast::api
