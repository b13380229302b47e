// Power loss, simulated. SIGKILL keeps the page cache, so a kill test cannot
// see what a power cut loses. Here the journal writer and the snapshot store
// run over a simulated disk (sim_file_system.hpp) that keeps, at a power
// cut, only what was made durable plus a random part of the rest, and what
// they made durable must survive cuts at every operation.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <random>

#include "sequencer/journal.hpp"
#include "sequencer/journal_format.hpp"
#include "sequencer/snapshot_store.hpp"
#include "sim_file_system.hpp"

namespace ballast::sequencer {
namespace {

namespace fs = std::filesystem;
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
                JournalWriter writer(kData / "journal", FsyncPolicy::Batch,
                                     /*segment_bytes=*/2048, 0, nullptr, disk);
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
            disk.cut_before_operation(5, seed);  // create, header, sync, directory
                                                 // sync, then closing the old one
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

}  // namespace
}  // namespace ballast::sequencer
