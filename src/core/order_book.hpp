// Resting good-til-cancelled limit orders of every pair.
//
// Each pair has a bid side and an ask side. A side is a map of price levels,
// most competitive first; a level is a FIFO of orders. Order ids rise and
// times never go backwards, so FIFO within a level is exactly the spec's
// (created_at, order_id) priority. Orders live in one pool of slots, reached
// by id through a flat hash index (for cancels) and linked per user (for
// queries and the open-order cap).
#pragma once

#include <map>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/types.hpp"

namespace ballast::core {

using Slot = std::uint32_t;
inline constexpr Slot kNoSlot = std::numeric_limits<Slot>::max();

enum class Side : std::uint8_t { Bid, Ask };
constexpr Side side_of(Dec size) { return size.is_positive() ? Side::Bid : Side::Ask; }

struct RestingOrder {
    OrderId id = 0;
    UserId user = kNoUser;
    PairId pair = 0;
    Dec size;  // unfilled remainder; its sign is the side
    Dec limit_price;
    Amount reserved_margin;  // exactly what was reserved for this order
    TimeMs created_at = 0;
    bool reduce_only = false;
};

class OrderBook {
public:
    void add_pair();
    void ensure_user(UserId user);

    // Appends behind every order of equal price on its side.
    Slot insert(const RestingOrder& order);
    void erase(Slot slot);

    const RestingOrder& at(Slot slot) const { return nodes_[slot].order; }
    RestingOrder& at(Slot slot) { return nodes_[slot].order; }
    Slot find(OrderId id) const;

    // Priority iteration over one side of a pair; kNoSlot past the end.
    Slot best(PairId pair, Side side) const;
    Slot next_in_priority(Slot slot) const;

    // A user's orders in the order they were placed.
    Slot first_of_user(UserId user) const;
    Slot next_of_user(Slot slot) const { return nodes_[slot].in_user.next; }
    std::uint32_t count_of_user(UserId user) const;

private:
    // Each node sits in two intrusive doubly linked lists through the pool:
    // its price level's FIFO and its user's orders.
    struct Links {
        Slot prev = kNoSlot, next = kNoSlot;
    };
    struct Ends {
        Slot head = kNoSlot, tail = kNoSlot;
    };
    using Level = Ends;
    // Key: price for asks, -price for bids, so begin() is the best level.
    using Levels = std::map<i128, Level>;

    struct Node {
        RestingOrder order;
        Levels::iterator level;
        Links in_level, in_user;
    };
    struct PairSides {
        Levels bids, asks;
    };
    struct UserOrders {
        Ends list;
        std::uint32_t count = 0;
    };

    template <Links Node::*kList>
    void link_back(Ends& ends, Slot slot) {
        Links& links = nodes_[slot].*kList;
        links = {ends.tail, kNoSlot};
        if (ends.tail != kNoSlot)
            (nodes_[ends.tail].*kList).next = slot;
        else
            ends.head = slot;
        ends.tail = slot;
    }
    template <Links Node::*kList>
    void unlink(Ends& ends, Slot slot) {
        const Links links = nodes_[slot].*kList;
        if (links.prev != kNoSlot)
            (nodes_[links.prev].*kList).next = links.next;
        else
            ends.head = links.next;
        if (links.next != kNoSlot)
            (nodes_[links.next].*kList).prev = links.prev;
        else
            ends.tail = links.prev;
    }

    Levels& levels(PairId pair, Side side) { return side == Side::Bid ? pairs_[pair].bids : pairs_[pair].asks; }
    const Levels& levels(PairId pair, Side side) const {
        return side == Side::Bid ? pairs_[pair].bids : pairs_[pair].asks;
    }

    std::vector<Node> nodes_;
    std::vector<Slot> free_slots_;
    std::vector<PairSides> pairs_;
    std::vector<UserOrders> users_;
    boost::unordered_flat_map<OrderId, Slot> index_;
};

}  // namespace ballast::core
