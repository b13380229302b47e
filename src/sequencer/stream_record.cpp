#include "sequencer/stream_record.hpp"

#include <algorithm>

namespace ballast::sequencer {

namespace {

bool is_read(const core::CommandBody& command) {
    return std::holds_alternative<core::QueryUser>(command) || std::holds_alternative<core::QueryPair>(command) ||
           std::holds_alternative<core::QueryVault>(command);
}

}  // namespace

MarketState market_state(const core::Engine& engine, core::PairId id) {
    const core::PairState& pair = engine.pair(id);
    MarketState state;
    state.pair = pair.name;
    state.status = pair.status;
    state.params = pair.params;
    state.oracle_price = pair.oracle_price;
    state.long_oi = pair.long_oi;
    state.short_oi = pair.short_oi;
    state.funding = pair.funding;
    return state;
}

std::optional<StreamRecord> make_stream_record(const core::Engine& engine, std::uint64_t seq, core::TimeMs time,
                                               const core::CommandBody& command, bool accepted) {
    if (!accepted || is_read(command)) return std::nullopt;
    StreamRecord record;
    record.seq = seq;
    record.time = time;
    record.command = command;

    std::vector<core::PairId> moved;
    std::vector<core::UserId> holders;  // whose positions changed
    const std::vector<core::Event>& events = engine.events();
    record.events.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        StreamEvent& out = record.events.emplace_back();
        out.index = static_cast<std::uint32_t>(i);
        out.event = events[i];
        std::visit(
            [&](const auto& e) {
                if (e.user != core::kNoUser) out.user = core::Name::from(engine.user_name(e.user));
                if constexpr (requires { e.pair; }) {
                    if (e.pair != core::kNoPair) out.pair = core::Name::from(engine.pair_name(e.pair));
                }
                using E = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<E, core::FillEvent>) moved.push_back(e.pair);
                if constexpr (std::is_same_v<E, core::FillEvent> || std::is_same_v<E, core::FundingSettledEvent> ||
                              std::is_same_v<E, core::ForceCloseEvent>) {
                    if (e.user != core::kNoUser) holders.push_back(e.user);
                }
            },
            events[i]);
    }
    const auto moved_by_name = [&](const core::Name& name) {
        if (const auto id = engine.find_pair(name)) moved.push_back(*id);
    };
    if (const auto* update = std::get_if<core::OracleUpdate>(&command))
        for (const core::PriceUpdate& price : update->prices) moved_by_name(price.pair);
    else if (const auto* set_pair = std::get_if<core::SetPair>(&command))
        moved_by_name(set_pair->pair);
    else if (const auto* status = std::get_if<core::SetPairStatus>(&command))
        moved_by_name(status->pair);
    std::sort(moved.begin(), moved.end());
    moved.erase(std::unique(moved.begin(), moved.end()), moved.end());
    record.markets.reserve(moved.size());
    for (const core::PairId id : moved) record.markets.push_back(market_state(engine, id));
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
    record.accounts.reserve(holders.size());
    for (const core::UserId id : holders) {
        AccountState& account = record.accounts.emplace_back();
        account.user = core::Name::from(engine.user_name(id));
        account.view = engine.view_user(id, core::Engine::UserDetail::Positions);
        for (const core::PositionView& p : account.view.positions)
            account.position_pairs.push_back(core::Name::from(engine.pair_name(p.pair)));
    }
    return record;
}

std::vector<core::Name> accounts_of(const StreamRecord& record) {
    std::vector<core::Name> accounts;
    for (const StreamEvent& e : record.events)
        if (e.user.view().size() != 0) accounts.push_back(e.user);
    std::visit(
        [&](const auto& c) {
            using C = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<C, core::DepositMargin> || std::is_same_v<C, core::WithdrawMargin> ||
                          std::is_same_v<C, core::DepositLiquidity> || std::is_same_v<C, core::UnlockLiquidity> ||
                          std::is_same_v<C, core::SubmitOrder> || std::is_same_v<C, core::CancelOrder>)
                accounts.push_back(c.user);
            else if constexpr (std::is_same_v<C, core::FundVault>) {
                if (c.user) accounts.push_back(*c.user);
            }
        },
        record.command);
    std::sort(accounts.begin(), accounts.end(),
              [](const core::Name& a, const core::Name& b) { return a.view() < b.view(); });
    accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
    return accounts;
}

}  // namespace ballast::sequencer
