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
    node.level = levels(order.pair, side).try_emplace(key).first;
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
    unlink<&Node::in_level>(node.level->second, slot);
    if (node.level->second.head == kNoSlot) levels(node.order.pair, side_of(node.order.size)).erase(node.level);

    UserOrders& mine = users_[node.order.user];
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

Slot OrderBook::first_of_user(UserId user) const { return user < users_.size() ? users_[user].list.head : kNoSlot; }

std::uint32_t OrderBook::count_of_user(UserId user) const { return user < users_.size() ? users_[user].count : 0; }

}  // namespace ballast::core
