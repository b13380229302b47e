#include "api/book_feed.hpp"

#include <set>

#include <boost/json/parse.hpp>

namespace ballast::api {

namespace {

core::Dec magnitude(core::Dec size) { return size.abs(); }

}  // namespace

std::optional<std::uint64_t> BookFeed::follow(const core::Name& pair) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = markets_.try_emplace(std::string(pair.view()));
    if (!inserted) return std::nullopt;
    it->second.ticket = next_ticket_++;
    return it->second.ticket;
}

void BookFeed::failed(std::uint64_t ticket) {
    std::lock_guard lock(mutex_);
    std::erase_if(markets_, [ticket](const auto& entry) { return entry.second.ticket == ticket; });
}

void BookFeed::unfollow(const core::Name& pair) {
    std::lock_guard lock(mutex_);
    markets_.erase(std::string(pair.view()));
}

void BookFeed::synced(std::uint64_t ticket, sequencer::Response&& response) {
    std::lock_guard lock(mutex_);
    arrived_.push_back({ticket, std::move(response)});
}

void BookFeed::reset() {
    std::lock_guard lock(mutex_);
    markets_.clear();
    arrived_.clear();
}

void BookFeed::changes_of(const sequencer::StreamRecord& record, std::map<std::string, std::vector<Change>>& out) {
    for (const sequencer::StreamEvent& e : record.events) {
        std::optional<Change> change;
        if (const auto* rested = std::get_if<core::OrderRestedEvent>(&e.event))
            change = Change{rested->size.is_positive(), rested->limit_price, magnitude(rested->size), 1};
        else if (const auto* canceled = std::get_if<core::OrderCanceledEvent>(&e.event))
            change = Change{canceled->size.is_positive(), canceled->limit_price, -magnitude(canceled->size), -1};
        else if (const auto* fill = std::get_if<core::FillEvent>(&e.event); fill && fill->resting_limit_price)
            // The order leaves its level; if a part of it is left, the
            // OrderUpdatedEvent that follows puts it back.
            change = Change{fill->size.is_positive(), *fill->resting_limit_price, -magnitude(fill->size), -1};
        else if (const auto* updated = std::get_if<core::OrderUpdatedEvent>(&e.event))
            change = Change{updated->size.is_positive(), updated->limit_price, core::Dec{}, 1};
        if (change) out[std::string(e.pair.view())].push_back(*change);
    }
}

void BookFeed::move(const std::string& pair, Market& market, std::uint64_t seq, core::TimeMs time,
                    const std::vector<Change>& changes, std::vector<ChannelMessage>& out) {
    std::set<core::i128> touched_bids, touched_asks;
    for (const Change& change : changes) {
        Level& level = (change.bid ? market.bids : market.asks)[change.price.raw()];
        if (level.size) level.size = core::computed([&] { return *level.size + change.size; });
        level.orders += change.orders;
        (change.bid ? touched_bids : touched_asks).insert(change.price.raw());
    }
    market.seq = seq;
    // The touched levels' new totals, most competitive first.
    core::BookView delta;
    const auto report = [](Side& side, core::i128 price, std::vector<core::BookLevel>& into) {
        const auto it = side.find(price);
        if (it->second.orders <= 0) {
            into.push_back({core::Dec::from_raw(price), core::Dec{}, 0});
            side.erase(it);
        } else {
            into.push_back(
                {core::Dec::from_raw(price), it->second.size, static_cast<std::uint32_t>(it->second.orders)});
        }
    };
    for (auto it = touched_bids.rbegin(); it != touched_bids.rend(); ++it) report(market.bids, *it, delta.bids);
    for (const core::i128 price : touched_asks) report(market.asks, price, delta.asks);
    if (delta.bids.empty() && delta.asks.empty()) return;
    std::string data;
    JsonWriter w(data);
    write_book(w, pair, delta);
    out.push_back({"market." + pair + ".book", seq, message_tail(seq, time, "book", data)});
}

bool BookFeed::install(Market& market, const sequencer::Response& response) {
    if (response.status == 404) {  // no such market at that seq: its book was empty
        market.seq = response.seq;
        market.ready = true;
        return true;
    }
    if (response.status != 200) return false;
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(response.body, ec);
    if (ec || !doc.is_object()) return false;
    for (const bool bid : {true, false}) {
        const boost::json::value* levels = doc.as_object().if_contains(bid ? "bids" : "asks");
        if (levels == nullptr || !levels->is_array()) return false;
        Side& side = bid ? market.bids : market.asks;
        for (const boost::json::value& item : levels->as_array()) {
            const boost::json::object* level = item.if_object();
            if (level == nullptr) return false;
            const boost::json::value* price = level->if_contains("price");
            const boost::json::value* size = level->if_contains("size");
            const boost::json::value* orders = level->if_contains("orders");
            core::Dec parsed_price, parsed_size;
            if (price == nullptr || !price->is_string() || size == nullptr || orders == nullptr ||
                !orders->is_int64() || core::parse_dec(price->as_string(), parsed_price) != core::ParseError::None)
                return false;
            Level& into = side[parsed_price.raw()];
            into.orders = orders->as_int64();
            if (size->is_null())
                into.size.reset();
            else if (!size->is_string() || core::parse_dec(size->as_string(), parsed_size) != core::ParseError::None)
                return false;
            else
                into.size = parsed_size;
        }
    }
    market.seq = response.seq;
    market.ready = true;
    return true;
}

void BookFeed::take_synced(std::vector<ChannelMessage>& out, std::vector<std::string>& broken) {
    std::lock_guard lock(mutex_);
    for (Arrived& arrived : arrived_) {
        const auto it = std::find_if(markets_.begin(), markets_.end(),
                                     [&](const auto& entry) { return entry.second.ticket == arrived.ticket; });
        if (it == markets_.end()) continue;  // forgotten meanwhile (the feed was lapped)
        Market& market = it->second;
        if (!install(market, arrived.response)) {
            broken.push_back("market." + it->first + ".book");
            markets_.erase(it);
            continue;
        }
        for (const Held& held : market.held)
            if (held.seq > market.seq) move(it->first, market, held.seq, held.time, held.changes, out);
        market.held.clear();
        market.held.shrink_to_fit();
    }
    arrived_.clear();
}

void BookFeed::apply(const sequencer::StreamRecord& record, std::vector<ChannelMessage>& out,
                     std::vector<std::string>& broken) {
    take_synced(out, broken);
    std::map<std::string, std::vector<Change>> changes;
    changes_of(record, changes);
    if (changes.empty()) return;
    std::lock_guard lock(mutex_);
    for (auto& [pair, pair_changes] : changes) {
        const auto it = markets_.find(pair);
        if (it == markets_.end()) continue;  // nobody follows it
        Market& market = it->second;
        if (!market.ready)
            market.held.push_back({record.seq, record.time, std::move(pair_changes)});
        else if (record.seq > market.seq)
            move(pair, market, record.seq, record.time, pair_changes, out);
    }
}

}  // namespace ballast::api
