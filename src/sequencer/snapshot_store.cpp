#include "sequencer/snapshot_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "sequencer/crc32c.hpp"
#include "sequencer/journal.hpp"
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
std::vector<std::pair<std::uint64_t, fs::path>> list_snapshots(const fs::path& dir) {
    auto found = list_numbered_files(dir, kSnapshotPrefix, kSnapshotSuffix);
    std::reverse(found.begin(), found.end());
    return found;
}

}  // namespace

void write_snapshot(const fs::path& dir, const SnapshotFile& snapshot, std::size_t keep) {
    fs::create_directories(dir);
    std::string header(kSnapshotMagic);
    put_u32(header, kSnapshotVersion);
    put_u64(header, snapshot.seq);
    put_u64(header, static_cast<std::uint64_t>(snapshot.time));
    put_u64(header, snapshot.payload.size());
    put_u32(header, crc32c(snapshot.payload));
    put_u32(header, crc32c(header));

    const fs::path final_path = dir / numbered_file_name(kSnapshotPrefix, snapshot.seq, kSnapshotSuffix);
    const fs::path temp_path = final_path.string() + std::string(kTemporarySuffix);
    const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("create snapshot " + temp_path.string() + ": " + std::strerror(errno));
    // Whatever fails, the temporary file goes: a full disk must not be left fuller.
    auto fail = [&](const std::string& what) {
        const int error = errno;
        ::close(fd);
        std::error_code ignored;
        fs::remove(temp_path, ignored);
        throw std::runtime_error(what + " " + temp_path.string() + ": " + std::strerror(error));
    };
    for (std::string_view part : {std::string_view(header), std::string_view(snapshot.payload)}) {
        while (!part.empty()) {
            const ssize_t n = ::write(fd, part.data(), part.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail("write snapshot");
            part.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    if (::fdatasync(fd) != 0) fail("fdatasync snapshot");
    ::close(fd);
    std::error_code renamed;
    fs::rename(temp_path, final_path, renamed);
    if (renamed) {
        std::error_code ignored;
        fs::remove(temp_path, ignored);
        throw std::runtime_error("rename snapshot " + temp_path.string() + ": " + renamed.message());
    }
    sync_directory(dir);

    const auto existing = list_snapshots(dir);
    for (std::size_t i = keep; i < existing.size(); ++i) fs::remove(existing[i].second);
}

std::vector<fs::path> remove_temporary_snapshots(const fs::path& dir) {
    std::vector<fs::path> removed;
    if (!fs::exists(dir)) return removed;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with(kSnapshotPrefix) && name.ends_with(kTemporarySuffix)) {
            fs::remove(entry.path());
            removed.push_back(entry.path());
        }
    }
    return removed;
}

std::optional<SnapshotFile> load_newest_snapshot(const fs::path& dir, std::vector<std::string>& skipped) {
    for (const auto& [seq, path] : list_snapshots(dir)) {
        std::ifstream in(path, std::ios::binary);
        std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
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
