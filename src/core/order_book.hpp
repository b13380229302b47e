// Resting good-til-cancelled limit orders of every pair.
//
// Each pair has a bid side and an ask side. A side is a map of price levels,
// most competitive first; a level is a FIFO of orders. Order ids rise and
// times never go backwards, so FIFO within a level is exactly the spec's
// (created_at, order_id) priority. Orders live in one pool of slots, reached
// by id through a flat hash index (for cancels) and linked per user (for
// queries and the open-order cap).
//
// An order can be parked: it stays in the book (found by id, listed for its
// user and in views) but leaves its level, so priority walks do not visit it,
// until it is unparked back into its place by id. The engine parks orders
// that the max-OI cap blocks, keyed by the room they need, so that thousands
// of blocked orders cost nothing until room appears.
#pragma once

#include <map>
#include <set>
#include <utility>
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
    Dec reserved_opening;  // the opening (magnitude) that reservation covers
};

class OrderBook {
public:
    void add_pair();
    void ensure_user(UserId user);

    // Appends behind every order of equal price on its side.
    Slot insert(const RestingOrder& order);
    void erase(Slot slot);

    // Parking (see above). `needed` is what unpark_fitting compares with the room.
    void park(Slot slot, Dec needed);
    bool is_parked(Slot slot) const { return nodes_[slot].parked; }
    Dec parked_need(Slot slot) const { return Dec::from_raw(nodes_[slot].need); }
    // Unparks, in priority order, the parked orders of the side that fit in
    // `room` together (each unparked one uses up its need), stopping once the
    // room left is below every parked order's need: the walk costs what it
    // brings back, not what stays blocked.
    void unpark_fitting(PairId pair, Side side, Dec room);
    void unpark_all(PairId pair);
    bool has_parked(PairId pair) const {
        return !pairs_[pair].parked_bids.empty() || !pairs_[pair].parked_asks.empty();
    }
    // Unparks the user's parked orders on the pair.
    void unpark_user(UserId user, PairId pair);
    std::uint32_t parked_count_of_user(UserId user) const;

    // Every order of a side, parked ones included, in priority order.
    std::vector<Slot> side_in_priority(PairId pair, Side side) const;

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
    // Parked orders of a side in priority order (level key, id), and the
    // room each needs (for the smallest).
    struct Parked {
        std::map<std::pair<i128, OrderId>, Slot> by_priority;
        std::multiset<i128> needs;
        bool empty() const { return by_priority.empty(); }
    };

    struct Node {
        RestingOrder order;
        Levels::iterator level;  // valid while not parked
        i128 need = 0;           // while parked: the room it needs (raw)
        bool parked = false;
        Links in_level, in_user;
    };
    struct PairSides {
        Levels bids, asks;
        Parked parked_bids, parked_asks;
    };
    struct UserOrders {
        Ends list;
        std::uint32_t count = 0;
        std::uint32_t parked = 0;
    };

    static i128 level_key(const RestingOrder& order) {
        return side_of(order.size) == Side::Bid ? -order.limit_price.raw() : order.limit_price.raw();
    }
    Parked& parked(PairId pair, Side side) {
        return side == Side::Bid ? pairs_[pair].parked_bids : pairs_[pair].parked_asks;
    }
    // Links a node into its level's FIFO: at the back when it is the newest,
    // otherwise where its id belongs (an unparked order returns to its place).
    void link_into_level(Slot slot);
    void unlink_from_level(Slot slot);
    void unpark(Slot slot);

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
