// The sequencer end to end on a real directory: durable replies, recovery to
// the same state, snapshots, group commit policies, time stamping.
#include <gtest/gtest.h>

#include <future>

#include "engine_harness.hpp"
#include "sequencer/journal.hpp"
#include "sequencer/sequencer.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

namespace ballast::sequencer {
namespace {

using core::Name;
using testing::amt;
using testing::dec;
using testing::TempDir;

const Name kBtc = Name::from("BTC");

WriteRequest write_of(core::CommandBody command) {
    WriteRequest w;
    w.body = std::move(command);
    return w;
}

core::SubmitOrder limit_order(const Name& user, const char* size, const char* price) {
    core::SubmitOrder o;
    o.user = user;
    o.pair = kBtc;
    o.size = dec(size);
    o.kind = core::OrderKind::Limit;
    o.limit_price = dec(price);
    return o;
}

// A market and a few traders, then `orders` limit orders spread over them.
void run_session(Sequencer& s, int orders) {
    core::PairParams params;
    params.skew_scale = dec("1000");
    params.max_abs_premium = dec("0.05");
    params.max_abs_oi = dec("100000");
    params.initial_margin_ratio = dec("0.1");
    ASSERT_EQ(s.call(write_of(core::SetPair{kBtc, params})).status, 200);
    ASSERT_EQ(s.call(write_of(core::OracleUpdate{{{kBtc, dec("100")}}})).status, 200);
    ASSERT_EQ(s.call(write_of(core::DepositMargin{Name::from("lp"), amt("1000000")})).status, 200);
    ASSERT_EQ(s.call(write_of(core::DepositLiquidity{Name::from("lp"), amt("1000000"), std::nullopt})).status, 200);
    for (int u = 0; u < 4; ++u)
        ASSERT_EQ(s.call(write_of(core::DepositMargin{Name::from("u" + std::to_string(u)), amt("100000")})).status,
                  200);
    for (int i = 0; i < orders; ++i) {
        const Name user = Name::from("u" + std::to_string(i % 4));
        const Response r = s.call(write_of(limit_order(user, i % 2 ? "-1" : "1", i % 2 ? "101" : "99")));
        ASSERT_EQ(r.status, 200) << r.body;
    }
}

std::vector<JournalRecord> read_journal(const std::filesystem::path& data_dir) {
    std::vector<JournalRecord> records;
    scan_journal(data_dir / "journal", false, [&](std::uint64_t, std::string_view payload) {
        JournalRecord r;
        std::string error;
        if (!decode_record(payload, r, error)) throw std::runtime_error(error);
        records.push_back(std::move(r));
    });
    return records;
}

TEST(Sequencer, RecoversToTheSameStateFromTheJournalAlone) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    config.snapshot_every_commands = 1'000'000;
    std::string hash;
    std::uint64_t last = 0;
    {
        Sequencer s(config);
        s.start();
        run_session(s, 40);
        s.stop();
        hash = s.state().state_hash();
        last = s.state().last_seq();
    }
    std::filesystem::remove_all(dir.path() / "snapshots");  // the final snapshot would make this too easy
    Sequencer again(config);
    const RecoveryReport report = again.recover();
    EXPECT_FALSE(report.snapshot_seq);
    EXPECT_EQ(report.replayed, last);
    EXPECT_EQ(report.last_seq, 48u);  // 8 setup commands + 40 orders
    EXPECT_EQ(again.state().state_hash(), hash);
}

TEST(Sequencer, RecoversFromASnapshotPlusTheJournalTail) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    config.snapshot_every_commands = 10;
    std::string hash;
    {
        Sequencer s(config);
        s.start();
        run_session(s, 40);
        hash = s.call(ReadRequest::of(ReadKind::Status)).body;
        s.stop();
    }
    // Keep only a mid-session snapshot: drop the final one stop() wrote, so
    // recovery must replay the journal after the older one.
    std::vector<std::filesystem::path> snapshots;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "snapshots")) snapshots.push_back(e.path());
    std::sort(snapshots.begin(), snapshots.end());
    ASSERT_GE(snapshots.size(), 2u);
    std::filesystem::remove(snapshots.back());

    Sequencer again(config);
    const RecoveryReport report = again.recover();
    ASSERT_TRUE(report.snapshot_seq);
    EXPECT_GT(*report.snapshot_seq, 0u);
    EXPECT_LT(*report.snapshot_seq, 48u);
    EXPECT_EQ(report.replayed, 48u - *report.snapshot_seq);
    again.start();
    EXPECT_EQ(again.call(ReadRequest::of(ReadKind::Status)).body, hash);
}

TEST(Sequencer, StampsTimesThatNeverGoBackwards) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    std::atomic<core::TimeMs> now{5'000};
    {
        Sequencer s(config, nullptr, [&] { return now.load(); });
        s.start();
        ASSERT_EQ(s.call(write_of(core::DepositMargin{Name::from("a"), amt("1")})).status, 200);
        now = 4'000;  // the wall clock stepped back
        ASSERT_EQ(s.call(write_of(core::DepositMargin{Name::from("a"), amt("1")})).status, 200);
        now = 6'000;
        ASSERT_EQ(s.call(write_of(core::DepositMargin{Name::from("a"), amt("1")})).status, 200);
        s.stop();
    }
    const auto records = read_journal(dir.path());
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].time, 5'000);
    EXPECT_EQ(records[1].time, 5'000);
    EXPECT_EQ(records[2].time, 6'000);
    EXPECT_EQ(records[2].seq, 3u);
}

TEST(Sequencer, CancelAllIsJournaledAsOneCancelPerOrder) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    Sequencer s(config);
    s.start();
    run_session(s, 6);  // orders 1..6, users u0..u3: u0 placed orders 1 and 5
    const Response r = s.call(WriteRequest{CancelAllOrders{Name::from("u0"), kBtc}, std::nullopt, {}, false});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"canceled":["1","5"],"seq":16})");
    s.stop();
    const auto records = read_journal(dir.path());
    ASSERT_EQ(records.size(), 16u);
    EXPECT_EQ(std::get<core::CancelOrder>(records[14].command.body).order_id, 1u);
    EXPECT_EQ(std::get<core::CancelOrder>(records[15].command.body).order_id, 5u);
}

TEST(Sequencer, EveryFsyncPolicyRecoversTheSameState) {
    std::vector<std::string> hashes;
    for (FsyncPolicy policy : {FsyncPolicy::Always, FsyncPolicy::Batch, FsyncPolicy::Off}) {
        TempDir dir("seq");
        SequencerConfig config;
        config.data_dir = dir.path();
        config.fsync = policy;
        {
            Sequencer s(config, nullptr, [] { return core::TimeMs{1'000}; });
            s.start();
            run_session(s, 20);
            s.stop();
        }
        std::filesystem::remove_all(dir.path() / "snapshots");
        Sequencer again(config);
        again.recover();
        hashes.push_back(again.state().state_hash());
    }
    EXPECT_EQ(hashes[0], hashes[1]);
    EXPECT_EQ(hashes[1], hashes[2]);
}

TEST(Sequencer, AnIdempotentRetryAfterARestartGetsTheFirstReply) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    WriteRequest order = write_of(limit_order(Name::from("u1"), "1", "99"));
    order.signed_by = SignedBy{Name::from("u1"), 9, wall_clock_ms() + 60'000};
    order.idempotency_key = "u1:first-try";
    Response first;
    {
        Sequencer s(config);
        s.start();
        run_session(s, 0);
        first = s.call(order);
        ASSERT_EQ(first.status, 200) << first.body;
        s.stop();
    }
    std::filesystem::remove_all(dir.path() / "snapshots");  // rebuilt from the journal alone
    Sequencer again(config);
    again.start();
    const Response retry = again.call(order);
    EXPECT_EQ(retry.status, 200);
    EXPECT_EQ(retry.body, first.body);
    order.idempotency_key.clear();
    EXPECT_EQ(again.call(order).status, 409) << "the nonce is remembered too";
    again.stop();
    EXPECT_EQ(read_journal(dir.path()).size(), 9u) << "8 setup commands and the order, once";
}

TEST(Sequencer, RefusesRequestsWhenNotRunning) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    Sequencer s(config);
    auto request = std::make_unique<Request>();
    request->what = ReadRequest::of(ReadKind::Status);
    request->reply = [](Response&&) {};
    EXPECT_FALSE(s.submit(request));
    EXPECT_TRUE(request) << "ownership stays with the caller";
}

// A request whose reply is awaited later.
std::future<Response> submit_async(Sequencer& s, std::variant<WriteRequest, ReadRequest> what) {
    auto promise = std::make_shared<std::promise<Response>>();
    std::future<Response> future = promise->get_future();
    auto request = std::make_unique<Request>();
    request->what = std::move(what);
    request->reply = [promise](Response&& r) { promise->set_value(std::move(r)); };
    while (!s.submit(request)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return future;
}

bool answered_within(std::future<Response>& f, std::chrono::milliseconds timeout) {
    return f.wait_for(timeout) == std::future_status::ready;
}

std::string code_of(const Response& r) {
    const std::size_t at = r.body.find(R"("code":")");
    if (at == std::string::npos) return {};
    return r.body.substr(at + 8, r.body.find('"', at + 8) - at - 8);
}

// Write failures are injected into the journal writer (JournalFaults): the
// first write stores half of its bytes and fails, as on a full disk.
TEST(SequencerJournalFailure, AFailedWriteHoldsItsReplyRefusesWritesAndResumesWithNothingLostOrTwice) {
    TempDir dir("seq");
    JournalFaults faults;
    SequencerConfig config;
    config.data_dir = dir.path();
    config.journal_faults = &faults;
    config.journal_retry_every = std::chrono::milliseconds(50);
    std::string live_hash;
    {
        Sequencer s(config);
        s.start();
        run_session(s, 4);
        ASSERT_TRUE(s.health().ready);
        const std::uint64_t before = s.state().last_seq();

        faults.writes = 1'000'000;  // every write fails until the "disk" is freed
        auto held = submit_async(s, write_of(core::DepositMargin{Name::from("u0"), amt("7")}));
        EXPECT_FALSE(answered_within(held, std::chrono::milliseconds(300)))
            << "a command whose record is not durable was acknowledged";
        EXPECT_TRUE(testing::eventually([&] { return !s.health().ready; }));
        EXPECT_NE(s.health().reason.find("journal write failed"), std::string::npos) << s.health().reason;

        // New writes are refused at once, not applied, not journaled.
        const Response refused = s.call(write_of(core::DepositMargin{Name::from("u1"), amt("5")}));
        EXPECT_EQ(refused.status, 503);
        EXPECT_EQ(code_of(refused), "journal_failed");
        // A read would show the held deposit, which a crash could still lose: refused too.
        const Response read = s.call(ReadRequest::of(ReadKind::Status));
        EXPECT_EQ(read.status, 503) << read.body;
        EXPECT_EQ(code_of(read), "journal_failed");
        EXPECT_FALSE(answered_within(held, std::chrono::milliseconds(0)));

        faults.writes = 0;  // space comes back
        ASSERT_TRUE(answered_within(held, std::chrono::seconds(5)));
        const Response acknowledged = held.get();
        EXPECT_EQ(acknowledged.status, 200) << acknowledged.body;
        EXPECT_NE(acknowledged.body.find(R"("seq":)" + std::to_string(before + 1)), std::string::npos)
            << acknowledged.body;
        EXPECT_TRUE(testing::eventually([&] { return s.health().ready; }));
        EXPECT_EQ(s.call(write_of(core::DepositMargin{Name::from("u1"), amt("5")})).status, 200);
        EXPECT_EQ(s.call(ReadRequest::of(ReadKind::Status)).status, 200);
        EXPECT_TRUE(s.stop().clean);
        live_hash = s.state().state_hash();
    }
    // The journal holds each command once, in sequence, and replays to the live state.
    const auto records = read_journal(dir.path());
    ASSERT_EQ(records.size(), 14u);  // 8 setup, 4 orders, the held deposit, the later one
    for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].seq, i + 1);
    EXPECT_EQ(std::get<core::DepositMargin>(records[12].command.body).amount, amt("7"));
    EXPECT_EQ(std::get<core::DepositMargin>(records[13].command.body).amount, amt("5"));
    std::filesystem::remove_all(dir.path() / "snapshots");
    Sequencer again(config);
    again.recover();
    EXPECT_EQ(again.state().state_hash(), live_hash);
}

TEST(SequencerJournalFailure, AFailedFsyncIsWrittenAgainInFull) {
    TempDir dir("seq");
    JournalFaults faults;
    SequencerConfig config;
    config.data_dir = dir.path();
    config.journal_faults = &faults;
    config.journal_retry_every = std::chrono::milliseconds(20);
    {
        Sequencer s(config);
        s.start();
        run_session(s, 2);
        faults.syncs = 3;  // three attempts fail after writing everything, the fourth works
        const Response r = s.call(write_of(core::DepositMargin{Name::from("u0"), amt("7")}));
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_TRUE(s.stop().clean);
    }
    const auto records = read_journal(dir.path());
    ASSERT_EQ(records.size(), 11u);  // 8 setup, 2 orders, the deposit once
    for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].seq, i + 1);
}

TEST(SequencerJournalFailure, ALowDiskRefusesWritesButServesReadsUntilSpaceReturns) {
    TempDir dir("seq");
    JournalFaults faults;
    SequencerConfig config;
    config.data_dir = dir.path();
    config.journal_faults = &faults;
    config.journal_reserve_bytes = 64 << 10;
    config.fsync = FsyncPolicy::Off;  // thousands of single-command batches
    config.journal_retry_every = std::chrono::milliseconds(50);
    Sequencer s(config);
    s.start();
    run_session(s, 2);
    ASSERT_TRUE(s.health().ready) << s.health().reason;

    // The reserve cannot be renewed any more (the disk filled up). Sessions
    // of writes use it up until it must be renewed; the write that finds it
    // so is still written, from what is left of it.
    faults.reserves = 1'000'000;
    std::uint64_t accepted = 0;
    Response last;
    for (int i = 0; i < 20'000 && s.health().ready; ++i) {
        last = s.call(write_of(core::DepositMargin{Name::from("u0"), amt("1")}));
        if (last.status == 200) ++accepted;
    }
    ASSERT_FALSE(s.health().ready) << "the reserve never ran low";
    EXPECT_NE(s.health().reason.find("cannot reserve"), std::string::npos) << s.health().reason;
    const Response refused = s.call(write_of(core::DepositMargin{Name::from("u0"), amt("1")}));
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(code_of(refused), "journal_failed");
    // Everything applied was written: reads go on.
    const Response status = s.call(ReadRequest::of(ReadKind::Status));
    EXPECT_EQ(status.status, 200) << status.body;
    ReadRequest account = ReadRequest::of(ReadKind::Account);
    account.subject = Name::from("u0");
    const Response margin = s.call(account);
    EXPECT_NE(margin.body.find(R"("margin":")" + std::to_string(100'000 + accepted) + "\""), std::string::npos)
        << margin.body << " after " << accepted << " deposits of 1";

    faults.reserves = 0;  // space freed
    EXPECT_TRUE(testing::eventually([&] { return s.health().ready; })) << s.health().reason;
    EXPECT_EQ(s.call(write_of(core::DepositMargin{Name::from("u0"), amt("1")})).status, 200);
    EXPECT_TRUE(s.stop().clean);
}

TEST(SequencerJournalFailure, StoppingWhileTheJournalFailsAcknowledgesNothingUnwritten) {
    TempDir dir("seq");
    JournalFaults faults;
    SequencerConfig config;
    config.data_dir = dir.path();
    config.journal_faults = &faults;
    config.journal_retry_every = std::chrono::milliseconds(50);
    std::string durable_hash;
    {
        Sequencer s(config);
        s.start();
        run_session(s, 2);
        durable_hash = s.call(ReadRequest::of(ReadKind::Status)).body;
        faults.writes = 1'000'000;
        auto held = submit_async(s, write_of(core::DepositMargin{Name::from("u0"), amt("7")}));
        EXPECT_FALSE(answered_within(held, std::chrono::milliseconds(200)));
        const StopReport report = s.stop();
        EXPECT_FALSE(report.clean);
        EXPECT_NE(report.problem.find("could not be journaled"), std::string::npos) << report.problem;
        ASSERT_TRUE(answered_within(held, std::chrono::seconds(1)));
        const Response r = held.get();
        EXPECT_EQ(r.status, 503);
        EXPECT_EQ(code_of(r), "journal_failed");
    }
    // No snapshot claims the lost deposit, and the journal does not hold it.
    faults.writes = 0;
    Sequencer again(config);
    again.start();
    EXPECT_EQ(again.call(ReadRequest::of(ReadKind::Status)).body, durable_hash);
    EXPECT_EQ(read_journal(dir.path()).size(), 10u);  // 8 setup, 2 orders
}

TEST(Sequencer, TemporarySnapshotFilesAreRemovedAtStart) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    std::filesystem::create_directories(dir.path() / "snapshots");
    const auto stray = dir.path() / "snapshots" / "snapshot-00000000000000000042.snap.tmp";
    std::ofstream(stray).put('x');
    Sequencer s(config);
    const RecoveryReport report = s.recover();
    EXPECT_FALSE(std::filesystem::exists(stray));
    ASSERT_EQ(report.removed_temporary_files.size(), 1u);
}

}  // namespace
}  // namespace ballast::sequencer
