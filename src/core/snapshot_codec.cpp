#include "core/snapshot_codec.hpp"

#include <algorithm>

#include "core/byte_codec.hpp"

namespace ballast::core {

namespace {

constexpr char kMagic[] = {'B', 'E', 'N', 'G'};

// The fewest bytes each list item can take, so that a count the input cannot
// hold is refused before anything is sized by it.
constexpr std::size_t kMinPairBytes = 25;
constexpr std::size_t kMinUserBytes = 8;
constexpr std::size_t kMinUnlockBytes = 6;
constexpr std::size_t kMinDepositBytes = 5;
constexpr std::size_t kMinPositionBytes = 5;
constexpr std::size_t kMinOrderBytes = 9;
constexpr std::size_t kMinHolderBytes = 1;

void write_pair(ByteWriter& w, const PairState& p) {
    w.name(p.name);
    write_pair_params(w, p.params);
    w.u8(static_cast<std::uint8_t>(p.status));
    w.boolean(p.oracle_price.has_value());
    if (p.oracle_price) w.dec(*p.oracle_price);
    w.var_signed(p.price_time);
    w.var_unsigned(p.price_epoch);
    w.dec(p.long_oi);
    w.dec(p.short_oi);
    w.var_signed(p.oi_weighted_entry_price);
    w.dec(p.funding.rate);
    w.dec(p.funding.cumulative_per_unit);
    w.var_signed(p.funding.last_time);
    w.dec(p.oi_weighted_entry_funding);
    w.var_unsigned(p.holders.size());
    for (UserId holder : p.holders) w.var_unsigned(holder);
}

void write_user(ByteWriter& w, const UserState& u, const OrderBook& book, UserId id) {
    w.name(u.name);
    w.amount(u.margin);
    w.amount(u.reserved_margin);
    w.amount(u.vault_shares);
    w.boolean(u.risk_alerted);
    w.var_unsigned(u.unlocks.size());
    for (const Unlock& unlock : u.unlocks) {
        w.amount(unlock.shares);
        w.amount(unlock.amount);
        w.boolean(unlock.priced);
        w.var_signed(unlock.end_time);
        w.var_unsigned(unlock.seq);
        w.var_unsigned(unlock.epoch);
    }
    w.var_unsigned(u.positions.size());
    for (const PositionEntry& e : u.positions) {
        w.var_unsigned(e.pair);
        w.dec(e.position.size);
        w.amount(e.position.cost_basis);
        w.dec(e.position.entry_funding_per_unit);
        w.var_unsigned(e.holder_slot);
    }
    w.var_unsigned(book.count_of_user(id));
    for (Slot s = book.first_of_user(id); s != kNoSlot; s = book.next_of_user(s)) {
        const RestingOrder& o = book.at(s);
        w.var_unsigned(o.id);
        w.var_unsigned(o.pair);
        w.dec(o.size);
        w.dec(o.limit_price);
        w.amount(o.reserved_margin);
        w.var_signed(o.created_at);
        w.boolean(o.reduce_only);
        w.dec(o.reserved_opening);
        w.boolean(book.is_parked(s));
        if (book.is_parked(s)) w.dec(book.parked_need(s));
    }
}

}  // namespace

void encode_engine(const Engine& engine, std::string& out) {
    // Reserving a generous estimate once beats regrowing a multi-megabyte
    // string while the engine thread waits.
    std::size_t orders = 0;
    for (UserId id = 0; id < engine.user_count(); ++id) orders += engine.book().count_of_user(id);
    out.reserve(out.size() + 64 + engine.pair_count() * 256 + engine.user_count() * 64 + orders * 48);
    ByteWriter w(out);
    w.raw(std::string_view(kMagic, sizeof kMagic));
    w.u8(kSnapshotCodecVersion);

    w.var_signed(engine.clock());
    const GlobalParams& p = engine.params();
    w.var_signed(p.vault_cooldown_ms);
    w.var_unsigned(p.max_open_orders);
    w.amount(p.default_shares_per_amount);
    w.var_signed(p.max_oracle_age_ms);
    w.dec(p.adl_trigger_ratio);
    w.dec(p.protocol_fee_share);
    w.dec(p.liquidation_alert_ratio);
    w.amount(engine.vault().balance);
    w.amount(engine.vault().share_supply);
    w.amount(engine.vault().treasury);
    w.var_unsigned(engine.next_order_id());
    w.var_unsigned(engine.next_lp_seq());
    w.var_unsigned(engine.oracle_epoch());
    w.amount(engine.money_in());
    w.amount(engine.vault().pending_deposits);
    w.dec(engine.vault().uncollectable);
    w.boolean(engine.vault().backs_positions);

    w.var_unsigned(engine.pair_count());
    for (PairId id = 0; id < engine.pair_count(); ++id) write_pair(w, engine.pair(id));
    w.var_unsigned(engine.user_count());
    for (UserId id = 0; id < engine.user_count(); ++id) write_user(w, engine.user(id), engine.book(), id);
    w.var_unsigned(engine.pending_deposits().size());
    for (const PendingDeposit& d : engine.pending_deposits()) {
        w.var_unsigned(d.user);
        w.amount(d.amount);
        w.boolean(d.min_shares.has_value());
        if (d.min_shares) w.amount(*d.min_shares);
        w.var_unsigned(d.seq);
        w.var_unsigned(d.epoch);
    }
}

// Engine's friend: builds a fresh engine from a snapshot.
class SnapshotDecoder {
public:
    explicit SnapshotDecoder(std::string_view bytes) : r_(bytes) {}

    bool run(Engine& out, std::string& error) {
        read_header();
        read_globals();
        read_pairs();
        read_users();
        read_deposits();
        if (r_.ok() && !r_.at_end()) r_.fail("trailing bytes after the snapshot");
        if (r_.ok()) rebuild();
        if (!r_.ok()) {
            error = "snapshot codec: ";
            error += r_.error();
            error += " at byte ";
            error += std::to_string(r_.error_offset());
            return false;
        }
        out = std::move(e_);
        return true;
    }

private:
    void read_header() {
        bool magic = true;
        for (char c : kMagic) magic = static_cast<char>(r_.u8()) == c && magic;
        if (!magic) r_.fail("not an engine snapshot");
        if (r_.u8() != kSnapshotCodecVersion) r_.fail("unsupported snapshot codec version");
    }

    void read_globals() {
        e_.clock_ = r_.var_i64();
        e_.now_ = e_.clock_;  // between commands the engine's "now" is its clock
        GlobalParams& p = e_.params_;
        p.vault_cooldown_ms = r_.var_i64();
        p.max_open_orders = r_.var_u32();
        p.default_shares_per_amount = r_.amount();
        p.max_oracle_age_ms = r_.var_i64();
        p.adl_trigger_ratio = r_.dec();
        p.protocol_fee_share = r_.dec();
        p.liquidation_alert_ratio = r_.dec();
        e_.vault_.balance = r_.amount();
        e_.vault_.share_supply = r_.amount();
        e_.vault_.treasury = r_.amount();
        e_.next_order_id_ = r_.var_u64();
        e_.next_lp_seq_ = r_.var_u64();
        if (e_.next_order_id_ == 0 || e_.next_lp_seq_ == 0) r_.fail("sequence numbers start at 1");
        e_.oracle_epoch_ = r_.var_u64();
        e_.money_in_ = r_.amount();
        e_.vault_.pending_deposits = r_.amount();
        e_.vault_.uncollectable = r_.dec();
        e_.vault_.backs_positions = r_.boolean();
    }

    void read_pairs() {
        const std::size_t n = r_.count(kMinPairBytes);
        if (n >= kNoPair) r_.fail("too many pairs");
        e_.pairs_.reserve(n);
        positions_per_pair_.assign(r_.ok() ? n : 0, 0);
        for (std::size_t id = 0; id < n && r_.ok(); ++id) {
            PairState& p = e_.pairs_.emplace_back();
            p.name = r_.name();
            p.params = read_pair_params(r_);
            const std::uint8_t status = r_.u8();
            if (status > static_cast<std::uint8_t>(PairStatus::Paused)) r_.fail("unknown pair status");
            p.status = static_cast<PairStatus>(status);
            if (r_.boolean()) p.oracle_price = r_.dec();
            p.price_time = r_.var_i64();
            p.price_epoch = r_.var_u64();
            if (p.price_epoch > e_.oracle_epoch_) r_.fail("a price is newer than the oracle epoch");
            p.long_oi = r_.dec();
            p.short_oi = r_.dec();
            p.oi_weighted_entry_price = r_.var_signed(16);
            p.funding.rate = r_.dec();
            p.funding.cumulative_per_unit = r_.dec();
            p.funding.last_time = r_.var_i64();
            p.oi_weighted_entry_funding = r_.dec();
            const std::size_t holders = r_.count(kMinHolderBytes);
            p.holders.reserve(holders);
            for (std::size_t i = 0; i < holders && r_.ok(); ++i) p.holders.push_back(r_.var_u32());
            if (!r_.ok()) return;
            // Valuing positions and the vault reads the oracle price of every pair with open interest.
            if (!p.oracle_price && (!p.holders.empty() || !p.long_oi.is_zero() || !p.short_oi.is_zero() ||
                                    p.oi_weighted_entry_price != 0)) {
                r_.fail("a pair without an oracle price has open interest");
                return;
            }
            if (!e_.pair_index_.emplace(p.name, static_cast<PairId>(id)).second) {
                r_.fail("two pairs have the same name");
                return;
            }
            e_.book_.add_pair();
        }
    }

    void read_users() {
        const std::size_t n = r_.count(kMinUserBytes);
        if (n >= kNoUser) r_.fail("too many users");
        e_.users_.reserve(n);
        for (std::size_t i = 0; i < n && r_.ok(); ++i) {
            const auto id = static_cast<UserId>(i);
            UserState& u = e_.users_.emplace_back();
            u.name = r_.name();
            u.margin = r_.amount();
            u.reserved_margin = r_.amount();
            u.vault_shares = r_.amount();
            u.risk_alerted = r_.boolean();
            read_unlocks(u, id);
            read_positions(u, id);
            read_orders(u, id);
            if (!r_.ok()) return;
            if (!e_.user_index_.emplace(u.name, id).second) {
                r_.fail("two users have the same name");
                return;
            }
            e_.book_.ensure_user(id);
        }
    }

    void read_unlocks(UserState& u, UserId id) {
        const std::size_t n = r_.count(kMinUnlockBytes);
        u.unlocks.reserve(n);
        for (std::size_t i = 0; i < n && r_.ok(); ++i) {
            Unlock& unlock = u.unlocks.emplace_back();
            unlock.shares = r_.amount();
            unlock.amount = r_.amount();
            unlock.priced = r_.boolean();
            unlock.end_time = r_.var_i64();
            unlock.seq = r_.var_u64();
            unlock.epoch = r_.var_u64();
            if (unlock.seq == 0 || unlock.seq >= e_.next_lp_seq_)
                r_.fail("an unlock's sequence number was never issued");
            if (unlock.epoch > e_.oracle_epoch_) r_.fail("an unlock is newer than the oracle epoch");
            if (!unlock.priced && !unlock.amount.is_zero()) r_.fail("an unpriced unlock has an amount");
            lp_seqs_.push_back(unlock.seq);
            releases_.push_back({unlock.end_time, unlock.seq, id});
            if (!unlock.priced) unpriced_.push_back({id, unlock.seq, unlock.epoch});
        }
    }

    void read_deposits() {
        const std::size_t n = r_.count(kMinDepositBytes);
        u128 total = 0;
        std::uint64_t previous = 0, previous_epoch = 0;
        for (std::size_t i = 0; i < n && r_.ok(); ++i) {
            PendingDeposit d;
            d.user = r_.var_u32();
            d.amount = r_.amount();
            if (r_.boolean()) d.min_shares = r_.amount();
            d.seq = r_.var_u64();
            d.epoch = r_.var_u64();
            if (!r_.ok()) return;
            if (d.user >= e_.users_.size()) r_.fail("a deposit names an unknown user");
            if (d.seq <= previous || d.seq >= e_.next_lp_seq_) r_.fail("deposit ids out of sequence");
            if (d.epoch < previous_epoch || d.epoch > e_.oracle_epoch_) r_.fail("deposit epochs out of order");
            if (d.amount.is_zero()) r_.fail("a pending deposit of nothing");
            if (__builtin_add_overflow(total, d.amount.units(), &total)) r_.fail("pending deposits overflow");
            previous = d.seq;
            previous_epoch = d.epoch;
            lp_seqs_.push_back(d.seq);
            e_.deposit_queue_.push_back(d);
        }
        if (r_.ok() && total != e_.vault_.pending_deposits.units())
            r_.fail("the vault's pending deposits are not the sum of the queue");
    }

    void read_positions(UserState& u, UserId id) {
        const std::size_t n = r_.count(kMinPositionBytes);
        u.positions.reserve(n);
        for (std::size_t i = 0; i < n && r_.ok(); ++i) {
            PositionEntry& e = u.positions.emplace_back();
            e.pair = r_.var_u32();
            e.position.size = r_.dec();
            e.position.cost_basis = r_.amount();
            e.position.entry_funding_per_unit = r_.dec();
            e.holder_slot = r_.var_u32();
            if (!r_.ok()) return;
            if (e.pair >= e_.pairs_.size() || (i > 0 && e.pair <= u.positions[i - 1].pair)) {
                r_.fail("positions are not in ascending order of known pairs");
                return;
            }
            if (e.position.size.is_zero()) r_.fail("a position has size zero");
            const std::vector<UserId>& holders = e_.pairs_[e.pair].holders;
            if (e.holder_slot >= holders.size() || holders[e.holder_slot] != id)
                r_.fail("a position's holder slot does not name its user");
            ++positions_per_pair_[e.pair];
            ++e_.open_positions_;
        }
    }

    void read_orders(UserState& u, UserId id) {
        const std::size_t n = r_.count(kMinOrderBytes);
        u128 reserved = 0;
        OrderId previous = 0;
        for (std::size_t i = 0; i < n && r_.ok(); ++i) {
            RestingOrder o;
            o.id = r_.var_u64();
            o.user = id;
            o.pair = r_.var_u32();
            o.size = r_.dec();
            o.limit_price = r_.dec();
            o.reserved_margin = r_.amount();
            o.created_at = r_.var_i64();
            o.reduce_only = r_.boolean();
            o.reserved_opening = r_.dec();
            std::optional<Dec> parked_need;
            if (r_.boolean()) parked_need = r_.dec();
            if (!r_.ok()) return;
            if (parked_need && !parked_need->is_positive()) r_.fail("a parked order needs no room");
            if (o.reserved_opening.is_negative()) r_.fail("a negative reserved opening");
            // A user's orders are listed in placement order, which is id order.
            if (o.id <= previous || o.id >= e_.next_order_id_) r_.fail("order ids out of sequence");
            if (o.pair >= e_.pairs_.size()) r_.fail("an order names an unknown pair");
            if (o.size.is_zero()) r_.fail("a resting order has size zero");
            if (__builtin_add_overflow(reserved, o.reserved_margin.units(), &reserved))
                r_.fail("reserved margin overflows");
            previous = o.id;
            orders_.push_back({o, parked_need});
        }
        // Cancels and fills subtract each order's reservation from the user's:
        // they must agree or a later command would fail after its commit point.
        if (r_.ok() && reserved != u.reserved_margin.units())
            r_.fail("a user's reserved margin is not the sum over their orders");
    }

    void rebuild() {
        for (PairId p = 0; p < e_.pairs_.size(); ++p) {
            if (positions_per_pair_[p] != e_.pairs_[p].holders.size()) {
                r_.fail("a pair's holders do not match the positions held in it");
                return;
            }
        }
        std::sort(orders_.begin(), orders_.end(),
                  [](const StoredOrder& a, const StoredOrder& b) { return a.order.id < b.order.id; });
        for (std::size_t i = 1; i < orders_.size(); ++i) {
            if (orders_[i].order.id == orders_[i - 1].order.id) {
                r_.fail("two resting orders have the same id");
                return;
            }
        }
        // Ascending ids replay the engine's own insertion order: every level's
        // FIFO and every user's list come out as they were; parking then takes
        // the parked ones out of their levels, as it did.
        std::vector<Slot> slots;
        slots.reserve(orders_.size());
        for (const StoredOrder& o : orders_) slots.push_back(e_.book_.insert(o.order));
        for (std::size_t i = 0; i < orders_.size(); ++i) {
            if (orders_[i].parked_need) e_.book_.park(slots[i], *orders_[i].parked_need);
        }

        // Deposits and unlocks share one id space.
        std::sort(lp_seqs_.begin(), lp_seqs_.end());
        if (std::adjacent_find(lp_seqs_.begin(), lp_seqs_.end()) != lp_seqs_.end()) {
            r_.fail("two vault requests have the same id");
            return;
        }
        // Unpriced unlocks are priced in request order, which is id order.
        std::sort(unpriced_.begin(), unpriced_.end(),
                  [](const Engine::UnpricedUnlock& a, const Engine::UnpricedUnlock& b) { return a.seq < b.seq; });
        for (std::size_t i = 1; i < unpriced_.size(); ++i) {
            if (unpriced_[i].epoch < unpriced_[i - 1].epoch) {
                r_.fail("unpriced unlocks' epochs out of order");
                return;
            }
        }
        e_.unpriced_unlocks_.assign(unpriced_.begin(), unpriced_.end());
        // The queue orders by (end_time, seq), unique per unlock, so any heap
        // of the same entries pops in the same order as the original.
        e_.releases_ = decltype(e_.releases_)(std::greater<>{}, std::move(releases_));
    }

    ByteReader r_;
    Engine e_;
    std::vector<std::uint32_t> positions_per_pair_;
    struct StoredOrder {
        RestingOrder order;
        std::optional<Dec> parked_need;
    };
    std::vector<StoredOrder> orders_;
    std::vector<Engine::PendingRelease> releases_;
    std::vector<Engine::UnpricedUnlock> unpriced_;
    std::vector<std::uint64_t> lp_seqs_;
};

bool decode_engine(std::string_view bytes, Engine& out, std::string& error) {
    return SnapshotDecoder(bytes).run(out, error);
}

}  // namespace ballast::core
