#include "sequencer/snapshot_store.hpp"

#include <algorithm>
#include <stdexcept>

#include "sequencer/crc32c.hpp"
#include "sequencer/journal_format.hpp"
#include "sequencer/numbered_files.hpp"

namespace ballast::sequencer {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSnapshotMagic = "BLSTSNAP";
constexpr std::uint32_t kSnapshotVersion = 1;
constexpr std::size_t kSnapshotHeaderBytes = 44;

constexpr std::string_view kSnapshotPrefix = "snapshot-", kSnapshotSuffix = ".snap", kTemporarySuffix = ".tmp";

// Newest first.
std::vector<std::pair<std::uint64_t, fs::path>> list_snapshots(FileSystem& files, const fs::path& dir) {
    auto found = list_numbered_files(files, dir, kSnapshotPrefix, kSnapshotSuffix);
    std::reverse(found.begin(), found.end());
    return found;
}

}  // namespace

void write_snapshot(const fs::path& dir, const SnapshotFile& snapshot, std::size_t keep, FileSystem& files) {
    files.create_directories(dir);
    std::string header(kSnapshotMagic);
    put_u32(header, kSnapshotVersion);
    put_u64(header, snapshot.seq);
    put_u64(header, static_cast<std::uint64_t>(snapshot.time));
    put_u64(header, snapshot.payload.size());
    put_u32(header, crc32c(snapshot.payload));
    put_u32(header, crc32c(header));

    const fs::path final_path = dir / numbered_file_name(kSnapshotPrefix, snapshot.seq, kSnapshotSuffix);
    const fs::path temp_path = final_path.string() + std::string(kTemporarySuffix);
    try {
        std::unique_ptr<WritableFile> file = files.create(temp_path);
        file->append(header);
        file->append(snapshot.payload);
        file->sync();
        file.reset();
        files.rename(temp_path, final_path);
    } catch (const std::exception& e) {
        // Whatever fails, the temporary file goes: a full disk must not be left fuller.
        try {
            files.remove(temp_path);
        } catch (const std::exception&) {
            // Recovery removes it (remove_temporary_snapshots).
        }
        throw std::runtime_error("write snapshot " + temp_path.string() + ": " + e.what());
    }
    files.sync_directory(dir);

    const auto existing = list_snapshots(files, dir);
    for (std::size_t i = keep; i < existing.size(); ++i) files.remove(existing[i].second);
}

std::vector<fs::path> remove_temporary_snapshots(const fs::path& dir, FileSystem& files) {
    std::vector<fs::path> removed;
    for (const std::string& name : files.list(dir)) {
        if (name.starts_with(kSnapshotPrefix) && name.ends_with(kTemporarySuffix)) {
            files.remove(dir / name);
            removed.push_back(dir / name);
        }
    }
    return removed;
}

std::optional<SnapshotFile> load_newest_snapshot(const fs::path& dir, std::vector<std::string>& skipped,
                                                 FileSystem& files) {
    for (const auto& [seq, path] : list_snapshots(files, dir)) {
        std::string data;
        try {
            data = files.read(path);
        } catch (const std::exception& e) {
            skipped.push_back(path.string() + ": " + e.what());
            continue;
        }
        const std::string_view view(data);
        if (view.size() < kSnapshotHeaderBytes || view.substr(0, 8) != kSnapshotMagic ||
            crc32c(view.substr(0, 40)) != get_u32(view.data() + 40)) {
            skipped.push_back(path.string() + ": bad header");
            continue;
        }
        if (get_u32(view.data() + 8) != kSnapshotVersion) {
            skipped.push_back(path.string() + ": unsupported version");
            continue;
        }
        SnapshotFile snapshot;
        snapshot.seq = get_u64(view.data() + 12);
        snapshot.time = static_cast<std::int64_t>(get_u64(view.data() + 20));
        const std::uint64_t length = get_u64(view.data() + 28);
        if (snapshot.seq != seq || length != view.size() - kSnapshotHeaderBytes ||
            crc32c(view.substr(kSnapshotHeaderBytes)) != get_u32(view.data() + 36)) {
            skipped.push_back(path.string() + ": checksum or length mismatch");
            continue;
        }
        snapshot.payload.assign(view.substr(kSnapshotHeaderBytes));
        return snapshot;
    }
    return std::nullopt;
}

}  // namespace ballast::sequencer
