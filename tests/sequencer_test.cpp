// The sequencer end to end on a real directory: durable replies, recovery to
// the same state, snapshots, group commit policies, time stamping.
#include <gtest/gtest.h>

#include <future>

#include "engine_harness.hpp"
#include "sequencer/journal.hpp"
#include "sequencer/sequencer.hpp"
#include "serve_process.hpp"
#include "sim_file_system.hpp"
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

// A command the engine refuses is journaled all the same: its nonce stays
// spent and its Idempotency-Key keeps the refusal, after a restart from the
// journal alone and after one from a snapshot.
TEST(Sequencer, ARejectedCommandSpendsItsNonceAndKeepsItsReplyAcrossRestarts) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    const Name poor = Name::from("poor");  // no margin: an opening order is refused
    WriteRequest replayed = write_of(limit_order(poor, "1", "99"));
    replayed.signed_by = SignedBy{poor, 5, wall_clock_ms() + 600'000};
    WriteRequest keyed = replayed;
    keyed.signed_by->nonce = 6;
    keyed.idempotency_key = "poor:order-6";
    Response keyed_reply;
    {
        Sequencer s(config);
        s.start();
        run_session(s, 0);
        const Response refused = s.call(replayed);
        ASSERT_EQ(refused.status, 422) << refused.body;
        EXPECT_EQ(code_of(refused), "insufficient_margin");
        keyed_reply = s.call(keyed);
        ASSERT_EQ(keyed_reply.status, 422) << keyed_reply.body;
        EXPECT_TRUE(s.stop().clean);
    }
    for (const char* from : {"the journal alone", "a snapshot"}) {
        if (std::string_view(from) == "the journal alone") std::filesystem::remove_all(dir.path() / "snapshots");
        Sequencer again(config);
        const RecoveryReport report = again.recover();
        EXPECT_EQ(report.snapshot_seq.has_value(), std::string_view(from) == "a snapshot");
        again.start();
        const Response replay = again.call(replayed);
        EXPECT_EQ(replay.status, 409) << from << ": " << replay.body;
        EXPECT_EQ(code_of(replay), "nonce_reused") << from;
        const Response retry = again.call(keyed);
        EXPECT_EQ(retry.status, 422) << from;
        EXPECT_EQ(retry.body, keyed_reply.body) << from << ": the first reply, byte for byte";
        WriteRequest other_key = keyed;
        other_key.idempotency_key = "poor:another";
        EXPECT_EQ(code_of(again.call(other_key)), "nonce_reused") << from;
        EXPECT_TRUE(again.stop().clean);
    }
    EXPECT_EQ(read_journal(dir.path()).size(), 10u) << "8 setup commands and the two refused orders, once each";
}

// Blocks the journal's next fdatasync until released, then lets it succeed
// or fail; other operations pass.
class JournalSyncGate {
public:
    explicit JournalSyncGate(testing::SimFileSystem& disk) {
        disk.set_hook([this](testing::SimOp op, const std::filesystem::path& path) {
            if (op != testing::SimOp::Sync || path.parent_path().filename() != "journal") return;
            std::unique_lock lock(mutex_);
            if (failing_) throw FileError(EIO, "the disk failed this fdatasync (test)");
            if (!armed_) return;
            armed_ = false;
            held_ = true;
            cv_.notify_all();
            cv_.wait(lock, [this] { return !held_; });
            if (failing_) throw FileError(EIO, "the disk failed this fdatasync (test)");
        });
    }
    void arm() {
        std::lock_guard lock(mutex_);
        armed_ = true;
    }
    bool wait_held(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [this] { return held_; });
    }
    // Lets the held fdatasync go: failing it, and every later one while `fail` stays set.
    void release(bool fail) {
        std::lock_guard lock(mutex_);
        failing_ = fail;
        held_ = false;
        cv_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool armed_ = false, held_ = false, failing_ = false;
};

SequencerConfig on_sim_disk(testing::SimFileSystem& disk) {
    SequencerConfig config;
    config.data_dir = "/disk/ballast";
    config.file_system = &disk;
    config.journal_reserve_bytes = 0;
    return config;
}

ReadRequest account_of(const char* user) {
    ReadRequest read = ReadRequest::of(ReadKind::Account);
    read.subject = Name::from(user);
    return read;
}

// Reads are answered in sequence with writes and leave with the group commit
// of the writes before them: a read that shows a write whose record is not
// durable waits for it, and when that write is never journaled the read is
// never answered with what it showed.
TEST(SequencerReads, AReadNeverShowsAWriteThatIsNotDurable) {
    testing::SimFileSystem disk;
    JournalSyncGate gate(disk);
    SequencerConfig config = on_sim_disk(disk);
    config.journal_retry_every = std::chrono::milliseconds(20);
    {
        Sequencer s(config);
        s.start();
        run_session(s, 0);
        gate.arm();
        auto write = submit_async(s, write_of(core::DepositMargin{Name::from("u0"), amt("7")}));
        ASSERT_TRUE(gate.wait_held(std::chrono::seconds(5))) << "the deposit's batch is being synced";
        // The engine applies the deposit, then answers this read in line: it
        // shows 100,007 while the deposit is written but not yet synced.
        auto read = submit_async(s, account_of("u0"));
        EXPECT_FALSE(answered_within(read, std::chrono::milliseconds(200)));
        gate.release(/*fail=*/true);  // the sync fails, and every retry after it
        EXPECT_FALSE(answered_within(read, std::chrono::milliseconds(300)))
            << "a read was answered with a deposit the journal does not hold: " << read.get().body;
        EXPECT_FALSE(answered_within(write, std::chrono::milliseconds(0)));
        const StopReport stopped = s.stop();
        EXPECT_FALSE(stopped.clean);
        ASSERT_TRUE(answered_within(read, std::chrono::seconds(1)));
        const Response never = read.get();
        EXPECT_EQ(never.status, 503) << never.body;
        EXPECT_EQ(write.get().status, 503);
    }
    // What that read would have shown is gone.
    gate.release(/*fail=*/false);
    Sequencer again(config);
    again.start();
    const Response margin = again.call(account_of("u0"));
    EXPECT_NE(margin.body.find(R"("margin":"100000")"), std::string::npos) << margin.body;
}

TEST(SequencerReads, AReadLeavesWithTheGroupCommitOfTheWritesBeforeIt) {
    testing::SimFileSystem disk;
    JournalSyncGate gate(disk);
    Sequencer s(on_sim_disk(disk));
    s.start();
    run_session(s, 0);
    gate.arm();
    auto write = submit_async(s, write_of(core::DepositMargin{Name::from("u0"), amt("7")}));
    ASSERT_TRUE(gate.wait_held(std::chrono::seconds(5)));
    auto read = submit_async(s, account_of("u0"));
    EXPECT_FALSE(answered_within(read, std::chrono::milliseconds(200)));
    gate.release(/*fail=*/false);
    ASSERT_TRUE(answered_within(read, std::chrono::seconds(5)));
    EXPECT_TRUE(answered_within(write, std::chrono::milliseconds(0))) << "the write leaves first, or with it";
    const Response shown = read.get();
    EXPECT_EQ(shown.status, 200);
    EXPECT_NE(shown.body.find(R"("margin":"100007")"), std::string::npos) << shown.body;
    s.stop();
}

std::vector<std::string> snapshot_names(testing::SimFileSystem& disk, const std::filesystem::path& data) {
    auto names = disk.list(data / "snapshots");
    std::sort(names.begin(), names.end());
    return names;
}

std::string snapshot_name(std::uint64_t seq) {
    char name[64];
    std::snprintf(name, sizeof name, "snapshot-%020llu.snap", static_cast<unsigned long long>(seq));
    return name;
}

// A snapshot copy is taken on the engine thread at once, but its file is
// written only once the journal is durable up to it: otherwise recovery could
// start from state the journal lacks.
TEST(SequencerSnapshots, AreWrittenOnlyOnceTheJournalIsDurableUpToThem) {
    testing::SimFileSystem disk;
    JournalSyncGate gate(disk);
    SequencerConfig config = on_sim_disk(disk);
    config.snapshot_every_commands = 1;
    Sequencer s(config);
    s.start();
    ASSERT_EQ(s.call(write_of(core::DepositMargin{Name::from("a"), amt("1")})).status, 200);
    ASSERT_TRUE(testing::eventually([&] { return snapshot_names(disk, config.data_dir).size() == 1; }));
    gate.arm();
    auto held = submit_async(s, write_of(core::DepositMargin{Name::from("a"), amt("1")}));
    ASSERT_TRUE(gate.wait_held(std::chrono::seconds(5)));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(snapshot_names(disk, config.data_dir), std::vector<std::string>{snapshot_name(1)})
        << "a snapshot of seq 2 was written before seq 2 was durable";
    gate.release(/*fail=*/false);
    ASSERT_TRUE(answered_within(held, std::chrono::seconds(5)));
    EXPECT_TRUE(testing::eventually([&] {
        return snapshot_names(disk, config.data_dir) == std::vector<std::string>{snapshot_name(1), snapshot_name(2)};
    }));
    s.stop();
}

std::vector<std::string> snapshot_names(const std::filesystem::path& data) {
    std::vector<std::string> names;
    if (!std::filesystem::exists(data / "snapshots")) return names;
    for (const auto& e : std::filesystem::directory_iterator(data / "snapshots"))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST(SequencerSnapshots, AreTakenEveryNCommands) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    config.snapshot_every_commands = 5;
    config.snapshot_every = std::chrono::hours(1);
    Sequencer s(config);
    s.start();
    auto deposit = [&] { ASSERT_EQ(s.call(write_of(core::DepositMargin{Name::from("a"), amt("1")})).status, 200); };
    for (int i = 0; i < 4; ++i) deposit();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(snapshot_names(dir.path()).empty()) << "4 commands are fewer than 5";
    deposit();  // seq 5
    EXPECT_TRUE(
        testing::eventually([&] { return snapshot_names(dir.path()) == std::vector<std::string>{snapshot_name(5)}; }));
    for (int i = 0; i < 4; ++i) deposit();  // seqs 6 to 9
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(snapshot_names(dir.path()), std::vector<std::string>{snapshot_name(5)});
    deposit();  // seq 10: five after the last
    EXPECT_TRUE(testing::eventually([&] {
        return snapshot_names(dir.path()) == std::vector<std::string>{snapshot_name(5), snapshot_name(10)};
    }));
    deposit();  // seq 11
    EXPECT_TRUE(s.stop().clean);
    // On stop, a final one; the two newest are kept.
    EXPECT_EQ(snapshot_names(dir.path()), (std::vector<std::string>{snapshot_name(10), snapshot_name(11)}));
}

TEST(SequencerSnapshots, AreTakenOnTheTimerAtTheNextCommand) {
    TempDir dir("seq");
    SequencerConfig config;
    config.data_dir = dir.path();
    config.snapshot_every_commands = 1'000'000;
    config.snapshot_every = std::chrono::milliseconds(400);
    Sequencer s(config);
    s.start();
    const auto started = std::chrono::steady_clock::now();
    auto deposit = [&] { ASSERT_EQ(s.call(write_of(core::DepositMargin{Name::from("a"), amt("1")})).status, 200); };
    deposit();  // seq 1, well within the interval
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() - started < std::chrono::milliseconds(400)) {
        EXPECT_TRUE(snapshot_names(dir.path()).empty());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_TRUE(snapshot_names(dir.path()).empty()) << "a snapshot is taken at a command, not while idle";
    deposit();  // seq 2: the interval has passed
    EXPECT_TRUE(
        testing::eventually([&] { return snapshot_names(dir.path()) == std::vector<std::string>{snapshot_name(2)}; }));
    deposit();  // seq 3: the interval starts again
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(snapshot_names(dir.path()), std::vector<std::string>{snapshot_name(2)});
    EXPECT_TRUE(s.stop().clean);
    EXPECT_EQ(snapshot_names(dir.path()), (std::vector<std::string>{snapshot_name(2), snapshot_name(3)}));
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
