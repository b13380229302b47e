// The book feed's bookkeeping without sockets: which records a following
// read makes obsolete, what a level's total becomes, and what happens when
// the read fails. Expected levels are worked out by hand in each test.
#include <gtest/gtest.h>

#include "api/book_feed.hpp"
#include "engine_harness.hpp"

namespace ballast::api {
namespace {

using core::Name;
using testing::dec;

sequencer::StreamRecord record(std::uint64_t seq, std::vector<core::Event> events) {
    sequencer::StreamRecord r;
    r.seq = seq;
    r.time = 1'000 + static_cast<core::TimeMs>(seq);
    std::uint32_t index = 0;
    for (core::Event& e : events) r.events.push_back({index++, std::move(e), Name::from("alice"), Name::from("BTC")});
    return r;
}

core::Event rested(core::OrderId id, std::string_view size, std::string_view price) {
    return core::OrderRestedEvent{0, 0, id, dec(size), dec(price), false, core::Amount{}, 0};
}

sequencer::Response book_read(std::uint64_t seq, std::string body, std::uint16_t status = 200) {
    sequencer::Response r;
    r.status = status;
    r.body = std::move(body);
    r.seq = seq;
    return r;
}

// The data of the one message expected.
std::string only_data(const std::vector<ChannelMessage>& messages) {
    EXPECT_EQ(messages.size(), 1u);
    if (messages.empty()) return "";
    const std::string& tail = *messages[0].tail;
    const auto at = tail.find(R"("data":)");
    return tail.substr(at + 7, tail.size() - at - 8);
}

TEST(BookFeed, RecordsReadWhileTheBookIsReadApplyOnlyIfTheReadDoesNotShowThem) {
    BookFeed feed;
    const auto ticket = feed.follow(Name::from("BTC"));
    ASSERT_TRUE(ticket);
    EXPECT_FALSE(feed.follow(Name::from("BTC"))) << "one read per market";

    std::vector<ChannelMessage> out;
    std::vector<std::string> broken;
    // Seq 4 is in the read (seq 5); seq 6 is not.
    feed.apply(record(4, {rested(1, "2", "95")}), out, broken);
    feed.apply(record(6, {rested(2, "1.5", "95")}), out, broken);
    EXPECT_TRUE(out.empty()) << "nothing is sent before the read is in";
    feed.synced(*ticket, book_read(5, R"({"pair":"BTC","bids":[{"price":"95","size":"2","orders":1}],"asks":[]})"));
    feed.take_synced(out, broken);
    // 2 (the read) + 1.5 (seq 6) at 95, two orders.
    EXPECT_EQ(only_data(out), R"({"pair":"BTC","bids":[{"price":"95","size":"3.5","orders":2}],"asks":[]})");
    EXPECT_EQ(out[0].seq, 6u);
    EXPECT_EQ(out[0].channel, "market.BTC.book");
    EXPECT_TRUE(broken.empty());
}

TEST(BookFeed, FillsCancelsAndUpdatesMoveTheirLevels) {
    BookFeed feed;
    const auto ticket = feed.follow(Name::from("BTC"));
    std::vector<ChannelMessage> out;
    std::vector<std::string> broken;
    feed.synced(*ticket, book_read(1, R"({"pair":"BTC","bids":[{"price":"95","size":"5","orders":2}],)"
                                      R"("asks":[{"price":"110","size":"1","orders":1}]})"));
    feed.take_synced(out, broken);
    ASSERT_TRUE(out.empty());

    // A reduce-only bid of 3 at 95 fills 1 and keeps 2: the level loses 1
    // and keeps both orders.
    core::FillEvent fill{};
    fill.size = dec("1");
    fill.price = dec("94.6");
    fill.resting_limit_price = dec("95");
    feed.apply(record(2, {fill, core::OrderUpdatedEvent{0, 0, 7, dec("2"), core::Amount{}, dec("95")}}), out, broken);
    EXPECT_EQ(only_data(out), R"({"pair":"BTC","bids":[{"price":"95","size":"4","orders":2}],"asks":[]})");

    // Canceling the ask empties its level: size 0, orders 0.
    out.clear();
    feed.apply(record(3, {core::OrderCanceledEvent{0, 0, 9, dec("-1"), core::Amount{}, core::CancelReason::ByOwner,
                                                   dec("110")}}),
               out, broken);
    EXPECT_EQ(only_data(out), R"({"pair":"BTC","bids":[],"asks":[{"price":"110","size":"0","orders":0}]})");

    // A fill of an order filled on arrival is no book change.
    out.clear();
    core::FillEvent taker{};
    taker.size = dec("-3");
    taker.price = dec("94");
    feed.apply(record(4, {taker}), out, broken);
    EXPECT_TRUE(out.empty());
}

TEST(BookFeed, AMarketThatDidNotExistStartsEmptyAndAFailedReadCutsItsSubscribers) {
    BookFeed feed;
    std::vector<ChannelMessage> out;
    std::vector<std::string> broken;
    const auto missing = feed.follow(Name::from("BTC"));
    feed.synced(*missing, book_read(3, R"({"code":"unknown_pair","message":"..."})", 404));
    feed.apply(record(4, {rested(1, "-2", "101")}), out, broken);
    EXPECT_EQ(only_data(out), R"({"pair":"BTC","bids":[],"asks":[{"price":"101","size":"2","orders":1}]})");
    EXPECT_TRUE(broken.empty());

    const auto failing = feed.follow(Name::from("ETH"));
    feed.synced(*failing, book_read(0, R"({"code":"shutting_down","message":"..."})", 503));
    out.clear();
    feed.take_synced(out, broken);
    EXPECT_EQ(broken, std::vector<std::string>{"market.ETH.book"});
    EXPECT_TRUE(feed.follow(Name::from("ETH"))) << "the next subscriber reads it again";

    // After unfollow (the last subscriber left), BTC is read anew.
    feed.unfollow(Name::from("BTC"));
    EXPECT_TRUE(feed.follow(Name::from("BTC")));
}

}  // namespace
}  // namespace ballast::api
