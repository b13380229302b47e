// Appending to and reading back the journal (format in journal_format.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sequencer/file_system.hpp"

namespace ballast::sequencer {

// When a reply may leave: after an fsync of its own record (always), of the
// batch it was applied in (batch: group commit, the default), or once the
// record is in the page cache (off: survives a process crash, not a power cut).
enum class FsyncPolicy : std::uint8_t { Always, Batch, Off };

// Thrown when the journal cannot be trusted: corruption before the tail, a
// gap in sequence numbers, an unreadable header. The server refuses to start.
class JournalCorrupt : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Failures to inject into a JournalWriter, for tests: each counts the coming
// operations that fail, and may be changed while the writer runs.
struct JournalFaults {
    std::atomic<int> writes{0};    // the write stores half its bytes, then fails with ENOSPC
    std::atomic<int> syncs{0};     // fdatasync fails with EIO
    std::atomic<int> reserves{0};  // extending the reserve fails with ENOSPC
};

class JournalWriter {
public:
    // `reserve_bytes` of disk are kept allocated ahead of the journal's end
    // (fallocate, not counted in the file's size), so that commands already
    // applied can still be written when the disk fills up; 0 turns it off.
    JournalWriter(std::filesystem::path dir, FsyncPolicy policy, std::uint64_t segment_bytes,
                  std::uint64_t reserve_bytes = 0, JournalFaults* faults = nullptr,
                  FileSystem& files = posix_file_system());
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    // Continues the segment `path` (already validated and truncated to its
    // last good record) or, with no path, starts a new one at `next_seq`.
    void open(std::optional<std::filesystem::path> path, std::uint64_t next_seq);

    // Writes framed records whose first sequence number is `first_seq`,
    // rotating to a new segment first when the current one is full, then
    // makes them durable according to the policy. All or nothing: when it
    // throws, the journal is cut back to where it was (so the same records
    // may be appended again, and nothing is written twice).
    void append(std::string_view framed, std::uint64_t first_seq);

    // True when less than the reserve is free on the disk or the reserve
    // could not be renewed: appends still succeed from what is left of it,
    // but no new command should be taken until this clears. check_space()
    // looks again (after space has been freed); low_space_reason() says why.
    bool low_space() const { return low_space_; }
    const std::string& low_space_reason() const { return low_space_reason_; }
    void check_space();

    std::uint64_t bytes_written() const { return bytes_written_; }

private:
    void start_segment(std::uint64_t first_seq);
    void close_segment();
    // Keeps the reserve at least half full ahead of `need` more bytes.
    void ensure_reserve(std::uint64_t need, bool force);
    void release_reserve();
    void write_all(std::string_view bytes);

    std::filesystem::path dir_;
    FsyncPolicy policy_;
    std::uint64_t segment_bytes_;
    std::uint64_t reserve_bytes_;
    JournalFaults* faults_;
    FileSystem& files_;
    std::unique_ptr<WritableFile> file_;  // the current segment
    std::uint64_t segment_size_ = 0;      // bytes known good: the segment is cut back to this after a failure
    bool cut_back_pending_ = false;       // a failed append could not be cut back yet
    std::uint64_t reserved_end_ = 0;      // allocated up to this offset
    bool low_space_ = false;
    std::string low_space_reason_;
    std::chrono::steady_clock::time_point last_space_check_{};
    std::uint64_t bytes_written_ = 0;
};

struct JournalScan {
    std::uint64_t records = 0;
    std::uint64_t last_seq = 0;                         // 0: no record
    std::optional<std::filesystem::path> last_segment;  // to continue appending to
    std::uint64_t truncated_bytes = 0;                  // torn tail removed from the last segment
    std::string truncation_reason;
};

// Reads every record of the journal in `dir` in sequence order, calling
// `on_record(seq, payload)` for each. A torn or corrupt tail of the last
// segment (a partial frame, or a bad checksum with no valid record after it)
// is cut off when `repair` is set and reported in the result; anything
// worse throws JournalCorrupt. Sequence numbers must rise by one. Closed
// segments holding only records up to `skip_through` are skipped unread
// (recovery from a snapshot at that seq does not need them).
JournalScan scan_journal(const std::filesystem::path& dir, bool repair,
                         const std::function<void(std::uint64_t seq, std::string_view payload)>& on_record,
                         std::uint64_t skip_through = 0, FileSystem& files = posix_file_system());

}  // namespace ballast::sequencer
