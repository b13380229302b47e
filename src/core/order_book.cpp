#include "core/order_book.hpp"

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

    const Side side = side_of(order.size);
    const i128 key = side == Side::Bid ? -order.limit_price.raw() : order.limit_price.raw();
    auto [level, created] = levels(order.pair, side).try_emplace(key);
    node.level = level;
    node.level_next = kNoSlot;
    node.level_prev = level->second.tail;
    if (level->second.tail != kNoSlot) nodes_[level->second.tail].level_next = slot;
    level->second.tail = slot;
    if (level->second.head == kNoSlot) level->second.head = slot;

    ensure_user(order.user);
    UserOrders& mine = users_[order.user];
    node.user_next = kNoSlot;
    node.user_prev = mine.tail;
    if (mine.tail != kNoSlot) nodes_[mine.tail].user_next = slot;
    mine.tail = slot;
    if (mine.head == kNoSlot) mine.head = slot;
    ++mine.count;

    index_.emplace(order.id, slot);
    return slot;
}

void OrderBook::erase(Slot slot) {
    Node& node = nodes_[slot];
    Level& level = node.level->second;
    if (node.level_prev != kNoSlot)
        nodes_[node.level_prev].level_next = node.level_next;
    else
        level.head = node.level_next;
    if (node.level_next != kNoSlot)
        nodes_[node.level_next].level_prev = node.level_prev;
    else
        level.tail = node.level_prev;
    if (level.head == kNoSlot) levels(node.order.pair, side_of(node.order.size)).erase(node.level);

    UserOrders& mine = users_[node.order.user];
    if (node.user_prev != kNoSlot)
        nodes_[node.user_prev].user_next = node.user_next;
    else
        mine.head = node.user_next;
    if (node.user_next != kNoSlot)
        nodes_[node.user_next].user_prev = node.user_prev;
    else
        mine.tail = node.user_prev;
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
    if (node.level_next != kNoSlot) return node.level_next;
    auto next_level = std::next(node.level);
    const Levels& side_levels = levels(node.order.pair, side_of(node.order.size));
    return next_level == side_levels.end() ? kNoSlot : next_level->second.head;
}

Slot OrderBook::first_of_user(UserId user) const { return user < users_.size() ? users_[user].head : kNoSlot; }

std::uint32_t OrderBook::count_of_user(UserId user) const { return user < users_.size() ? users_[user].count : 0; }

}  // namespace ballast::core
