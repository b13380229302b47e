#include "api/stream_encoder.hpp"

#include "api/command_encoder.hpp"
#include "api/outcome_encoder.hpp"
#include "api/ws_channels.hpp"
#include "core/funding.hpp"
#include "core/pricing.hpp"

namespace ballast::api {

namespace {

using sequencer::MarketState;
using sequencer::StreamEvent;
using sequencer::StreamRecord;

void add(std::vector<ChannelMessage>& out, std::string channel, const StreamRecord& record, std::string_view type,
         std::string_view data) {
    out.push_back({std::move(channel), record.seq, message_tail(record.seq, record.time, type, data)});
}

// How a fill came about: an order, or a liquidation or ADL of its trader in
// the same command (their fills belong to no order).
std::string_view fill_kind(const StreamRecord& record, const StreamEvent& fill) {
    if (std::get<core::FillEvent>(fill.event).order_id != core::kNoOrder) return "order";
    for (const StreamEvent& e : record.events)
        if (const auto* close = std::get_if<core::ForceCloseEvent>(&e.event); close && e.user == fill.user)
            return close->is_adl ? "adl" : "liquidation";
    return "liquidation";
}

std::string trade_data(const StreamRecord& record, const StreamEvent& e) {
    const auto& fill = std::get<core::FillEvent>(e.event);
    std::string data;
    JsonWriter w(data);
    w.begin_object();
    w.key("pair").plain_string(e.pair.view());
    w.key("price").decimal(fill.price);
    w.key("size").decimal(fill.size);
    w.key("side").plain_string(fill.size.is_negative() ? "sell" : "buy");
    w.key("trader").plain_string(e.user.view());
    if (fill.order_id == core::kNoOrder)
        w.key("order_id").null();
    else
        w.key("order_id").wide_integer(fill.order_id);
    w.key("kind").plain_string(fill_kind(record, e));
    w.end_object();
    return data;
}

// What a trader asked that the events do not show: margin moved, a vault
// request waiting to be priced.
void command_messages(const StreamRecord& record, std::vector<ChannelMessage>& out) {
    std::string data;
    JsonWriter w(data);
    std::visit(
        [&](const auto& c) {
            using C = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<C, core::DepositMargin> || std::is_same_v<C, core::WithdrawMargin>) {
                w.begin_object();
                w.key("change").plain_string(std::is_same_v<C, core::DepositMargin> ? "deposit" : "withdrawal");
                w.key("amount").amount(c.amount);
                w.end_object();
                add(out, "trader." + std::string(c.user.view()), record, "margin", data);
            } else if constexpr (std::is_same_v<C, core::DepositLiquidity>) {
                w.begin_object();
                w.key("request").plain_string("deposit");
                w.key("request_id").wide_integer(record.seq);
                w.key("amount").amount(c.amount);
                w.end_object();
                add(out, "trader." + std::string(c.user.view()), record, "vault_request", data);
            } else if constexpr (std::is_same_v<C, core::UnlockLiquidity>) {
                w.begin_object();
                w.key("request").plain_string("unlock");
                w.key("request_id").wide_integer(record.seq);
                w.key("shares").amount(c.shares_to_burn);
                w.end_object();
                add(out, "trader." + std::string(c.user.view()), record, "vault_request", data);
            }
        },
        record.command);
}

// Parameter and status changes, for the admin channels.
void admin_command_messages(const StreamRecord& record, std::vector<ChannelMessage>& out) {
    const auto* set_pair = std::get_if<core::SetPair>(&record.command);
    const auto* status = std::get_if<core::SetPairStatus>(&record.command);
    const bool global = std::holds_alternative<core::SetParams>(record.command) ||
                        std::holds_alternative<core::FundVault>(record.command);
    if (!set_pair && !status && !global) return;
    std::string line;
    encode_command_json(core::Command{record.time, record.command}, line);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    std::string data;
    JsonWriter w(data);
    w.begin_object();
    w.key("command").encoded(line);
    w.end_object();
    const std::string_view type = status                                                    ? "status"
                                  : std::holds_alternative<core::FundVault>(record.command) ? "vault_funded"
                                                                                            : "params";
    add(out, "admin.all", record, type, data);
    if (set_pair) add(out, "admin." + std::string(set_pair->pair.view()), record, type, data);
    if (status) add(out, "admin." + std::string(status->pair.view()), record, type, data);
}

// An account after a command that changed its positions: its figures as
// GET /v1/account shows them and every position it holds (none after a
// liquidation), so a client can replace what it had.
std::string account_data(const sequencer::AccountState& account) {
    const core::UserView& v = account.view;
    std::string data;
    JsonWriter w(data);
    w.begin_object();
    write_account_figures(w, v);
    w.key("positions").begin_object();
    for (std::size_t i = 0; i < v.positions.size(); ++i) {
        const core::PositionView& p = v.positions[i];
        w.key(account.position_pairs[i].view()).begin_object();
        write_position_fields(w, p);
        // What was paid per contract for what remains (cost basis / |size|):
        // a figure to show, rounded down.
        w.key("entry_price").decimal(core::computed([&] {
            return core::div(core::Dec::from_amount(p.position.cost_basis), p.position.size.abs(),
                             core::Rounding::Floor);
        }));
        w.end_object();
    }
    w.end_object();
    w.end_object();
    return data;
}

bool is_admin_event(const core::Event& e) {
    return std::holds_alternative<core::BadDebtEvent>(e) || std::holds_alternative<core::VaultShortfallEvent>(e) ||
           std::holds_alternative<core::ForceCloseEvent>(e) || std::holds_alternative<core::AccountCreatedEvent>(e);
}

}  // namespace

std::shared_ptr<const std::string> message_tail(std::uint64_t seq, core::TimeMs time, std::string_view type,
                                                std::string_view data) {
    auto tail = std::make_shared<std::string>();
    tail->reserve(48 + type.size() + data.size());
    *tail += R"(,"seq":)";
    *tail += std::to_string(seq);
    *tail += R"(,"time":)";
    *tail += std::to_string(time);
    *tail += R"(,"type":")";
    *tail += type;
    *tail += R"(","data":)";
    *tail += data;
    *tail += '}';
    return tail;
}

void channel_messages(const StreamRecord& record, std::vector<ChannelMessage>& out) {
    for (const StreamEvent& e : record.events) {
        std::string event;
        encode_event(e.event, e.user.view(), e.pair.view(), event);
        if (std::holds_alternative<core::FillEvent>(e.event))
            add(out, "market." + std::string(e.pair.view()) + ".trades", record, "trade", trade_data(record, e));
        if (!e.user.view().empty()) add(out, "trader." + std::string(e.user.view()), record, "event", event);
        if (is_admin_event(e.event)) {
            add(out, "admin.all", record, "event", event);
            if (!e.pair.view().empty()) add(out, "admin." + std::string(e.pair.view()), record, "event", event);
        }
    }
    for (const sequencer::AccountState& account : record.accounts)
        add(out, "trader." + std::string(account.user.view()), record, "account", account_data(account));
    command_messages(record, out);
    admin_command_messages(record, out);
}

void write_ticker(JsonWriter& w, const MarketState& state, core::TimeMs time) {
    const core::Dec skew = state.long_oi + state.short_oi;
    const auto funding =
        core::computed([&] { return core::funding_at(state.funding, time, state.oracle_price, skew, state.params); });
    std::optional<core::Dec> mark;
    if (state.oracle_price)
        mark = core::computed([&] {
            return core::compute_marginal_price(*state.oracle_price, skew, state.params, core::Rounding::Floor);
        });
    w.begin_object();
    w.key("pair").plain_string(state.pair.view());
    w.key("status").plain_string(core::pair_status_name(state.status));
    w.key("oracle_price").decimal(state.oracle_price);
    w.key("mark_price").decimal(mark);
    w.key("skew").decimal(skew);
    w.key("long_oi").decimal(state.long_oi);
    w.key("short_oi").decimal(state.short_oi);
    w.key("funding_rate").decimal(funding ? std::optional(funding->rate) : std::nullopt);
    w.key("cumulative_funding_per_unit").decimal(funding ? std::optional(funding->cumulative_per_unit) : std::nullopt);
    // What the pool would fill now, each side: a market order's execution
    // price for a few sizes (the spec's formula, rounded against the trader).
    w.key("quotes").begin_array();
    for (const long units : kLadderSizes) {
        for (const long sign : {1L, -1L}) {
            const core::Dec size = core::Dec::from_int(sign * units);
            w.begin_object();
            w.key("size").decimal(size);
            std::optional<core::Dec> price;
            if (state.oracle_price)
                price = core::computed(
                    [&] { return core::compute_exec_price(*state.oracle_price, skew, size, state.params); });
            w.key("exec_price").decimal(price);
            w.end_object();
        }
    }
    w.end_array();
    w.end_object();
}

void write_book(JsonWriter& w, std::string_view pair, const core::BookView& book) {
    w.begin_object();
    w.key("pair").plain_string(pair);
    for (const auto* side : {&book.bids, &book.asks}) {
        w.key(side == &book.bids ? "bids" : "asks").begin_array();
        for (const core::BookLevel& level : *side) {
            w.begin_object();
            w.key("price").decimal(level.price);
            w.key("size").decimal(level.size);
            w.key("orders").integer(level.orders);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

}  // namespace ballast::api
