#include "core/order_book.hpp"

#include <algorithm>

namespace ballast::core {

void OrderBook::add_pair() { pairs_.emplace_back(); }

void OrderBook::ensure_user(UserId user) {
    if (users_.size() <= user) users_.resize(static_cast<std::size_t>(user) + 1);
}

Slot OrderBook::insert(const RestingOrder& order) {
    Slot slot = 0;
    if (free_slots_.empty()) {
        slot = static_cast<Slot>(nodes_.size());
        nodes_.emplace_back();
    } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
    }
    Node& node = nodes_[slot];
    node.order = order;
    node.parked = false;
    node.level = levels(order.pair, side_of(order.size)).try_emplace(level_key(order)).first;
    link_back<&Node::in_level>(node.level->second, slot);

    ensure_user(order.user);
    UserOrders& mine = users_[order.user];
    link_back<&Node::in_user>(mine.list, slot);
    ++mine.count;

    index_.emplace(order.id, slot);
    return slot;
}

void OrderBook::erase(Slot slot) {
    Node& node = nodes_[slot];
    UserOrders& mine = users_[node.order.user];
    if (node.parked) {
        Parked& waiting = parked(node.order.pair, side_of(node.order.size));
        waiting.by_priority.erase({level_key(node.order), node.order.id});
        waiting.needs.erase(waiting.needs.find(node.need));
        node.parked = false;
        --mine.parked;
    } else {
        unlink_from_level(slot);
    }
    unlink<&Node::in_user>(mine.list, slot);
    --mine.count;

    index_.erase(node.order.id);
    free_slots_.push_back(slot);
}

Slot OrderBook::find(OrderId id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? kNoSlot : it->second;
}

Slot OrderBook::best(PairId pair, Side side) const {
    const Levels& side_levels = levels(pair, side);
    return side_levels.empty() ? kNoSlot : side_levels.begin()->second.head;
}

Slot OrderBook::next_in_priority(Slot slot) const {
    const Node& node = nodes_[slot];
    if (node.in_level.next != kNoSlot) return node.in_level.next;
    auto next_level = std::next(node.level);
    const Levels& side_levels = levels(node.order.pair, side_of(node.order.size));
    return next_level == side_levels.end() ? kNoSlot : next_level->second.head;
}

void OrderBook::unlink_from_level(Slot slot) {
    Node& node = nodes_[slot];
    unlink<&Node::in_level>(node.level->second, slot);
    if (node.level->second.head == kNoSlot) levels(node.order.pair, side_of(node.order.size)).erase(node.level);
}

void OrderBook::link_into_level(Slot slot) {
    Node& node = nodes_[slot];
    node.level = levels(node.order.pair, side_of(node.order.size)).try_emplace(level_key(node.order)).first;
    Level& level = node.level->second;
    const OrderId id = node.order.id;
    // The level is in id order. Search from both ends at once, so the cost is
    // the distance from the nearer end.
    Slot after = level.tail;   // candidate: the last node with a smaller id
    Slot before = level.head;  // candidate: the first node with a larger id
    while (after != kNoSlot && nodes_[after].order.id > id) {
        if (before != kNoSlot && nodes_[before].order.id > id) {
            after = nodes_[before].in_level.prev;  // `before` is the first larger one
            break;
        }
        after = nodes_[after].in_level.prev;
        if (before != kNoSlot) before = nodes_[before].in_level.next;
    }
    Links& links = node.in_level;
    links.prev = after;
    links.next = after == kNoSlot ? level.head : nodes_[after].in_level.next;
    if (links.prev != kNoSlot)
        nodes_[links.prev].in_level.next = slot;
    else
        level.head = slot;
    if (links.next != kNoSlot)
        nodes_[links.next].in_level.prev = slot;
    else
        level.tail = slot;
}

void OrderBook::park(Slot slot, Dec needed) {
    Node& node = nodes_[slot];
    if (node.parked) return;
    unlink_from_level(slot);
    Parked& waiting = parked(node.order.pair, side_of(node.order.size));
    waiting.by_priority.emplace(std::pair{level_key(node.order), node.order.id}, slot);
    waiting.needs.insert(needed.raw());
    node.need = needed.raw();
    node.parked = true;
    ++users_[node.order.user].parked;
}

void OrderBook::unpark(Slot slot) {
    Node& node = nodes_[slot];
    Parked& waiting = parked(node.order.pair, side_of(node.order.size));
    waiting.by_priority.erase({level_key(node.order), node.order.id});
    waiting.needs.erase(waiting.needs.find(node.need));
    node.parked = false;
    --users_[node.order.user].parked;
    link_into_level(slot);
}

void OrderBook::unpark_fitting(PairId pair, Side side, Dec room) {
    Parked& waiting = parked(pair, side);
    i128 left = room.raw();
    auto it = waiting.by_priority.begin();
    while (it != waiting.by_priority.end() && !waiting.needs.empty() && *waiting.needs.begin() <= left) {
        const Slot slot = it->second;
        ++it;  // unparking erases the entry
        if (nodes_[slot].need <= left) {
            left -= nodes_[slot].need;
            unpark(slot);
        }
    }
}

void OrderBook::unpark_all(PairId pair) {
    for (Side side : {Side::Bid, Side::Ask}) {
        Parked& waiting = parked(pair, side);
        while (!waiting.empty()) unpark(waiting.by_priority.begin()->second);
    }
}

void OrderBook::unpark_user(UserId user, PairId pair) {
    if (parked_count_of_user(user) == 0) return;
    for (Slot s = first_of_user(user); s != kNoSlot; s = next_of_user(s)) {
        if (nodes_[s].parked && nodes_[s].order.pair == pair) unpark(s);
    }
}

std::uint32_t OrderBook::parked_count_of_user(UserId user) const {
    return user < users_.size() ? users_[user].parked : 0;
}

std::vector<Slot> OrderBook::side_in_priority(PairId pair, Side side) const {
    std::vector<Slot> out;
    for (Slot s = best(pair, side); s != kNoSlot; s = next_in_priority(s)) out.push_back(s);
    const PairSides& sides = pairs_[pair];
    const Parked& waiting = side == Side::Bid ? sides.parked_bids : sides.parked_asks;
    if (waiting.empty()) return out;
    for (const auto& [key, slot] : waiting.by_priority) out.push_back(slot);
    std::sort(out.begin(), out.end(), [&](Slot a, Slot b) {
        const i128 ka = level_key(nodes_[a].order), kb = level_key(nodes_[b].order);
        return ka != kb ? ka < kb : nodes_[a].order.id < nodes_[b].order.id;
    });
    return out;
}

Slot OrderBook::first_of_user(UserId user) const { return user < users_.size() ? users_[user].list.head : kNoSlot; }

std::uint32_t OrderBook::count_of_user(UserId user) const { return user < users_.size() ? users_[user].count : 0; }

}  // namespace ballast::core
