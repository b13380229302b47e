// Appending to and reading back the journal (format in journal_format.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

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

class JournalWriter {
public:
    JournalWriter(std::filesystem::path dir, FsyncPolicy policy, std::uint64_t segment_bytes);
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    // Continues the segment `path` (already validated and truncated to its
    // last good record) or, with no path, starts a new one at `next_seq`.
    void open(std::optional<std::filesystem::path> path, std::uint64_t next_seq);

    // Writes framed records whose first sequence number is `first_seq`,
    // rotating to a new segment first when the current one is full, then
    // makes them durable according to the policy.
    void append(std::string_view framed, std::uint64_t first_seq);

    std::uint64_t bytes_written() const { return bytes_written_; }

private:
    void start_segment(std::uint64_t first_seq);
    void close_segment();

    std::filesystem::path dir_;
    FsyncPolicy policy_;
    std::uint64_t segment_bytes_;
    int fd_ = -1;
    std::uint64_t segment_size_ = 0;
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
                         std::uint64_t skip_through = 0);

// Fsyncs a directory so that a file created or renamed in it survives a power cut.
void sync_directory(const std::filesystem::path& dir);

}  // namespace ballast::sequencer
