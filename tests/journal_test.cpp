// The journal's on-disk format: framing, checksums, torn tails, corruption,
// and the snapshot files beside it.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "engine_harness.hpp"
#include "sequencer/crc32c.hpp"
#include "sequencer/journal.hpp"
#include "sequencer/journal_format.hpp"
#include "sequencer/journal_record.hpp"
#include "sequencer/snapshot_store.hpp"
#include "temp_dir.hpp"
#include "tmpfs.hpp"

namespace ballast::sequencer {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// A payload the scanner accepts: it starts with the sequence number.
std::string payload(std::uint64_t seq, std::string_view text) {
    std::string out;
    put_u64(out, seq);
    out.append(text);
    return out;
}

std::vector<std::string> scan_all(const fs::path& dir, bool repair, JournalScan* result = nullptr) {
    std::vector<std::string> payloads;
    const JournalScan scan =
        scan_journal(dir, repair, [&](std::uint64_t, std::string_view p) { payloads.emplace_back(p); });
    if (result) *result = scan;
    return payloads;
}

// Writes records 1..n, one append each, and returns each record's end offset in the file.
std::vector<std::uint64_t> write_records(const fs::path& dir, int n, std::uint64_t segment_bytes = 1 << 20) {
    JournalWriter writer(dir, FsyncPolicy::Batch, segment_bytes);
    writer.open(std::nullopt, 1);
    std::vector<std::uint64_t> ends;
    std::uint64_t offset = kSegmentHeaderBytes;
    for (int i = 1; i <= n; ++i) {
        std::string framed;
        frame_record(payload(static_cast<std::uint64_t>(i), "record number " + std::to_string(i)), framed);
        writer.append(framed, static_cast<std::uint64_t>(i));
        offset += framed.size();
        ends.push_back(offset);
    }
    return ends;
}

fs::path only_segment(const fs::path& dir) { return dir / segment_file_name(1); }

void flip_byte(const fs::path& file, std::uint64_t offset) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
    // The CRC-32C check value from the catalogue of CRC parameters (RFC 3720 uses the same polynomial).
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c_portable("123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c(""), 0u);
}

TEST(Crc32c, TheHardwarePathAgreesWithTheTableAtEveryLengthAndAlignment) {
    std::string bytes;
    for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>(i * 131 + 7));
    for (std::size_t start = 0; start < 9; ++start) {
        for (std::size_t length = 0; start + length <= bytes.size(); ++length) {
            const std::string_view part = std::string_view(bytes).substr(start, length);
            ASSERT_EQ(crc32c(part), crc32c_portable(part)) << start << "+" << length;
        }
    }
}

TEST(Journal, ReadsBackEveryRecordInOrder) {
    TempDir dir("journal");
    write_records(dir.path(), 50);
    JournalScan scan;
    const auto payloads = scan_all(dir.path(), false, &scan);
    ASSERT_EQ(payloads.size(), 50u);
    EXPECT_EQ(payloads[0], payload(1, "record number 1"));
    EXPECT_EQ(payloads[49], payload(50, "record number 50"));
    EXPECT_EQ(scan.last_seq, 50u);
    EXPECT_EQ(scan.truncated_bytes, 0u);
}

TEST(Journal, RotatesSegmentsAndReadsAcrossThem) {
    TempDir dir("journal");
    write_records(dir.path(), 40, /*segment_bytes=*/200);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++files;
    EXPECT_GT(files, 3u);
    JournalScan scan;
    EXPECT_EQ(scan_all(dir.path(), false, &scan).size(), 40u);
    EXPECT_EQ(scan.last_seq, 40u);
}

TEST(Journal, EveryTornTailIsCutBackToTheLastWholeRecord) {
    TempDir dir("journal");
    const auto ends = write_records(dir.path(), 5);
    const fs::path segment = only_segment(dir.path());
    const std::uint64_t last_start = ends[3];
    for (std::uint64_t cut = last_start + 1; cut < ends[4]; ++cut) {
        TempDir copy("torn");
        fs::copy_file(segment, copy.path() / segment.filename());
        fs::resize_file(copy.path() / segment.filename(), cut);
        JournalScan scan;
        const auto payloads = scan_all(copy.path(), /*repair=*/true, &scan);
        ASSERT_EQ(payloads.size(), 4u) << "cut at " << cut;
        EXPECT_EQ(scan.truncated_bytes, cut - last_start);
        EXPECT_EQ(fs::file_size(copy.path() / segment.filename()), last_start);
        // Appending after the repair continues the sequence seamlessly.
        JournalWriter writer(copy.path(), FsyncPolicy::Batch, 1 << 20);
        writer.open(scan.last_segment, 5);
        std::string framed;
        frame_record(payload(5, "again"), framed);
        writer.append(framed, 5);
        ASSERT_EQ(scan_all(copy.path(), false).size(), 5u);
    }
}

TEST(Journal, ADamagedLastRecordIsATornTail) {
    TempDir dir("journal");
    const auto ends = write_records(dir.path(), 5);
    flip_byte(only_segment(dir.path()), ends[4] - 2);
    JournalScan scan;
    EXPECT_EQ(scan_all(dir.path(), true, &scan).size(), 4u);
    EXPECT_EQ(scan.truncated_bytes, ends[4] - ends[3]);
}

TEST(Journal, CorruptionWithValidRecordsAfterItRefusesToStart) {
    TempDir dir("journal");
    const auto ends = write_records(dir.path(), 5);
    const auto size_before = fs::file_size(only_segment(dir.path()));
    flip_byte(only_segment(dir.path()), ends[1] - 3);  // inside record 2
    try {
        scan_all(dir.path(), true);
        FAIL() << "a corrupt middle must not be accepted";
    } catch (const JournalCorrupt& e) {
        EXPECT_NE(std::string(e.what()).find("valid records after it"), std::string::npos) << e.what();
    }
    EXPECT_EQ(fs::file_size(only_segment(dir.path())), size_before) << "nothing may be cut off";
}

TEST(Journal, CorruptionInAnEarlierSegmentRefusesToStart) {
    TempDir dir("journal");
    write_records(dir.path(), 40, /*segment_bytes=*/200);
    flip_byte(only_segment(dir.path()), kSegmentHeaderBytes + 10);
    EXPECT_THROW(scan_all(dir.path(), true), JournalCorrupt);
}

TEST(Journal, SegmentsCoveredByASnapshotAreNotRead) {
    TempDir dir("journal");
    write_records(dir.path(), 40, /*segment_bytes=*/200);
    std::vector<std::uint64_t> firsts;
    for (const auto& entry : fs::directory_iterator(dir.path()))
        firsts.push_back(std::stoull(entry.path().filename().string().substr(8, 20)));
    std::sort(firsts.begin(), firsts.end());
    ASSERT_GT(firsts.size(), 2u);
    // Damage the first segment: a scan from a snapshot past it never reads it.
    flip_byte(only_segment(dir.path()), kSegmentHeaderBytes + 10);
    std::vector<std::uint64_t> seqs;
    const JournalScan scan = scan_journal(
        dir.path(), false, [&](std::uint64_t seq, std::string_view) { seqs.push_back(seq); }, firsts[1] - 1);
    ASSERT_FALSE(seqs.empty());
    EXPECT_EQ(seqs.front(), firsts[1]);
    EXPECT_EQ(seqs.back(), 40u);
    EXPECT_EQ(scan.last_seq, 40u);
}

TEST(Journal, ASequenceGapRefusesToStart) {
    TempDir dir("journal");
    JournalWriter writer(dir.path(), FsyncPolicy::Off, 1 << 20);
    writer.open(std::nullopt, 1);
    for (std::uint64_t seq : {1, 2, 4}) {
        std::string framed;
        frame_record(payload(seq, "x"), framed);
        writer.append(framed, seq);
    }
    EXPECT_THROW(scan_all(dir.path(), true), JournalCorrupt);
}

TEST(Journal, ABadHeaderRefusesToStart) {
    TempDir dir("journal");
    write_records(dir.path(), 3);
    flip_byte(only_segment(dir.path()), 2);  // in the magic
    EXPECT_THROW(scan_all(dir.path(), true), JournalCorrupt);
}

TEST(JournalRecord, RoundTripsWithEveryOptionalPart) {
    JournalRecord record;
    record.seq = 77;
    record.time = 1'700'000'000'123;
    record.signed_by = SignedBy{core::Name::from("0x00000000000000000000000000000000000000aa"), 42, 1'700'000'060'000};
    record.idempotency_key = "0x00000000000000000000000000000000000000aa:retry-1";
    record.key_never_expires = true;
    core::SubmitOrder order;
    order.user = core::Name::from("0x00000000000000000000000000000000000000aa");
    order.pair = core::Name::from("BTC-PERP");
    order.size = testing::dec("-1.25");
    order.kind = core::OrderKind::Limit;
    order.limit_price = testing::dec("60000.5");
    record.command = core::Command{record.time, order};

    std::string bytes;
    encode_record(record, bytes);
    JournalRecord back;
    std::string error;
    ASSERT_TRUE(decode_record(bytes, back, error)) << error;
    EXPECT_EQ(back.seq, 77u);
    EXPECT_EQ(back.time, record.time);
    ASSERT_TRUE(back.signed_by);
    EXPECT_EQ(back.signed_by->signer, record.signed_by->signer);
    EXPECT_EQ(back.signed_by->nonce, 42u);
    EXPECT_EQ(back.signed_by->expiry, 1'700'000'060'000);
    EXPECT_EQ(back.idempotency_key, record.idempotency_key);
    EXPECT_TRUE(back.key_never_expires);
    const auto& o = std::get<core::SubmitOrder>(back.command.body);
    EXPECT_EQ(o.size, order.size);
    EXPECT_EQ(o.limit_price, order.limit_price);

    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
        EXPECT_FALSE(decode_record(std::string_view(bytes).substr(0, cut), back, error)) << "cut " << cut;
}

TEST(SnapshotStore, LoadsTheNewestIntactSnapshotAndKeepsTwo) {
    TempDir dir("snapshots");
    for (std::uint64_t seq : {10, 20, 30})
        write_snapshot(dir.path(), {seq, 1000 + static_cast<std::int64_t>(seq), "state at " + std::to_string(seq)});
    std::vector<std::string> skipped;
    auto newest = load_newest_snapshot(dir.path(), skipped);
    ASSERT_TRUE(newest);
    EXPECT_EQ(newest->seq, 30u);
    EXPECT_EQ(newest->payload, "state at 30");
    EXPECT_FALSE(fs::exists(dir.path() / "snapshot-00000000000000000010.snap"));

    flip_byte(dir.path() / "snapshot-00000000000000000030.snap", 50);
    newest = load_newest_snapshot(dir.path(), skipped);
    ASSERT_TRUE(newest);
    EXPECT_EQ(newest->seq, 20u);
    ASSERT_EQ(skipped.size(), 1u);
    EXPECT_NE(skipped[0].find("checksum"), std::string::npos);
}

std::string framed_records(std::uint64_t first, std::uint64_t last, std::size_t filler = 16) {
    std::string framed;
    for (std::uint64_t seq = first; seq <= last; ++seq)
        frame_record(payload(seq, "record " + std::to_string(seq) + std::string(filler, '.')), framed);
    return framed;
}

std::vector<std::uint64_t> scanned_seqs(const fs::path& dir) {
    std::vector<std::uint64_t> seqs;
    scan_journal(dir, false, [&](std::uint64_t seq, std::string_view) { seqs.push_back(seq); });
    return seqs;
}

std::vector<std::uint64_t> one_to(std::uint64_t n) {
    std::vector<std::uint64_t> seqs;
    for (std::uint64_t seq = 1; seq <= n; ++seq) seqs.push_back(seq);
    return seqs;
}

TEST(JournalWriter, AFailedAppendIsCutBackSoTheSameRecordsGoInOnce) {
    TempDir dir("journal");
    JournalFaults faults;
    JournalWriter writer(dir.path(), FsyncPolicy::Batch, 1 << 20, 0, &faults);
    writer.open(std::nullopt, 1);
    writer.append(framed_records(1, 1), 1);
    const auto size = fs::file_size(only_segment(dir.path()));

    faults.writes = 1;  // half the bytes reach the file, then the write fails
    EXPECT_THROW(writer.append(framed_records(2, 3), 2), std::runtime_error);
    EXPECT_EQ(fs::file_size(only_segment(dir.path())), size) << "the half-written batch is cut off";
    writer.append(framed_records(2, 3), 2);

    faults.syncs = 1;  // everything written, then fdatasync fails: written again in full
    EXPECT_THROW(writer.append(framed_records(4, 4), 4), std::runtime_error);
    writer.append(framed_records(4, 4), 4);
    EXPECT_EQ(scanned_seqs(dir.path()), one_to(4));
}

TEST(JournalWriter, OnARealFullDiskAFailedAppendIsCutBackAndRetried) {
    testing::Tmpfs disk("full-journal", 256 << 10);
    if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
    const fs::path dir = disk.path() / "journal";
    JournalWriter writer(dir, FsyncPolicy::Batch, 1 << 20);
    writer.open(std::nullopt, 1);
    writer.append(framed_records(1, 10), 1);
    disk.fill();
    // The segment's last page has room for part of this batch, not all of it.
    const std::string batch = framed_records(11, 60, 200);
    EXPECT_THROW(writer.append(batch, 11), std::runtime_error);
    EXPECT_EQ(scanned_seqs(dir), one_to(10));
    EXPECT_THROW(writer.append(batch, 11), std::runtime_error) << "still full";
    disk.free_space();
    writer.append(batch, 11);
    writer.append(framed_records(61, 61), 61);
    EXPECT_EQ(scanned_seqs(dir), one_to(61));
}

TEST(JournalWriter, AReserveKeepsRoomForWhatIsInFlightAndSaysWhenTheDiskIsLow) {
    testing::Tmpfs disk("reserve", 1 << 20);
    if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
    const fs::path dir = disk.path() / "journal";
    JournalWriter writer(dir, FsyncPolicy::Batch, 1 << 20, 128 << 10);
    writer.open(std::nullopt, 1);
    writer.append(framed_records(1, 10), 1);
    EXPECT_FALSE(writer.low_space()) << writer.low_space_reason();
    disk.fill();
    // The disk is full, but the reserve was allocated before: appends go on
    // (the free space is looked at every 100 ms) until the writer says it is low.
    std::uint64_t seq = 11;
    for (int i = 0; i < 50 && !writer.low_space(); ++i, seq += 10) {
        writer.append(framed_records(seq, seq + 9, 100), seq);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(writer.low_space());
    EXPECT_NE(writer.low_space_reason().find("reserve"), std::string::npos) << writer.low_space_reason();
    EXPECT_EQ(scanned_seqs(dir), one_to(seq - 1));
    disk.free_space();
    writer.check_space();
    EXPECT_FALSE(writer.low_space()) << writer.low_space_reason();
}

TEST(JournalWriter, AReserveThatCannotBeRenewedMakesItLow) {
    TempDir dir("journal");
    JournalFaults faults;
    JournalWriter writer(dir.path(), FsyncPolicy::Off, 1 << 20, 4 << 10, &faults);
    writer.open(std::nullopt, 1);
    faults.reserves = 1'000;
    std::uint64_t seq = 1;
    for (; seq <= 1'000 && !writer.low_space(); ++seq) writer.append(framed_records(seq, seq), seq);
    ASSERT_TRUE(writer.low_space()) << "the reserve was never renewed";
    EXPECT_NE(writer.low_space_reason().find("cannot reserve"), std::string::npos) << writer.low_space_reason();
    faults.reserves = 0;
    writer.check_space();
    EXPECT_FALSE(writer.low_space()) << writer.low_space_reason();
    EXPECT_EQ(scanned_seqs(dir.path()), one_to(seq - 1));
}

TEST(SnapshotStore, AFailedWriteLeavesNoTemporaryFile) {
    testing::Tmpfs disk("full-snapshot", 256 << 10);
    if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
    const fs::path dir = disk.path() / "snapshots";
    write_snapshot(dir, {1, 1000, "small"});
    disk.fill();
    EXPECT_THROW(write_snapshot(dir, {2, 2000, std::string(64 << 10, 's')}), std::runtime_error);
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    ASSERT_EQ(names.size(), 1u) << "left behind: " << names.back();
    EXPECT_EQ(names[0], "snapshot-00000000000000000001.snap");

    disk.free_space();
    std::ofstream(dir / "snapshot-00000000000000000003.snap.tmp") << "half";
    EXPECT_EQ(remove_temporary_snapshots(dir).size(), 1u);
    EXPECT_FALSE(fs::exists(dir / "snapshot-00000000000000000003.snap.tmp"));
}

}  // namespace
}  // namespace ballast::sequencer
