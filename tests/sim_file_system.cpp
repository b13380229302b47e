#include "sim_file_system.hpp"

#include <cerrno>

#include "sequencer/data_dir_lock.hpp"

namespace ballast::testing {

namespace fs = std::filesystem;
using sequencer::FileError;

namespace {

std::string normal(const fs::path& path) {
    std::string text = path.lexically_normal().generic_string();
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    return text;
}

bool changes_something(SimOp op) {
    switch (op) {
        case SimOp::Create:
        case SimOp::Append:
        case SimOp::Sync:
        case SimOp::Truncate:
        case SimOp::Rename:
        case SimOp::Remove:
        case SimOp::CreateDirectories:
        case SimOp::SyncDirectory: return true;
        default: return false;
    }
}

std::uint64_t uniform(std::mt19937_64& random, std::uint64_t low, std::uint64_t high) {
    return std::uniform_int_distribution<std::uint64_t>(low, high)(random);
}

}  // namespace

class SimFileSystem::File final : public sequencer::WritableFile {
public:
    File(SimFileSystem& files, std::shared_ptr<Inode> inode, fs::path path, std::uint64_t generation)
        : files_(files), inode_(std::move(inode)), path_(std::move(path)), generation_(generation) {}

    void append(std::string_view bytes) override {
        auto lock = enter(SimOp::Append);
        inode_->data.append(bytes);
    }
    void sync() override {
        auto lock = enter(SimOp::Sync);
        inode_->synced = inode_->data;
    }
    void truncate(std::uint64_t size) override {
        auto lock = enter(SimOp::Truncate);
        inode_->data.resize(size, '\0');
    }
    int reserve(std::uint64_t, std::uint64_t) override { return 0; }
    std::optional<std::uint64_t> free_bytes() override { return std::nullopt; }

private:
    std::unique_lock<std::mutex> enter(SimOp op) {
        auto lock = files_.enter(op, path_);
        if (generation_ != files_.generation_) throw FileError(EIO, "file opened before a power cut " + path_.string());
        return lock;
    }

    SimFileSystem& files_;
    std::shared_ptr<Inode> inode_;
    fs::path path_;
    std::uint64_t generation_;
};

class SimFileSystem::Lock final : public sequencer::DirectoryLock {
public:
    Lock(SimFileSystem& files, std::string dir) : files_(files), dir_(std::move(dir)) {}
    ~Lock() override {
        std::lock_guard lock(files_.mutex_);
        files_.locked_.erase(dir_);
    }

private:
    SimFileSystem& files_;
    std::string dir_;
};

SimFileSystem::SimFileSystem() { directories_["/"] = {}; }

SimFileSystem::~SimFileSystem() = default;

std::unique_lock<std::mutex> SimFileSystem::enter(SimOp op, const fs::path& path) {
    std::function<void(SimOp, const fs::path&)> hook;
    {
        std::lock_guard lock(mutex_);
        hook = hook_;
    }
    if (hook) hook(op, path);
    std::unique_lock lock(mutex_);
    if (!powered_) throw FileError(EIO, "the power is off: " + path.string());
    if (changes_something(op)) {
        ++operations_;
        if (cut_countdown_ != 0 && (!cut_only_ || *cut_only_ == op) && --cut_countdown_ == 0) {
            std::mt19937_64 random(cut_seed_);
            cut_locked(random);
            throw FileError(EIO, "the power went off: " + path.string());
        }
    }
    return lock;
}

SimFileSystem::Directory& SimFileSystem::directory_of(const std::string& path, std::string& name) {
    const fs::path p(path);
    name = p.filename().generic_string();
    const std::string parent = normal(p.parent_path());
    const auto it = directories_.find(parent);
    if (it == directories_.end() || name.empty()) throw FileError(ENOENT, "no directory for " + path);
    return it->second;
}

SimFileSystem::Node* SimFileSystem::find(const std::string& path) {
    const fs::path p(path);
    const auto dir = directories_.find(normal(p.parent_path()));
    if (dir == directories_.end()) return nullptr;
    const auto it = dir->second.live.find(p.filename().generic_string());
    return it == dir->second.live.end() ? nullptr : &it->second;
}

void SimFileSystem::change(Directory& dir, std::vector<Change> group) {
    for (const Change& c : group) {
        if (c.node)
            dir.live[c.name] = *c.node;
        else
            dir.live.erase(c.name);
    }
    dir.pending.push_back(std::move(group));
}

std::unique_ptr<sequencer::WritableFile> SimFileSystem::create(const fs::path& path) {
    auto lock = enter(SimOp::Create, path);
    const std::string p = normal(path);
    if (Node* node = find(p)) {
        if (node->directory) throw FileError(EISDIR, "create " + p);
        node->file->data.clear();  // O_TRUNC: the same file, emptied (not yet durably)
        return std::make_unique<File>(*this, node->file, path, generation_);
    }
    std::string name;
    Directory& dir = directory_of(p, name);
    Node node{false, std::make_shared<Inode>()};
    change(dir, {{name, node}});
    return std::make_unique<File>(*this, node.file, path, generation_);
}

std::unique_ptr<sequencer::WritableFile> SimFileSystem::open_for_append(const fs::path& path) {
    auto lock = enter(SimOp::OpenForAppend, path);
    Node* node = find(normal(path));
    if (node == nullptr || node->directory) throw FileError(ENOENT, "open " + path.string());
    return std::make_unique<File>(*this, node->file, path, generation_);
}

std::string SimFileSystem::read(const fs::path& path) {
    auto lock = enter(SimOp::Read, path);
    Node* node = find(normal(path));
    if (node == nullptr || node->directory) throw FileError(ENOENT, "read " + path.string());
    return node->file->data;
}

std::uint64_t SimFileSystem::file_size(const fs::path& path) {
    auto lock = enter(SimOp::FileSize, path);
    Node* node = find(normal(path));
    if (node == nullptr || node->directory) throw FileError(ENOENT, "size of " + path.string());
    return node->file->data.size();
}

void SimFileSystem::rename(const fs::path& from, const fs::path& to) {
    auto lock = enter(SimOp::Rename, from);
    const std::string f = normal(from), t = normal(to);
    if (fs::path(f).parent_path() != fs::path(t).parent_path())
        throw FileError(EXDEV, "the simulation renames within one directory only: " + f + " to " + t);
    Node* node = find(f);
    if (node == nullptr) throw FileError(ENOENT, "rename " + f);
    std::string from_name, to_name;
    Directory& dir = directory_of(f, from_name);
    directory_of(t, to_name);
    const Node moved = *node;
    change(dir, {{from_name, std::nullopt}, {to_name, moved}});
}

bool SimFileSystem::remove(const fs::path& path) {
    auto lock = enter(SimOp::Remove, path);
    const std::string p = normal(path);
    if (find(p) == nullptr) return false;
    std::string name;
    Directory& dir = directory_of(p, name);
    change(dir, {{name, std::nullopt}});
    return true;
}

std::vector<std::string> SimFileSystem::list(const fs::path& dir) {
    auto lock = enter(SimOp::List, dir);
    std::vector<std::string> names;
    const auto it = directories_.find(normal(dir));
    if (it == directories_.end()) return names;
    for (const auto& [name, node] : it->second.live) names.push_back(name);
    return names;
}

void SimFileSystem::create_directories(const fs::path& dir) {
    auto lock = enter(SimOp::CreateDirectories, dir);
    if (!dir.is_absolute()) throw FileError(EINVAL, "the simulation takes absolute paths: " + dir.string());
    std::vector<std::string> missing;
    for (fs::path at(normal(dir)); directories_.find(normal(at)) == directories_.end(); at = at.parent_path())
        missing.push_back(normal(at));
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        std::string name;
        Directory& parent = directory_of(*it, name);
        if (const auto existing = parent.live.find(name); existing != parent.live.end() && !existing->second.directory)
            throw FileError(ENOTDIR, "create directory " + *it);
        directories_[*it] = {};
        change(parent, {{name, Node{true, nullptr}}});
        // Durable on return: the parent is synced, as the POSIX version does.
        parent.durable = parent.live;
        parent.pending.clear();
    }
}

void SimFileSystem::sync_directory(const fs::path& dir) {
    auto lock = enter(SimOp::SyncDirectory, dir);
    const auto it = directories_.find(normal(dir));
    if (it == directories_.end()) throw FileError(ENOENT, "sync directory " + dir.string());
    it->second.durable = it->second.live;
    it->second.pending.clear();
}

std::unique_ptr<sequencer::DirectoryLock> SimFileSystem::lock_directory(const fs::path& dir) {
    auto lock = enter(SimOp::Lock, dir);
    const std::string p = normal(dir);
    if (!locked_.insert(p).second)
        throw sequencer::DataDirLocked("data directory " + p + " is in use by another sequencer on this disk");
    return std::make_unique<Lock>(*this, p);
}

void SimFileSystem::power_cut(std::mt19937_64& random) {
    std::lock_guard lock(mutex_);
    cut_locked(random);
}

void SimFileSystem::power_on() {
    std::lock_guard lock(mutex_);
    powered_ = true;
}

bool SimFileSystem::powered() const {
    std::lock_guard lock(mutex_);
    return powered_;
}

void SimFileSystem::cut_before_operation(std::uint64_t n, std::uint64_t seed, std::optional<SimOp> only) {
    std::lock_guard lock(mutex_);
    cut_countdown_ = n;
    cut_only_ = only;
    cut_seed_ = seed;
}

std::uint64_t SimFileSystem::changing_operations() const {
    std::lock_guard lock(mutex_);
    return operations_;
}

void SimFileSystem::set_hook(std::function<void(SimOp, const fs::path&)> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
}

SimFileSystem::Stats SimFileSystem::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::string SimFileSystem::survive(const Inode& inode, std::mt19937_64& random) {
    const std::string& now = inode.data;
    const std::string& synced = inode.synced;
    std::size_t common = 0;
    while (common < now.size() && common < synced.size() && now[common] == synced[common]) ++common;
    if (common == now.size() && common == synced.size()) return now;
    ++stats_.files_with_unsynced_bytes;
    // A truncation or rewrite that never reached the disk.
    if (synced.size() > common && uniform(random, 0, 1) == 0) {
        ++stats_.tails_lost;
        return synced;
    }
    // Otherwise a prefix of the new bytes, whole pages first: the page
    // boundaries inside the unsynced part, and its two ends.
    std::vector<std::size_t> ends{common};
    for (std::size_t page = (common / kPageBytes + 1) * kPageBytes; page < now.size(); page += kPageBytes)
        ends.push_back(page);
    ends.push_back(now.size());
    std::size_t keep = ends[uniform(random, 0, ends.size() - 1)];
    // A torn page: part of the next page made it too.
    const std::size_t next_page = std::min(now.size(), (keep / kPageBytes + 1) * kPageBytes);
    if (next_page > keep + 1 && uniform(random, 0, 1) == 0) keep = uniform(random, keep + 1, next_page - 1);
    std::string kept = now.substr(0, keep);
    if (keep == now.size())
        ++stats_.tails_kept_whole;
    else if (keep == common)
        ++stats_.tails_lost;
    else
        ++stats_.tails_torn;
    // The size reached the disk, the data after `keep` did not.
    if (keep < now.size() && uniform(random, 0, 3) == 0) {
        kept.resize(uniform(random, keep + 1, now.size()), '\0');
        ++stats_.tails_zeroed;
    }
    return kept;
}

void SimFileSystem::cut_locked(std::mt19937_64& random) {
    ++stats_.cuts;
    cut_countdown_ = 0;
    powered_ = false;
    ++generation_;
    // Names: what was synced, then a random prefix of the later changes.
    for (auto& [path, dir] : directories_) {
        const std::size_t kept = uniform(random, 0, dir.pending.size());
        for (std::size_t i = 0; i < dir.pending.size(); ++i) {
            if (i < kept) {
                for (const Change& c : dir.pending[i]) {
                    if (c.node)
                        dir.durable[c.name] = *c.node;
                    else
                        dir.durable.erase(c.name);
                }
            }
        }
        stats_.directory_changes_kept += kept;
        stats_.directory_changes_lost += dir.pending.size() - kept;
        dir.live = dir.durable;
        dir.pending.clear();
    }
    // Directories no longer named are gone, with everything in them.
    std::map<std::string, Directory> reachable;
    std::vector<std::string> todo{"/"};
    while (!todo.empty()) {
        const std::string path = todo.back();
        todo.pop_back();
        auto it = directories_.find(path);
        if (it == directories_.end()) continue;
        for (const auto& [name, node] : it->second.live)
            if (node.directory) todo.push_back(normal(fs::path(path) / name));
        reachable[path] = std::move(it->second);
    }
    directories_ = std::move(reachable);
    // Bytes: each file still named keeps what survives of it (once, however many names it has).
    std::set<Inode*> done;
    for (auto& [path, dir] : directories_) {
        for (auto& [name, node] : dir.live) {
            if (node.directory || !done.insert(node.file.get()).second) continue;
            node.file->data = survive(*node.file, random);
            node.file->synced = node.file->data;
        }
    }
}

}  // namespace ballast::testing
