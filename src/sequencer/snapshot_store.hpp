// Snapshot files: the exchange's whole state as of one sequence number.
//
//   magic "BLSTSNAP" (8) | version u32 | seq u64 | time i64 | payload length u64 |
//   crc32c(payload) u32 | crc32c of the previous 40 bytes u32 | payload
//
// Written to a temporary name, fsynced, then renamed, so a crash leaves either
// the old set of snapshots or the new one, never a half-written file under a
// real name. Snapshots only shorten recovery: the journal stays the record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sequencer/file_system.hpp"

namespace ballast::sequencer {

struct SnapshotFile {
    std::uint64_t seq = 0;  // the last command it contains
    std::int64_t time = 0;
    std::string payload;
};

// Writes a snapshot durably and keeps only the newest `keep` of them. On
// failure it throws and leaves no temporary file behind.
void write_snapshot(const std::filesystem::path& dir, const SnapshotFile& snapshot, std::size_t keep = 2,
                    FileSystem& files = posix_file_system());

// Removes temporary files a crash left in `dir` (a snapshot being written);
// returns them.
std::vector<std::filesystem::path> remove_temporary_snapshots(const std::filesystem::path& dir,
                                                              FileSystem& files = posix_file_system());

// The newest snapshot whose checksums hold. Damaged ones are skipped and
// described in `skipped` (a crash cannot produce one; a disk can).
std::optional<SnapshotFile> load_newest_snapshot(const std::filesystem::path& dir, std::vector<std::string>& skipped,
                                                 FileSystem& files = posix_file_system());

}  // namespace ballast::sequencer
