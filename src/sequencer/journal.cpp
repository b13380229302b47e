#include "sequencer/journal.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "sequencer/crc32c.hpp"
#include "sequencer/journal_format.hpp"
#include "sequencer/numbered_files.hpp"

namespace ballast::sequencer {

namespace fs = std::filesystem;

namespace {

std::string size_text(std::uint64_t bytes) {
    if (bytes >= (1u << 20)) return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes >> 10) + " KiB";
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

// Whether any frame checks out at or after `from`.
bool holds_a_frame(std::string_view data, std::size_t from) {
    std::uint32_t length = 0;
    for (std::size_t offset = from; offset + kFrameHeaderBytes <= data.size(); ++offset)
        if (valid_frame_at(data, offset, length)) return true;
    return false;
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

JournalWriter::JournalWriter(fs::path dir, FsyncPolicy policy, std::uint64_t segment_bytes, std::uint64_t reserve_bytes,
                             JournalFaults* faults, FileSystem& files)
    : dir_(std::move(dir)),
      policy_(policy),
      segment_bytes_(segment_bytes),
      reserve_bytes_(reserve_bytes),
      faults_(faults),
      files_(files) {
    files_.create_directories(dir_);
}

JournalWriter::~JournalWriter() { close_segment(); }

void JournalWriter::open(std::optional<fs::path> path, std::uint64_t next_seq) {
    close_segment();
    if (!path) {
        start_segment(next_seq);
        return;
    }
    file_ = files_.open_for_append(*path);
    segment_size_ = files_.file_size(*path);
    reserved_end_ = segment_size_;
    ensure_reserve(0, /*force=*/true);
}

void JournalWriter::start_segment(std::uint64_t first_seq) {
    const fs::path path = dir_ / segment_file_name(first_seq);
    // The old segment's reserve is given back first: on a full disk it is
    // what makes room for the new one.
    release_reserve();
    std::unique_ptr<WritableFile> file;
    try {
        file = files_.create(path);
        file->append(encode_segment_header(first_seq));
        if (policy_ != FsyncPolicy::Off) {
            file->sync();
            files_.sync_directory(dir_);
        }
    } catch (...) {
        // The same records will start the same segment on the next attempt
        // (create empties it); until then the old one stays current.
        file.reset();
        ensure_reserve(0, /*force=*/true);
        throw;
    }
    close_segment();
    file_ = std::move(file);
    segment_size_ = kSegmentHeaderBytes;
    reserved_end_ = segment_size_;
    ensure_reserve(0, /*force=*/true);
}

void JournalWriter::close_segment() {
    if (!file_) return;
    release_reserve();
    if (policy_ != FsyncPolicy::Off) {
        try {
            file_->sync();
        } catch (const FileError&) {
            // Every append was synced already; this only settles the freed reserve.
        }
    }
    file_.reset();
}

void JournalWriter::release_reserve() {
    if (!file_ || reserved_end_ <= segment_size_) return;
    // Truncating to the current size frees the blocks allocated beyond it.
    try {
        file_->truncate(segment_size_);
        reserved_end_ = segment_size_;
    } catch (const FileError&) {
        // Kept: it is given back when the segment is closed or the disk is looked at again.
    }
}

void JournalWriter::ensure_reserve(std::uint64_t need, bool force) {
    if (reserve_bytes_ == 0 || !file_) return;
    const bool enough_ahead = reserved_end_ >= segment_size_ + need + reserve_bytes_ / 2;
    // The free space is looked at every 100 ms at most: a statfs per group
    // commit would cost more than the check is worth.
    const auto now = std::chrono::steady_clock::now();
    if (enough_ahead && !force && !low_space_ && now - last_space_check_ < std::chrono::milliseconds(100)) return;
    last_space_check_ = now;
    const std::uint64_t free_bytes = file_->free_bytes().value_or(reserve_bytes_);
    if (enough_ahead && !force && free_bytes >= reserve_bytes_) {
        low_space_ = false;
        return;
    }
    int error = 0;
    if (!enough_ahead || force) {
        const std::uint64_t length = need + reserve_bytes_;
        if (faults_ && faults_->reserves.load() > 0) {
            faults_->reserves.fetch_sub(1);
            error = ENOSPC;
        } else {
            error = file_->reserve(segment_size_, length);
        }
        if (error == EOPNOTSUPP || error == ENOSYS) {
            // This file system cannot reserve: a full disk shows up as a failed write instead.
            reserve_bytes_ = 0;
            low_space_ = false;
            return;
        }
        if (error == 0) reserved_end_ = segment_size_ + length;
    }
    if (error != 0) {
        low_space_ = true;
        low_space_reason_ =
            "cannot reserve " + size_text(reserve_bytes_) + " ahead of the journal: " + std::strerror(error);
    } else if (free_bytes < reserve_bytes_) {
        low_space_ = true;
        low_space_reason_ = "the disk has " + size_text(free_bytes) + " free, less than the " +
                            size_text(reserve_bytes_) + " the journal keeps in reserve";
    } else {
        low_space_ = false;
    }
}

void JournalWriter::check_space() { ensure_reserve(0, /*force=*/true); }

void JournalWriter::write_all(std::string_view bytes) {
    if (faults_ && faults_->writes.load() > 0) {
        faults_->writes.fetch_sub(1);
        file_->append(bytes.substr(0, bytes.size() / 2));
        throw FileError(ENOSPC, "journal write to " + dir_.string());
    }
    file_->append(bytes);
}

void JournalWriter::append(std::string_view framed, std::uint64_t first_seq) {
    if (cut_back_pending_) {
        // O_APPEND writes at the end of the file: a partial write left there
        // must go before anything is appended again.
        try {
            file_->truncate(segment_size_);
        } catch (const FileError& e) {
            throw std::runtime_error("cutting a failed journal write back in " + dir_.string() + ": " + e.what());
        }
        cut_back_pending_ = false;
        reserved_end_ = std::min(reserved_end_, segment_size_);
    }
    if (segment_size_ >= segment_bytes_) start_segment(first_seq);
    ensure_reserve(framed.size(), /*force=*/false);
    try {
        write_all(framed);
        if (policy_ != FsyncPolicy::Off) {
            if (faults_ && faults_->syncs.load() > 0) {
                faults_->syncs.fetch_sub(1);
                throw FileError(EIO, "journal fdatasync");
            }
            file_->sync();
        }
    } catch (...) {
        // All or nothing. After a failed fdatasync the pages may be lost
        // whatever a later one says, so the batch is cut off and written
        // again in full rather than synced again.
        try {
            file_->truncate(segment_size_);
            cut_back_pending_ = false;
        } catch (const FileError&) {
            cut_back_pending_ = true;
        }
        // A truncation may have freed blocks beyond the end: the reserve is looked at again next time.
        reserved_end_ = std::min(reserved_end_, segment_size_);
        throw;
    }
    segment_size_ += framed.size();
    bytes_written_ += framed.size();
}

JournalScan scan_journal(const fs::path& dir, bool repair,
                         const std::function<void(std::uint64_t, std::string_view)>& on_record,
                         std::uint64_t skip_through, FileSystem& files) {
    JournalScan scan;
    const auto segments = list_numbered_files(files, dir, kSegmentPrefix, kSegmentSuffix);
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto& [named_seq, path] = segments[i];
        const bool is_last = i + 1 == segments.size();
        // A closed segment that ends at or before `skip_through` is not read:
        // its records are all in the snapshot recovery starts from.
        if (!is_last && segments[i + 1].first > 0 && segments[i + 1].first - 1 <= skip_through) {
            scan.last_seq = segments[i + 1].first - 1;
            continue;
        }
        std::string data;
        try {
            data = files.read(path);
        } catch (const std::exception& e) {
            throw JournalCorrupt("cannot read journal segment " + path.string() + ": " + e.what());
        }
        const std::string where = path.string();

        if (data.size() < kSegmentHeaderBytes || std::string_view(data).substr(0, 8) != kJournalMagic ||
            crc32c(std::string_view(data).substr(0, 20)) != get_u32(data.data() + 20)) {
            // A power cut between creating a segment and syncing its header
            // leaves the last file short, zero-filled or with a torn header,
            // and never with a record in it (records are appended only once
            // the header is durable); anything else is damage.
            if (is_last && repair && !holds_a_frame(data, kSegmentHeaderBytes)) {
                files.remove(path);
                files.sync_directory(dir);
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
                if (repair) {
                    // Durably at once: the journal may move on to a new
                    // segment before this one is synced again, and torn bytes
                    // brought back by a power cut would then be mid-journal damage.
                    const std::unique_ptr<WritableFile> file = files.open_for_append(path);
                    file->truncate(offset);
                    file->sync();
                }
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
