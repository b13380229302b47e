// A simulated disk for power-loss tests, in the spirit of SQLite's test VFS
// and FoundationDB's simulation: the journal, the snapshots and recovery run
// over it unchanged (sequencer::FileSystem), and it remembers what was made
// durable and what was not.
//
//   - A file's bytes are durable once synced. At a power cut it keeps them,
//     plus, at random, a prefix of what was written after the last sync:
//     whole 4 KiB pages of the file, maybe part of the next one (a torn
//     page), and sometimes a stretch of zeros after that (the file's size
//     reached the disk but its data did not). A truncation or a rewrite that
//     was not synced may be undone.
//   - A name (create, rename, remove) is durable once its directory is
//     synced. At a power cut each directory keeps its synced entries plus a
//     random prefix of the changes made since (none, some, or all of them, in
//     order); files and directories no longer named are gone.
//   - create_directories() is durable when it returns, as the interface says.
//
// After a cut every operation fails with EIO until power_on(); files opened
// before the cut never work again (their process is dead).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sequencer/file_system.hpp"

namespace ballast::testing {

enum class SimOp {
    Create,
    OpenForAppend,
    Append,
    Sync,
    Truncate,
    Read,
    FileSize,
    Rename,
    Remove,
    List,
    CreateDirectories,
    SyncDirectory,
    Lock,
};

class SimFileSystem final : public sequencer::FileSystem {
public:
    static constexpr std::size_t kPageBytes = 4096;

    // What the power cuts did, for reports.
    struct Stats {
        std::uint64_t cuts = 0;
        std::uint64_t files_with_unsynced_bytes = 0;  // at a cut
        std::uint64_t tails_kept_whole = 0;           // all unsynced bytes survived
        std::uint64_t tails_lost = 0;                 // none survived
        std::uint64_t tails_torn = 0;                 // a part survived
        std::uint64_t tails_zeroed = 0;               // the size survived, not all of the data
        std::uint64_t directory_changes_kept = 0;
        std::uint64_t directory_changes_lost = 0;
    };

    SimFileSystem();
    ~SimFileSystem() override;

    std::unique_ptr<sequencer::WritableFile> create(const std::filesystem::path& path) override;
    std::unique_ptr<sequencer::WritableFile> open_for_append(const std::filesystem::path& path) override;
    std::string read(const std::filesystem::path& path) override;
    std::uint64_t file_size(const std::filesystem::path& path) override;
    void rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
    bool remove(const std::filesystem::path& path) override;
    std::vector<std::string> list(const std::filesystem::path& dir) override;
    void create_directories(const std::filesystem::path& dir) override;
    void sync_directory(const std::filesystem::path& dir) override;
    std::unique_ptr<sequencer::DirectoryLock> lock_directory(const std::filesystem::path& dir) override;

    // Cuts the power now (see the top of this file), with choices from `random`.
    void power_cut(std::mt19937_64& random);
    void power_on();
    bool powered() const;
    // Cuts the power by itself just before the `n`-th operation from now that
    // changes anything (that operation then fails with EIO), or only the
    // n-th of kind `only`, with choices from a generator seeded with `seed`.
    // 0 disarms it.
    void cut_before_operation(std::uint64_t n, std::uint64_t seed, std::optional<SimOp> only = std::nullopt);
    // Operations that changed (or would have changed) something so far.
    std::uint64_t changing_operations() const;

    // Called before every operation, outside the file system's lock: it may
    // block, or throw sequencer::FileError to make the operation fail.
    void set_hook(std::function<void(SimOp, const std::filesystem::path&)> hook);

    Stats stats() const;

private:
    struct Inode {
        std::string data;    // what reads see
        std::string synced;  // what a power cut keeps for sure
    };
    struct Node {
        bool directory = false;
        std::shared_ptr<Inode> file;
    };
    struct Change {
        std::string name;
        std::optional<Node> node;  // nullopt: removed
    };
    struct Directory {
        std::map<std::string, Node> live, durable;
        // Changes since the last sync; each group is one operation (a rename is two changes).
        std::vector<std::vector<Change>> pending;
    };
    class File;
    class Lock;

    // Runs the hook, takes the lock, and fails when the power is off (or
    // goes off now, for an armed cut before a changing operation).
    std::unique_lock<std::mutex> enter(SimOp op, const std::filesystem::path& path);
    void cut_locked(std::mt19937_64& random);
    Directory& directory_of(const std::string& path, std::string& name);
    Node* find(const std::string& path);
    void change(Directory& dir, std::vector<Change> group);
    std::string survive(const Inode& inode, std::mt19937_64& random);

    mutable std::mutex mutex_;
    std::function<void(SimOp, const std::filesystem::path&)> hook_;
    std::map<std::string, Directory> directories_;  // by normal path
    std::set<std::string> locked_;
    bool powered_ = true;
    std::uint64_t generation_ = 0;  // files opened in an earlier one are dead
    std::uint64_t operations_ = 0;
    std::uint64_t cut_countdown_ = 0;  // 0: no cut armed
    std::optional<SimOp> cut_only_;
    std::uint64_t cut_seed_ = 0;
    Stats stats_;
};

}  // namespace ballast::testing
