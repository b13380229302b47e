#include "sequencer/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "sequencer/crc32c.hpp"
#include "sequencer/journal_format.hpp"
#include "sequencer/numbered_files.hpp"

namespace ballast::sequencer {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

void write_all(int fd, std::string_view bytes, const fs::path& path) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("journal write to " + path.string());
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::string data(fs::file_size(path), '\0');
    if (!in || !in.read(data.data(), static_cast<std::streamsize>(data.size())))
        throw JournalCorrupt("cannot read journal segment " + path.string());
    return data;
}

constexpr std::string_view kSegmentPrefix = "journal-", kSegmentSuffix = ".log";

// A frame that checks out at `offset`: its length is sane, it fits, and its checksum matches.
bool valid_frame_at(std::string_view data, std::size_t offset, std::uint32_t& length) {
    if (data.size() - offset < kFrameHeaderBytes) return false;
    length = get_u32(data.data() + offset);
    if (length < 8 || length > kMaxPayloadBytes || data.size() - offset - kFrameHeaderBytes < length) return false;
    const std::string_view payload = data.substr(offset + kFrameHeaderBytes, length);
    return crc32c(payload) == get_u32(data.data() + offset + 4);
}

}  // namespace

std::string segment_file_name(std::uint64_t first_seq) {
    return numbered_file_name(kSegmentPrefix, first_seq, kSegmentSuffix);
}

std::string encode_segment_header(std::uint64_t first_seq) {
    std::string header(kJournalMagic);
    put_u32(header, kJournalVersion);
    put_u64(header, first_seq);
    put_u32(header, crc32c(header));
    return header;
}

std::size_t begin_frame(std::string& out) {
    const std::size_t start = out.size();
    out.append(kFrameHeaderBytes, '\0');
    return start;
}

void end_frame(std::string& out, std::size_t frame_start) {
    const std::size_t payload_start = frame_start + kFrameHeaderBytes;
    const std::string_view payload = std::string_view(out).substr(payload_start);
    std::string header;
    put_u32(header, static_cast<std::uint32_t>(payload.size()));
    put_u32(header, crc32c(payload));
    out.replace(frame_start, kFrameHeaderBytes, header);
}

void frame_record(std::string_view payload, std::string& out) {
    const std::size_t start = begin_frame(out);
    out.append(payload);
    end_frame(out, start);
}

void sync_directory(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) throw_errno("open directory " + dir.string());
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw_errno("fsync directory " + dir.string());
}

JournalWriter::JournalWriter(fs::path dir, FsyncPolicy policy, std::uint64_t segment_bytes)
    : dir_(std::move(dir)), policy_(policy), segment_bytes_(segment_bytes) {
    fs::create_directories(dir_);
}

JournalWriter::~JournalWriter() {
    if (fd_ >= 0) ::close(fd_);
}

void JournalWriter::open(std::optional<fs::path> path, std::uint64_t next_seq) {
    close_segment();
    if (!path) {
        start_segment(next_seq);
        return;
    }
    fd_ = ::open(path->c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) throw_errno("open journal segment " + path->string());
    segment_size_ = fs::file_size(*path);
}

void JournalWriter::start_segment(std::uint64_t first_seq) {
    close_segment();
    const fs::path path = dir_ / segment_file_name(first_seq);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno("create journal segment " + path.string());
    const std::string header = encode_segment_header(first_seq);
    write_all(fd_, header, path);
    segment_size_ = header.size();
    if (policy_ != FsyncPolicy::Off) {
        if (::fdatasync(fd_) != 0) throw_errno("fdatasync " + path.string());
        sync_directory(dir_);
    }
}

void JournalWriter::close_segment() {
    if (fd_ < 0) return;
    if (policy_ != FsyncPolicy::Off) ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
}

void JournalWriter::append(std::string_view framed, std::uint64_t first_seq) {
    if (segment_size_ >= segment_bytes_) start_segment(first_seq);
    write_all(fd_, framed, dir_);
    segment_size_ += framed.size();
    bytes_written_ += framed.size();
    if (policy_ != FsyncPolicy::Off && ::fdatasync(fd_) != 0) throw_errno("journal fdatasync");
}

JournalScan scan_journal(const fs::path& dir, bool repair,
                         const std::function<void(std::uint64_t, std::string_view)>& on_record,
                         std::uint64_t skip_through) {
    JournalScan scan;
    const auto segments = list_numbered_files(dir, kSegmentPrefix, kSegmentSuffix);
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto& [named_seq, path] = segments[i];
        const bool is_last = i + 1 == segments.size();
        // A closed segment that ends at or before `skip_through` is not read:
        // its records are all in the snapshot recovery starts from.
        if (!is_last && segments[i + 1].first > 0 && segments[i + 1].first - 1 <= skip_through) {
            scan.last_seq = segments[i + 1].first - 1;
            continue;
        }
        const std::string data = read_file(path);
        const std::string where = path.string();

        if (data.size() < kSegmentHeaderBytes || std::string_view(data).substr(0, 8) != kJournalMagic ||
            crc32c(std::string_view(data).substr(0, 20)) != get_u32(data.data() + 20)) {
            // A crash between creating a segment and syncing its header leaves
            // a short or empty last file; anything else is damage.
            if (is_last && data.size() < kSegmentHeaderBytes && repair) {
                fs::remove(path);
                scan.truncated_bytes = data.size();
                scan.truncation_reason = "removed an incomplete segment " + where;
                break;
            }
            throw JournalCorrupt("journal segment " + where + " has a bad header");
        }
        if (get_u32(data.data() + 8) != kJournalVersion)
            throw JournalCorrupt("journal segment " + where + " has unsupported version " +
                                 std::to_string(get_u32(data.data() + 8)));
        const std::uint64_t first_seq = get_u64(data.data() + 12);
        if (first_seq != named_seq)
            throw JournalCorrupt("journal segment " + where + " names seq " + std::to_string(named_seq) +
                                 " but its header says " + std::to_string(first_seq));
        if (scan.last_seq != 0 && first_seq != scan.last_seq + 1)
            throw JournalCorrupt("journal gap: segment " + where + " starts at seq " + std::to_string(first_seq) +
                                 " after seq " + std::to_string(scan.last_seq));

        const std::string_view view(data);
        std::size_t offset = kSegmentHeaderBytes;
        while (offset < view.size()) {
            std::uint32_t length = 0;
            if (!valid_frame_at(view, offset, length)) {
                if (!is_last)
                    throw JournalCorrupt("journal segment " + where + " is corrupt at byte " + std::to_string(offset) +
                                         " and later segments follow it");
                // Torn tail, or damage in the middle? Damage has valid records after it.
                for (std::size_t probe = offset + 1; probe + kFrameHeaderBytes <= view.size(); ++probe) {
                    std::uint32_t probe_length = 0;
                    if (valid_frame_at(view, probe, probe_length) &&
                        get_u64(view.data() + probe + kFrameHeaderBytes) > scan.last_seq)
                        throw JournalCorrupt("journal segment " + where + " is corrupt at byte " +
                                             std::to_string(offset) + " with valid records after it (at byte " +
                                             std::to_string(probe) + "); refusing to start");
                }
                scan.truncated_bytes = view.size() - offset;
                scan.truncation_reason = "torn tail of " + std::to_string(scan.truncated_bytes) + " bytes at byte " +
                                         std::to_string(offset) + " of " + where;
                if (repair) fs::resize_file(path, offset);
                break;
            }
            const std::string_view payload = view.substr(offset + kFrameHeaderBytes, length);
            const std::uint64_t seq = get_u64(payload.data());
            const std::uint64_t expected = scan.last_seq == 0 ? first_seq : scan.last_seq + 1;
            if (seq != expected)
                throw JournalCorrupt("journal segment " + where + " has seq " + std::to_string(seq) + " at byte " +
                                     std::to_string(offset) + " where seq " + std::to_string(expected) +
                                     " was expected");
            on_record(seq, payload);
            scan.last_seq = seq;
            ++scan.records;
            offset += kFrameHeaderBytes + length;
        }
        scan.last_segment = path;
    }
    return scan;
}

}  // namespace ballast::sequencer
