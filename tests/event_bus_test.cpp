// The event bus: one producer, consumers with their own cursors, bounded.
#include "sequencer/event_bus.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "engine_harness.hpp"
#include "sequencer/sequencer.hpp"
#include "temp_dir.hpp"

namespace ballast::sequencer {
namespace {

std::shared_ptr<const StreamBatch> batch_of(std::uint64_t first, std::uint64_t last) {
    auto batch = std::make_shared<StreamBatch>();
    for (std::uint64_t seq = first; seq <= last; ++seq) batch->records.push_back(StreamRecord{seq, 0, {}, {}, {}, {}});
    return batch;
}

constexpr auto kNoWait = std::chrono::milliseconds(0);

TEST(EventBus, EachConsumerReadsEveryBatchFromWhereItSubscribed) {
    EventBus bus(8);
    EventBus::Cursor early = bus.subscribe();
    bus.publish(batch_of(1, 2));
    EventBus::Cursor late = bus.subscribe();
    bus.publish(batch_of(3, 3));
    bus.publish(std::make_shared<StreamBatch>());  // empty: dropped

    auto read = bus.next(early, kNoWait);
    ASSERT_EQ(read.status, EventBus::Status::Batch);
    EXPECT_EQ(read.batch->records.front().seq, 1u);
    read = bus.next(early, kNoWait);
    ASSERT_EQ(read.status, EventBus::Status::Batch);
    EXPECT_EQ(read.batch->records.front().seq, 3u);
    EXPECT_EQ(bus.next(early, kNoWait).status, EventBus::Status::TimedOut);

    read = bus.next(late, kNoWait);
    ASSERT_EQ(read.status, EventBus::Status::Batch);
    EXPECT_EQ(read.batch->records.front().seq, 3u);
    EXPECT_EQ(bus.published(), 2u);
    EXPECT_EQ(bus.last_seq(), 3u);
}

TEST(EventBus, AConsumerMoreThanTheCapacityBehindIsToldItWasLappedAndHowFar) {
    EventBus bus(4);
    EventBus::Cursor slow = bus.subscribe();
    for (std::uint64_t seq = 1; seq <= 10; ++seq) bus.publish(batch_of(seq, seq));  // never blocks
    const auto lapped = bus.next(slow, kNoWait);
    ASSERT_EQ(lapped.status, EventBus::Status::Lapped);
    EXPECT_EQ(lapped.behind, 6u);  // batches 1 to 6 are gone; 7 to 10 are held
    const auto next = bus.next(slow, kNoWait);
    ASSERT_EQ(next.status, EventBus::Status::Batch);
    EXPECT_EQ(next.batch->records.front().seq, 7u);
}

TEST(EventBus, AWaitingConsumerWakesOnPublishAndOnClose) {
    EventBus bus(4);
    EventBus::Cursor cursor = bus.subscribe();
    std::thread producer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        bus.publish(batch_of(1, 1));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        bus.close();
    });
    EXPECT_EQ(bus.next(cursor, std::chrono::seconds(10)).status, EventBus::Status::Batch);
    EXPECT_EQ(bus.next(cursor, std::chrono::seconds(10)).status, EventBus::Status::Closed);
    producer.join();
}

}  // namespace
}  // namespace ballast::sequencer

namespace ballast::sequencer {
namespace {

// The sequencer publishes what it made durable: accepted commands only, in
// sequence, each event with the names it concerns and its index.
TEST(EventStream, TheSequencerPublishesAcceptedCommandsInSequenceWithTheirNames) {
    testing::TempDir dir("stream");
    EventBus bus;
    SequencerConfig config;
    config.data_dir = dir.path();
    config.bus = &bus;
    EventBus::Cursor cursor = bus.subscribe();
    Sequencer s(config);
    s.recover();
    s.start();
    auto call = [&](core::CommandBody command) {
        return s.call(WriteRequest{std::move(command), std::nullopt, {}, false}).status;
    };
    using core::Name;
    const auto dec = [](std::string_view t) { return testing::dec(t); };
    EXPECT_EQ(
        call(core::SetPair{Name::from("BTC"), core::PairParams{dec("1000"), dec("0.05"), dec("1000"), dec("0.1")}}),
        200);
    EXPECT_EQ(call(core::OracleUpdate{{core::PriceUpdate{Name::from("BTC"), dec("100")}}}), 200);
    EXPECT_EQ(call(core::DepositMargin{Name::from("lp"), testing::amt("100000")}), 200);
    EXPECT_EQ(call(core::DepositLiquidity{Name::from("lp"), testing::amt("100000"), std::nullopt}), 200);
    EXPECT_EQ(call(core::WithdrawMargin{Name::from("nobody"), testing::amt("1")}), 422);  // refused: not published
    EXPECT_EQ(call(core::DepositMargin{Name::from("alice"), testing::amt("1000")}), 200);
    EXPECT_EQ(call(core::SubmitOrder{Name::from("alice"), Name::from("BTC"), dec("2"), core::OrderKind::Market,
                                     dec("0.05"), core::Dec::zero(), false}),
              200);
    s.stop();

    std::vector<StreamRecord> records;
    while (true) {
        const auto read = bus.next(cursor, std::chrono::milliseconds(0));
        if (read.status != EventBus::Status::Batch) break;
        for (const StreamRecord& r : read.batch->records) records.push_back(r);
    }
    std::vector<std::uint64_t> seqs;
    for (const StreamRecord& r : records) seqs.push_back(r.seq);
    EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3, 4, 6, 7}));
    const StreamRecord& order = records.back();
    ASSERT_EQ(order.events.size(), 1u);
    EXPECT_EQ(order.events[0].index, 0u);
    EXPECT_EQ(order.events[0].user.view(), "alice");
    EXPECT_EQ(order.events[0].pair.view(), "BTC");
    ASSERT_TRUE(std::holds_alternative<core::FillEvent>(order.events[0].event));
    // The market it moved: alice's 2 long is the skew.
    ASSERT_EQ(order.markets.size(), 1u);
    EXPECT_EQ(order.markets[0].pair.view(), "BTC");
    EXPECT_EQ(order.markets[0].short_oi, dec("0"));
    EXPECT_EQ(order.markets[0].long_oi, dec("2"));
    // The oracle update moved BTC; the deposit moved no market.
    EXPECT_EQ(records[1].markets.size(), 1u);
    EXPECT_EQ(records[2].markets.size(), 0u);
    EXPECT_EQ(accounts_of(records[4]), std::vector<Name>{Name::from("alice")});
}

}  // namespace
}  // namespace ballast::sequencer
