// Power loss, simulated. SIGKILL keeps the page cache, so a server that
// acknowledged before its fdatasync would pass a kill test. Here the journal
// writer, the snapshot store and then the real Sequencer (in-process) run
// over a simulated disk (sim_file_system.hpp) that keeps, at a power cut,
// only what was made durable plus a random part of the rest. After each cut
// a new Sequencer recovers from what survived, and every command the test
// was told was acknowledged must be there: each one on its own (its retry
// gets the same reply), in the journal, and in a state the test rebuilds
// from the acknowledgements alone, never from the journal. Cut points come
// from fixed seeds; BALLAST_POWER_LOSS_SEEDS and BALLAST_POWER_LOSS_FIRST_SEED
// run more (scripts/power_loss_soak.sh).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "engine_harness.hpp"
#include "sequencer/journal.hpp"
#include "sequencer/journal_format.hpp"
#include "sequencer/sequencer.hpp"
#include "sequencer/snapshot_store.hpp"
#include "sim_file_system.hpp"

namespace ballast::sequencer {
namespace {

namespace fs = std::filesystem;
using core::Name;
using testing::amt;
using testing::dec;
using testing::SimFileSystem;

const fs::path kData = "/disk/ballast";

// Silences the sequencer's logging of the failures this file causes on purpose.
class QuietLogs {
public:
    QuietLogs() : level_(spdlog::get_level()) { spdlog::set_level(spdlog::level::off); }
    ~QuietLogs() { spdlog::set_level(level_); }

private:
    spdlog::level::level_enum level_;
};

// ---------------------------------------------------------------------------
// The journal writer and the snapshot store alone, cut at every operation.

std::string framed(std::uint64_t first, std::uint64_t last) {
    std::string out;
    for (std::uint64_t seq = first; seq <= last; ++seq) {
        std::string payload;
        put_u64(payload, seq);
        payload.append(40 + seq % 300, static_cast<char>('a' + seq % 26));
        frame_record(payload, out);
    }
    return out;
}

TEST(PowerLoss, EveryRecordWhoseAppendReturnedSurvivesACutAtAnyOperation) {
    QuietLogs quiet;
    int cuts = 0, torn = 0;
    for (std::uint64_t cut_at = 1; cut_at <= 120; ++cut_at) {
        for (std::uint64_t seed = 1; seed <= 3; ++seed) {
            SimFileSystem disk;
            std::uint64_t durable = 0, next = 1;
            {
                JournalWriter writer(kData / "journal", FsyncPolicy::Batch, /*segment_bytes=*/2048, 0, nullptr, disk);
                writer.open(std::nullopt, 1);
                disk.cut_before_operation(cut_at, seed * 1000 + cut_at);
                std::mt19937_64 sizes(seed);
                try {
                    while (next < 400) {
                        const std::uint64_t last = next + sizes() % 6;
                        writer.append(framed(next, last), next);
                        durable = last;
                        next = last + 1;
                    }
                } catch (const FileError&) {
                    ++cuts;
                }
            }
            if (disk.powered()) {
                std::mt19937_64 random(seed);
                disk.power_cut(random);
            }
            disk.power_on();
            std::vector<std::uint64_t> seqs;
            JournalScan scan;
            ASSERT_NO_THROW(scan = scan_journal(
                                kData / "journal", /*repair=*/true,
                                [&](std::uint64_t seq, std::string_view) { seqs.push_back(seq); }, 0, disk))
                << "cut before operation " << cut_at << ", seed " << seed;
            if (scan.truncated_bytes > 0) ++torn;
            ASSERT_GE(seqs.size(), durable) << "cut before operation " << cut_at << ", seed " << seed;
            for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
            // And the journal takes appends again where it ends.
            JournalWriter again(kData / "journal", FsyncPolicy::Batch, 2048, 0, nullptr, disk);
            again.open(scan.last_seq == 0 ? std::nullopt : scan.last_segment, scan.last_seq + 1);
            again.append(framed(scan.last_seq + 1, scan.last_seq + 3), scan.last_seq + 1);
            std::uint64_t count = 0;
            scan_journal(
                kData / "journal", false, [&](std::uint64_t, std::string_view) { ++count; }, 0, disk);
            EXPECT_EQ(count, scan.last_seq + 3);
        }
    }
    EXPECT_GT(cuts, 300) << "most cut points fall inside the appends";
    EXPECT_GT(torn, 10) << "some cuts leave a torn tail to cut off";
}

// Recovery cuts a torn tail off the last segment. If that cut were not made
// durable at once, a power cut after the journal has moved on to a new
// segment could bring the torn bytes back, now in the middle of the journal,
// and the next start would refuse it as corrupt.
TEST(PowerLoss, ATornTailCutAtRecoveryStaysCutWhenTheJournalMovesOn) {
    QuietLogs quiet;
    const fs::path dir = kData / "journal";
    const std::string records = framed(1, 5);
    std::string second_segment_first;  // the records after recovery
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        SimFileSystem disk;
        disk.create_directories(dir);
        {
            // What a cut during an append can leave: five whole records and
            // part of a sixth, all of it on the disk.
            auto segment = disk.create(dir / segment_file_name(1));
            segment->append(encode_segment_header(1) + records + framed(6, 6).substr(0, 20));
            segment->sync();
            disk.sync_directory(dir);
        }
        JournalScan scan = scan_journal(
            dir, /*repair=*/true, [](std::uint64_t, std::string_view) {}, 0, disk);
        ASSERT_EQ(scan.last_seq, 5u);
        ASSERT_GT(scan.truncated_bytes, 0u);
        {
            // The segment is past its size: the next append starts another.
            JournalWriter writer(dir, FsyncPolicy::Batch, /*segment_bytes=*/64, 0, nullptr, disk);
            writer.open(scan.last_segment, 6);
            disk.cut_before_operation(5, seed);  // create, header, sync, directory sync, then closing the old one
            try {
                writer.append(framed(6, 7), 6);
            } catch (const FileError&) {
            }
        }
        if (disk.powered()) {
            std::mt19937_64 random(seed);
            disk.power_cut(random);
        }
        disk.power_on();
        std::vector<std::uint64_t> seqs;
        ASSERT_NO_THROW(scan_journal(
            dir, true, [&](std::uint64_t seq, std::string_view) { seqs.push_back(seq); }, 0, disk))
            << "seed " << seed;
        EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3, 4, 5})) << "seed " << seed;
    }
}

// A power cut between creating a segment and syncing its header can leave
// the new last file short, zero-filled or with a torn header, and never with
// a record in it (records follow a durable header): an incomplete segment,
// removed, not damage that stops the exchange.
TEST(PowerLoss, AnIncompleteLastSegmentIsRemovedWhateverIsLeftOfItsHeader) {
    const fs::path dir = kData / "journal";
    const std::string header = encode_segment_header(6);
    for (const std::string& left :
         {std::string(), header.substr(0, 10), std::string(24, '\0'), header.substr(0, 10) + std::string(30, '\0')}) {
        SimFileSystem disk;
        disk.create_directories(dir);
        for (const auto& [name, bytes] : {std::pair{segment_file_name(1), encode_segment_header(1) + framed(1, 5)},
                                          std::pair{segment_file_name(6), left}}) {
            auto file = disk.create(dir / name);
            file->append(bytes);
            file->sync();
        }
        disk.sync_directory(dir);
        std::uint64_t records = 0;
        JournalScan scan;
        ASSERT_NO_THROW(scan = scan_journal(
                            dir, true, [&](std::uint64_t, std::string_view) { ++records; }, 0, disk))
            << left.size() << " bytes left";
        EXPECT_EQ(records, 5u);
        EXPECT_EQ(scan.last_segment, dir / segment_file_name(1));
        EXPECT_NE(scan.truncation_reason.find("incomplete segment"), std::string::npos) << scan.truncation_reason;
        EXPECT_EQ(disk.list(dir), std::vector<std::string>{segment_file_name(1)});
    }
    // But a bad header with records after it is damage.
    SimFileSystem disk;
    disk.create_directories(dir);
    auto file = disk.create(dir / segment_file_name(1));
    file->append(std::string(24, '\0') + framed(1, 5));
    file->sync();
    disk.sync_directory(dir);
    EXPECT_THROW(scan_journal(
                     dir, true, [](std::uint64_t, std::string_view) {}, 0, disk),
                 JournalCorrupt);
}

TEST(PowerLoss, ASnapshotIsTheNewOneOnceWrittenAndOtherwiseTheOldOne) {
    for (std::uint64_t cut_at = 1; cut_at <= 12; ++cut_at) {
        for (std::uint64_t seed = 1; seed <= 10; ++seed) {
            SimFileSystem disk;
            const fs::path dir = kData / "snapshots";
            write_snapshot(dir, {10, 1, "state at 10"}, 2, disk);
            bool returned = false;
            disk.cut_before_operation(cut_at, seed);
            try {
                write_snapshot(dir, {20, 2, "state at 20"}, 2, disk);
                returned = true;
            } catch (const std::exception&) {
            }
            if (disk.powered()) {
                std::mt19937_64 random(seed);
                disk.power_cut(random);
            }
            disk.power_on();
            remove_temporary_snapshots(dir, disk);
            std::vector<std::string> skipped;
            const auto loaded = load_newest_snapshot(dir, skipped, disk);
            ASSERT_TRUE(loaded) << "cut " << cut_at << " seed " << seed;
            EXPECT_TRUE(skipped.empty()) << skipped.front();
            if (returned) {
                EXPECT_EQ(loaded->seq, 20u) << "cut " << cut_at << " seed " << seed;
            }
            EXPECT_EQ(loaded->payload, "state at " + std::to_string(loaded->seq));
            for (const std::string& name : disk.list(dir)) EXPECT_FALSE(name.ends_with(".tmp")) << name;
        }
    }
}

// ---------------------------------------------------------------------------
// The whole sequencer, cut at many points.

// The clock every command is stamped with: known to the test, so the state it
// rebuilds carries the same times.
constexpr core::TimeMs kNow = 1'700'000'000'000;
constexpr int kTraders = 3;
const Name kBtc = Name::from("BTC");

Name trader(int i) { return Name::from("trader-" + std::to_string(i)); }

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    return text != nullptr && *text != '\0' ? std::stoull(text) : fallback;
}

std::optional<std::uint64_t> seq_of(const Response& r) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("seq") || !v.at("seq").is_int64()) return std::nullopt;
    return static_cast<std::uint64_t>(v.at("seq").as_int64());
}

std::string text_at(const std::string& json, std::string_view pointer) {
    const boost::json::value v = boost::json::parse(json);
    const boost::json::value& f = v.at_pointer(pointer);
    return f.is_string() ? std::string(f.as_string()) : boost::json::serialize(f);
}

enum class Kind { Setup, Deposit, Order, Cancel, Withdraw };

// A command the test sent and what it learned about it.
struct Sent {
    Kind kind = Kind::Setup;
    WriteRequest request;
    int trader = -1;
    std::int64_t amount = 0;    // deposits and withdrawals
    bool acknowledged = false;  // answered with a seq: journaled and durable
    std::uint64_t seq = 0;
    Response reply;
    std::optional<core::OrderId> rested;  // an order acknowledged as resting

    void acknowledge(std::uint64_t at, Response&& r) {
        acknowledged = true;
        seq = at;
        reply = std::move(r);
        if (kind == Kind::Order && reply.status == 200 && text_at(reply.body, "/result/rested") != "0")
            rested = std::stoull(text_at(reply.body, "/result/order_id"));
    }
};

struct RunOptions {
    bool unsafe_reply_before_sync = false;
    std::optional<FsyncPolicy> fsync;  // default: batch or always, by seed
    int lives = 4;                     // each ends with a power cut
    int commands_per_life = 64;
};

struct Totals {
    std::uint64_t seeds = 0, cut_points = 0, cuts_inside_an_operation = 0, commands = 0, acknowledged = 0, in_doubt = 0,
                  in_doubt_survived = 0, retries_compared = 0, reads_checked = 0, recovered_from_snapshot = 0,
                  torn_tails_cut = 0;
    SimFileSystem::Stats disk;
};

class PowerLossRun {
public:
    PowerLossRun(std::uint64_t seed, RunOptions options) : seed_(seed), options_(options), random_(seed) {
        config_.data_dir = kData;
        config_.file_system = &disk_;
        config_.fsync = options.fsync.value_or(seed % 4 == 0 ? FsyncPolicy::Always : FsyncPolicy::Batch);
        config_.segment_bytes = 1024 + random_() % 8192;
        config_.snapshot_every_commands = 5 + random_() % 40;
        config_.snapshot_every = std::chrono::hours(1);  // by count only: the timer is not reproducible
        config_.journal_reserve_bytes = 0;
        config_.journal_retry_every = std::chrono::milliseconds(2);
        config_.unsafe_reply_before_sync = options.unsafe_reply_before_sync;
    }

    // Every life, then a last recovery; the first failure, or empty.
    std::string run(Totals& totals) {
        ++totals.seeds;
        for (int life = 0; life <= options_.lives; ++life) {
            Sequencer s(config_, nullptr, [] { return kNow; });
            RecoveryReport report;
            try {
                report = s.recover();
            } catch (const std::exception& e) {
                return where(life) + "recovery refused: " + e.what();
            }
            if (report.snapshot_seq) ++totals.recovered_from_snapshot;
            if (report.truncated_bytes > 0) ++totals.torn_tails_cut;
            s.start();
            std::string failure;
            try {
                failure = verify(s, report.last_seq, totals);
            } catch (const std::exception& e) {
                failure = std::string("verifying threw: ") + e.what();
            }
            if (!failure.empty()) return where(life) + failure;
            if (life == options_.lives) {
                s.stop();
                break;  // verified after the last cut
            }
            if (std::string failure = live(s, life, totals); !failure.empty()) return where(life) + failure;
            ++totals.cut_points;
            disk_.cut_before_operation(0, 0);
            disk_.power_on();
        }
        totals.acknowledged += acknowledged_at_once_;
        const SimFileSystem::Stats d = disk_.stats();
        totals.disk.files_with_unsynced_bytes += d.files_with_unsynced_bytes;
        totals.disk.tails_kept_whole += d.tails_kept_whole;
        totals.disk.tails_lost += d.tails_lost;
        totals.disk.tails_torn += d.tails_torn;
        totals.disk.tails_zeroed += d.tails_zeroed;
        totals.disk.directory_changes_kept += d.directory_changes_kept;
        totals.disk.directory_changes_lost += d.directory_changes_lost;
        return {};
    }

private:
    std::string where(int life) const {
        return "seed " + std::to_string(seed_) + ", after cut " + std::to_string(life) + ": ";
    }

    // Commands until the power goes, then the stop the dead process never got.
    std::string live(Sequencer& s, int life, Totals& totals) {
        std::vector<std::size_t> plan;
        if (life == 0) plan = setup();
        for (int i = 0; i < options_.commands_per_life; ++i) plan.push_back(~std::size_t{0});  // drawn when sent
        // Where the power goes: before any file operation, or before an
        // fdatasync (when written bytes are not yet durable), in most lives;
        // once the load is over; or after a clean stop.
        const std::uint64_t how = random_() % 8;
        if (how < 3) disk_.cut_before_operation(1 + random_() % 40, random_());
        if (how >= 3 && how < 6) disk_.cut_before_operation(1 + random_() % 12, random_(), testing::SimOp::Sync);
        std::size_t at = 0;
        while (at < plan.size() && disk_.powered()) {
            const std::size_t burst = std::min<std::size_t>(1 + random_() % 12, plan.size() - at);
            std::vector<std::variant<std::size_t, ReadRequest>> requests;
            for (std::size_t i = 0; i < burst; ++i, ++at) {
                if (plan[at] != ~std::size_t{0}) {
                    requests.emplace_back(plan[at]);
                } else if (random_() % 10 == 0) {
                    requests.emplace_back(ReadRequest::of(ReadKind::Status));
                } else {
                    requests.emplace_back(draw());
                }
            }
            send_burst(s, requests, totals);
        }
        if (disk_.powered() && how != 7) {
            std::mt19937_64 random(random_());
            disk_.power_cut(random);
        } else if (!disk_.powered()) {
            ++totals.cuts_inside_an_operation;
        }
        const StopReport stopped = s.stop();
        if (disk_.powered()) {
            // A clean stop: everything answered is durable, and so is the final snapshot.
            if (!stopped.clean) return "a clean stop was not clean: " + stopped.problem;
            std::mt19937_64 random(random_());
            disk_.power_cut(random);
        }
        return {};
    }

    std::vector<std::size_t> setup() {
        core::PairParams params;
        params.skew_scale = dec("1000");
        params.max_abs_premium = dec("0.05");
        params.max_abs_oi = dec("100000");
        params.initial_margin_ratio = dec("0.1");
        core::SetParams set_params;
        set_params.max_open_orders = 1'000'000;
        const std::vector<core::CommandBody> commands = {
            core::SetPair{kBtc, params},
            set_params,
            core::OracleUpdate{{{kBtc, dec("100")}}},
            core::DepositMargin{Name::from("lp"), amt("1000000")},
            core::DepositLiquidity{Name::from("lp"), amt("1000000"), std::nullopt},
        };
        std::vector<std::size_t> indices;
        for (const core::CommandBody& command : commands) {
            Sent sent;
            sent.kind = Kind::Setup;
            sent.request.body = command;
            sent.request.idempotency_key = "setup:" + std::to_string(sent_.size());
            sent.request.key_never_expires = true;
            indices.push_back(sent_.size());
            sent_.push_back(std::move(sent));
        }
        return indices;
    }

    // A new command: a bridge deposit, a signed order, a cancel of a resting order, or a withdrawal.
    std::size_t draw() {
        Sent sent;
        sent.trader = static_cast<int>(random_() % kTraders);
        const Name user = trader(sent.trader);
        const std::uint64_t roll = random_() % 20;
        const auto signed_by = [&] { return SignedBy{user, ++nonces_[sent.trader], kNow + 60'000}; };
        const auto resting = resting_orders(sent.trader);
        if (roll < 8) {
            sent.kind = Kind::Deposit;
            sent.amount = 1 + static_cast<std::int64_t>(random_() % 1000);
            sent.request.body = core::DepositMargin{user, core::Amount(sent.amount)};
            sent.request.idempotency_key = "bridge:tx:" + std::to_string(seed_) + "-" + std::to_string(sent_.size());
            sent.request.key_never_expires = true;
        } else if (roll < 16 || resting.empty()) {
            sent.kind = Kind::Order;
            const bool buy = random_() % 2 == 0;
            core::SubmitOrder order;
            order.user = user;
            order.pair = kBtc;
            order.size = dec((buy ? "0." : "-0.") + std::to_string(1 + random_() % 5));
            order.kind = core::OrderKind::Limit;
            order.limit_price =
                core::Dec::from_int(static_cast<std::int64_t>(buy ? 90 + random_() % 10 : 101 + random_() % 10));
            sent.request.body = order;
            sent.request.signed_by = signed_by();
            sent.request.idempotency_key = std::string(user.view()) + ":order-" + std::to_string(sent_.size());
        } else if (roll < 19) {
            sent.kind = Kind::Cancel;
            sent.request.body = core::CancelOrder{user, kBtc, resting[random_() % resting.size()]};
            sent.request.signed_by = signed_by();
            sent.request.idempotency_key = std::string(user.view()) + ":cancel-" + std::to_string(sent_.size());
        } else {
            sent.kind = Kind::Withdraw;
            sent.amount = 1 + static_cast<std::int64_t>(random_() % 200);
            sent.request.body = core::WithdrawMargin{user, core::Amount(sent.amount)};
            sent.request.signed_by = signed_by();
            // The router takes no Idempotency-Key on withdrawals; here one lets
            // the test learn whether a withdrawal left in doubt was journaled.
            sent.request.idempotency_key = std::string(user.view()) + ":withdraw-" + std::to_string(sent_.size());
        }
        sent_.push_back(std::move(sent));
        return sent_.size() - 1;
    }

    // Order ids acknowledged as resting and not acknowledged as canceled, by this trader.
    std::vector<core::OrderId> resting_orders(int t) const {
        std::set<core::OrderId> resting;
        for (const Sent& s : sent_) {
            if (!s.acknowledged || s.trader != t || s.reply.status != 200) continue;
            if (s.rested) resting.insert(*s.rested);
            if (s.kind == Kind::Cancel)
                resting.erase(std::get<core::CancelOrder>(std::get<core::CommandBody>(s.request.body)).order_id);
        }
        return {resting.begin(), resting.end()};
    }

    // Submits a burst at once (one or a few group commits) and waits for its
    // replies, or for the power to go.
    void send_burst(Sequencer& s, const std::vector<std::variant<std::size_t, ReadRequest>>& requests, Totals& totals) {
        struct Replies {
            std::mutex mutex;
            std::condition_variable cv;
            std::size_t outstanding = 0;
        };
        auto replies = std::make_shared<Replies>();
        replies->outstanding = requests.size();
        for (const auto& what : requests) {
            auto request = std::make_unique<Request>();
            if (const auto* index = std::get_if<std::size_t>(&what)) {
                ++totals.commands;
                request->what = sent_[*index].request;
                request->reply = [this, replies, index = *index](Response&& r) {
                    std::lock_guard lock(replies->mutex);
                    learn(index, std::move(r));
                    --replies->outstanding;
                    replies->cv.notify_all();
                };
            } else {
                request->what = std::get<ReadRequest>(what);
                request->reply = [this, replies](Response&& r) {
                    std::lock_guard lock(replies->mutex);
                    if (r.status == 200) reads_.emplace_back(*seq_of(r), text_at(r.body, "/state_hash"));
                    --replies->outstanding;
                    replies->cv.notify_all();
                };
            }
            while (!s.submit(request)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        std::unique_lock lock(replies->mutex);
        // Replies still out when the power goes are answered by the stop that follows.
        while (replies->outstanding > 0 && disk_.powered()) replies->cv.wait_for(lock, std::chrono::milliseconds(2));
    }

    // A reply with a seq acknowledges its command; anything else (a 503 when
    // the journal failed or the exchange stopped) leaves it in doubt.
    void learn(std::size_t index, Response&& r) {
        Sent& sent = sent_[index];
        if (const auto seq = seq_of(r)) {
            sent.acknowledge(*seq, std::move(r));
            ++acknowledged_at_once_;
        } else if (r.status != 503) {
            unexpected_.push_back("command " + sent.request.idempotency_key +
                                  " answered without a seq: " + std::to_string(r.status) + " " + r.body);
        }
    }

    static std::string describe(const Sent& sent) {
        return sent.request.idempotency_key + " (seq " + std::to_string(sent.seq) + ")";
    }

    // After a recovery to `recovered`: nothing acknowledged is missing, what
    // was in doubt is settled by retrying it, and the exchange equals the
    // state rebuilt from the acknowledgements alone.
    std::string verify(Sequencer& s, std::uint64_t recovered, Totals& totals) {
        if (!unexpected_.empty()) return unexpected_.front();
        // 1. Each acknowledged command is there: retried with its key, it gets
        //    its first reply byte for byte and is not applied again.
        for (Sent& sent : sent_) {
            if (!sent.acknowledged) continue;
            if (sent.seq > recovered)
                return "acknowledged command " + describe(sent) + " is lost: the exchange recovered to seq " +
                       std::to_string(recovered);
            const Response again = s.call(sent.request);
            ++totals.retries_compared;
            if (again.status != sent.reply.status || again.body != sent.reply.body)
                return "the retry of acknowledged command " + describe(sent) + " got " + std::to_string(again.status) +
                       " " + again.body + " instead of " + std::to_string(sent.reply.status) + " " + sent.reply.body;
        }
        // Every read showed state within what survived.
        for (const auto& [seq, hash] : reads_) {
            if (seq > recovered)
                return "a read showed the state at seq " + std::to_string(seq) + " but the exchange recovered to seq " +
                       std::to_string(recovered);
        }
        // 2. Commands in doubt are retried, as a client would, in the order
        //    they were sent: the first reply if the journal kept them, a new
        //    one otherwise. Either way they are now acknowledged.
        for (Sent& sent : sent_) {
            if (sent.acknowledged) continue;
            ++totals.in_doubt;
            Response r = s.call(sent.request);
            const auto seq = seq_of(r);
            if (!seq) return "retry of " + sent.request.idempotency_key + " answered " + r.body;
            if (*seq <= recovered) ++totals.in_doubt_survived;
            sent.acknowledge(*seq, std::move(r));
        }

        // 3. Every command in the exchange is one the test sent, once.
        const Response status = s.call(ReadRequest::of(ReadKind::Status));
        const std::uint64_t last = *seq_of(status);
        std::vector<const Sent*> by_seq(last + 1, nullptr);
        for (const Sent& sent : sent_) {
            if (sent.seq > last || by_seq[sent.seq] != nullptr)
                return "command " + describe(sent) + " does not fit in the exchange's seqs 1.." + std::to_string(last);
            by_seq[sent.seq] = &sent;
        }
        for (std::uint64_t seq = 1; seq <= last; ++seq)
            if (by_seq[seq] == nullptr) return "seq " + std::to_string(seq) + " holds a command the test never sent";

        // 4. The state rebuilt from what the test was told, not from the
        //    journal: each acknowledged command at its seq. Every reply and
        //    every read must match it, and so must the whole state.
        std::multimap<std::uint64_t, std::string> reads(reads_.begin(), reads_.end());
        ExchangeState rebuilt;
        for (std::uint64_t seq = 1; seq <= last; ++seq) {
            const Response reply = rebuilt.apply(record_of(*by_seq[seq]));
            if (reply.status != by_seq[seq]->reply.status || reply.body != by_seq[seq]->reply.body)
                return "command " + describe(*by_seq[seq]) + " was answered " + by_seq[seq]->reply.body +
                       " but the rebuilt state answers " + reply.body;
            for (auto [it, end] = reads.equal_range(seq); it != end; ++it, ++totals.reads_checked) {
                if (it->second != rebuilt.state_hash())
                    return "a read at seq " + std::to_string(seq) + " showed a state the acknowledgements do not make";
            }
        }
        if (rebuilt.state_hash() != text_at(status.body, "/state_hash"))
            return "the recovered state differs from the state rebuilt from the acknowledged commands";

        // 5. The same, without the engine: each trader's margin is what the
        //    test deposited less what it withdrew, and their resting orders
        //    are those acknowledged as resting and not canceled.
        for (int t = 0; t < kTraders; ++t) {
            std::int64_t margin = 0;
            for (const Sent& sent : sent_) {
                if (sent.trader != t || sent.reply.status != 200) continue;
                if (sent.kind == Kind::Deposit) margin += sent.amount;
                if (sent.kind == Kind::Withdraw) margin -= sent.amount;
            }
            ReadRequest account = ReadRequest::of(ReadKind::Account);
            account.subject = trader(t);
            const Response view = s.call(account);
            if (text_at(view.body, "/margin") != std::to_string(margin))
                return "trader " + std::to_string(t) + " has margin " + text_at(view.body, "/margin") +
                       ", the acknowledged deposits and withdrawals make " + std::to_string(margin);
            ReadRequest orders = ReadRequest::of(ReadKind::Orders);
            orders.subject = trader(t);
            orders.limit = 1000;
            std::vector<core::OrderId> listed;
            const boost::json::value page = boost::json::parse(s.call(orders).body);
            for (const auto& o : page.at("orders").as_array())
                listed.push_back(std::stoull(std::string(o.at("order_id").as_string())));
            if (listed != resting_orders(t))
                return "trader " + std::to_string(t) + "'s resting orders differ from the acknowledged ones";
        }

        // 6. And the journal holds exactly those commands, in that order.
        std::string journal_failure;
        scan_journal(
            kData / "journal", false,
            [&](std::uint64_t seq, std::string_view payload) {
                JournalRecord record;
                std::string error;
                if (!journal_failure.empty()) return;
                if (seq > last || !decode_record(payload, record, error)) {
                    journal_failure = "journal record " + std::to_string(seq) + " is not one the test knows";
                    return;
                }
                std::string in_journal, expected;
                encode_record(record, in_journal);
                encode_record(record_of(*by_seq[seq]), expected);
                if (in_journal != expected)
                    journal_failure = "journal record " + std::to_string(seq) + " is not " + describe(*by_seq[seq]);
            },
            0, disk_);
        return journal_failure;
    }

    static JournalRecord record_of(const Sent& sent) {
        JournalRecord record;
        record.seq = sent.seq;
        record.time = kNow;
        record.signed_by = sent.request.signed_by;
        record.idempotency_key = sent.request.idempotency_key;
        record.key_never_expires = sent.request.key_never_expires;
        record.command = core::Command{kNow, std::get<core::CommandBody>(sent.request.body)};
        return record;
    }

    std::uint64_t seed_;
    RunOptions options_;
    std::mt19937_64 random_;
    SimFileSystem disk_;
    SequencerConfig config_;
    std::vector<Sent> sent_;
    std::vector<std::pair<std::uint64_t, std::string>> reads_;  // status reads answered: seq, state hash
    std::vector<std::string> unexpected_;
    std::uint64_t acknowledged_at_once_ = 0;  // by their first reply
    std::array<std::uint64_t, kTraders> nonces_{};
};

void print(const char* what, const Totals& t) {
    std::printf(
        "%s: %llu seeds, %llu power cuts (%llu inside a file operation), %llu commands sent, %llu acknowledged "
        "by their first reply, "
        "%llu retries compared byte for byte, %llu left in doubt by a cut (%llu of them had survived), %llu reads "
        "checked against the rebuilt state, %llu recoveries from a snapshot, %llu torn journal tails cut; disk: "
        "%llu files with unsynced bytes at a cut (kept whole %llu, lost %llu, torn %llu, zero-filled %llu), "
        "directory changes kept %llu / lost %llu\n",
        what, static_cast<unsigned long long>(t.seeds), static_cast<unsigned long long>(t.cut_points),
        static_cast<unsigned long long>(t.cuts_inside_an_operation), static_cast<unsigned long long>(t.commands),
        static_cast<unsigned long long>(t.acknowledged), static_cast<unsigned long long>(t.retries_compared),
        static_cast<unsigned long long>(t.in_doubt), static_cast<unsigned long long>(t.in_doubt_survived),
        static_cast<unsigned long long>(t.reads_checked), static_cast<unsigned long long>(t.recovered_from_snapshot),
        static_cast<unsigned long long>(t.torn_tails_cut),
        static_cast<unsigned long long>(t.disk.files_with_unsynced_bytes),
        static_cast<unsigned long long>(t.disk.tails_kept_whole), static_cast<unsigned long long>(t.disk.tails_lost),
        static_cast<unsigned long long>(t.disk.tails_torn), static_cast<unsigned long long>(t.disk.tails_zeroed),
        static_cast<unsigned long long>(t.disk.directory_changes_kept),
        static_cast<unsigned long long>(t.disk.directory_changes_lost));
    std::fflush(stdout);
}

TEST(PowerLoss, NothingAcknowledgedIsLostAtAnyCut) {
    QuietLogs quiet;
    const std::uint64_t first = env_or("BALLAST_POWER_LOSS_FIRST_SEED", 1);
    const std::uint64_t seeds = env_or("BALLAST_POWER_LOSS_SEEDS", 50);
    Totals totals;
    std::uint64_t failed = 0;
    for (std::uint64_t seed = first; seed < first + seeds; ++seed) {
        PowerLossRun run(seed, {});
        const std::string failure = run.run(totals);
        if (!failure.empty()) {
            ++failed;
            ADD_FAILURE() << failure;
        }
    }
    print("power loss", totals);
    EXPECT_EQ(failed, 0u);
    EXPECT_GT(totals.cuts_inside_an_operation, totals.cut_points / 2);
    EXPECT_GT(totals.in_doubt_survived, 0u) << "no cut ever kept an unacknowledged command: too gentle";
    EXPECT_GT(totals.recovered_from_snapshot, 0u);
    EXPECT_GT(totals.torn_tails_cut, 0u);
}

// The test above must be able to fail: with replies released before the
// journal is synced, or with fsync off, a power cut loses acknowledged
// commands, and the runs must say so (not fail for another reason).
bool is_a_loss(const std::string& failure) {
    for (const char* loss : {" is lost: ", "the retry of acknowledged command", "a read showed the state"})
        if (failure.find(loss) != std::string::npos) return true;
    return false;
}

// With fsync off a cut can also leave a journal that no longer reads back
// (a gap, a snapshot ahead of it): lost all the same.
bool is_a_loss_or_a_broken_journal(const std::string& failure) {
    return is_a_loss(failure) || failure.find("journal") != std::string::npos;
}

std::uint64_t seeds_detecting_a_loss(RunOptions options, std::uint64_t seeds,
                                     bool (*expected)(const std::string&) = is_a_loss) {
    Totals totals;
    std::uint64_t detected = 0;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        PowerLossRun run(seed, options);
        const std::string failure = run.run(totals);
        if (failure.empty()) continue;
        EXPECT_TRUE(expected(failure)) << failure;
        if (detected++ < 3) std::printf("  for example: %s\n", failure.c_str());
    }
    return detected;
}

TEST(PowerLoss, RepliesReleasedBeforeTheSyncAreCaught) {
    QuietLogs quiet;
    RunOptions options;
    options.unsafe_reply_before_sync = true;
    const std::uint64_t detected = seeds_detecting_a_loss(options, 20);
    std::printf("replies before the sync: a loss detected in %llu of 20 seeds\n",
                static_cast<unsigned long long>(detected));
    EXPECT_GE(detected, 10u);
}

TEST(PowerLoss, FsyncOffLosesAcknowledgedCommandsAsDocumented) {
    QuietLogs quiet;
    RunOptions options;
    options.fsync = FsyncPolicy::Off;
    const std::uint64_t detected = seeds_detecting_a_loss(options, 20, is_a_loss_or_a_broken_journal);
    std::printf("fsync off: a loss detected in %llu of 20 seeds\n", static_cast<unsigned long long>(detected));
    EXPECT_GE(detected, 10u);
}

}  // namespace
}  // namespace ballast::sequencer
