#include "core/state_dump.hpp"

namespace ballast::core {

namespace {

class Dumper {
public:
    explicit Dumper(std::string& out) : out_(out) {}

    Dumper& word(std::string_view text) {
        out_.append(text);
        out_.push_back(' ');
        return *this;
    }
    Dumper& value(Dec d) { return append(d); }
    Dumper& value(Amount a) { return append(a); }
    Dumper& integer(i128 v) {
        append_integer(out_, v);
        out_.push_back(' ');
        return *this;
    }
    void end_line() { out_.push_back('\n'); }

private:
    template <typename T>
    Dumper& append(T v) {
        append_to(out_, v);
        out_.push_back(' ');
        return *this;
    }
    std::string& out_;
};

void dump_order(Dumper& d, const RestingOrder& o) {
    d.word("  order").integer(o.id).integer(o.user).integer(o.pair).value(o.size).value(o.limit_price);
    d.value(o.reserved_margin).integer(o.created_at).integer(o.reduce_only ? 1 : 0).end_line();
}

}  // namespace

std::string dump_state(const Engine& engine) {
    std::string out;
    Dumper d(out);
    const GlobalParams& p = engine.params();
    d.word("clock").integer(engine.clock()).end_line();
    d.word("params")
        .integer(p.vault_cooldown_ms)
        .integer(p.max_open_orders)
        .value(p.default_shares_per_amount)
        .end_line();
    d.word("sequence").integer(engine.next_order_id()).integer(static_cast<i128>(engine.next_lp_seq())).end_line();
    d.word("vault").value(engine.vault().balance).value(engine.vault().share_supply).value(engine.vault().treasury);
    d.end_line();

    for (PairId id = 0; id < engine.pair_count(); ++id) {
        const PairState& pair = engine.pair(id);
        d.word("pair").word(pair.name.view()).value(pair.params.skew_scale).value(pair.params.max_abs_premium);
        d.value(pair.params.max_abs_oi).value(pair.params.initial_margin_ratio);
        if (pair.oracle_price)
            d.value(*pair.oracle_price);
        else
            d.word("-");
        d.value(pair.long_oi).value(pair.short_oi).integer(pair.oi_weighted_entry_price).end_line();
        for (Side side : {Side::Bid, Side::Ask}) {
            for (Slot s : engine.book().side_in_priority(id, side)) dump_order(d, engine.book().at(s));
        }
    }

    for (UserId id = 0; id < engine.user_count(); ++id) {
        const UserState& user = engine.user(id);
        d.word("user").word(user.name.view()).value(user.margin).value(user.reserved_margin).value(user.vault_shares);
        d.end_line();
        for (const Unlock& u : user.unlocks) {
            d.word("  unlock").value(u.shares).value(u.amount).integer(u.end_time).integer(static_cast<i128>(u.seq));
            d.end_line();
        }
        for (const PositionEntry& e : user.positions) {
            d.word("  position").integer(e.pair).value(e.position.size).value(e.position.cost_basis);
            d.value(e.position.entry_funding_per_unit).integer(e.holder_slot).end_line();
        }
        for (Slot s = engine.book().first_of_user(id); s != kNoSlot; s = engine.book().next_of_user(s)) {
            d.word("  open").integer(static_cast<i128>(engine.book().at(s).id)).end_line();
        }
    }
    return out;
}

}  // namespace ballast::core
