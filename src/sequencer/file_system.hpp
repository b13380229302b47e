// The file operations the journal, the snapshots and recovery need, behind a
// small interface: POSIX by default, and in tests a simulated disk that keeps
// only what was made durable when the power is cut (tests/sim_file_system.hpp),
// in the spirit of SQLite's test VFS. The journal writer makes one call per
// group commit for the write and one for the fdatasync, never one per record.
//
// What is durable, the contract every implementation keeps and every caller
// must follow:
//   - a file's bytes and size once sync() returns;
//   - a file's name (a create, rename or remove) once sync_directory() of the
//     directory holding it returns;
//   - directories made by create_directories() once it returns.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ballast::sequencer {

// A failed file operation; error() is the errno value.
class FileError : public std::runtime_error {
public:
    FileError(int error, const std::string& what);
    int error() const { return error_; }

private:
    int error_;
};

// An open file, written only at its end.
class WritableFile {
public:
    virtual ~WritableFile() = default;
    // Writes all of `bytes` at the end of the file; throws FileError, after
    // which a part of them may have been written.
    virtual void append(std::string_view bytes) = 0;
    // fdatasync: the file's bytes and size are durable when it returns.
    virtual void sync() = 0;
    virtual void truncate(std::uint64_t size) = 0;
    // Allocates [offset, offset + length) without changing the size; returns
    // 0 or the errno value (EOPNOTSUPP where the file system cannot).
    virtual int reserve(std::uint64_t offset, std::uint64_t length) = 0;
    // Free bytes on the file's file system, nullopt when unknown.
    virtual std::optional<std::uint64_t> free_bytes() = 0;
};

// Held for its owner's lifetime: one process per data directory.
class DirectoryLock {
public:
    virtual ~DirectoryLock() = default;
};

class FileSystem {
public:
    virtual ~FileSystem() = default;
    // Creates `path`, or empties it if it exists, for writing.
    virtual std::unique_ptr<WritableFile> create(const std::filesystem::path& path) = 0;
    // Opens an existing file to append to it.
    virtual std::unique_ptr<WritableFile> open_for_append(const std::filesystem::path& path) = 0;
    virtual std::string read(const std::filesystem::path& path) = 0;
    virtual std::uint64_t file_size(const std::filesystem::path& path) = 0;
    virtual void rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
    // Removes a file; false if there was none.
    virtual bool remove(const std::filesystem::path& path) = 0;
    // The names in `dir` (none if it does not exist), in no particular order.
    virtual std::vector<std::string> list(const std::filesystem::path& dir) = 0;
    // Makes `dir` and its missing parents, durably.
    virtual void create_directories(const std::filesystem::path& dir) = 0;
    virtual void sync_directory(const std::filesystem::path& dir) = 0;
    // Throws DataDirLocked (data_dir_lock.hpp) when another owner holds `dir`.
    virtual std::unique_ptr<DirectoryLock> lock_directory(const std::filesystem::path& dir) = 0;
};

// The real one: POSIX calls on the local disk.
FileSystem& posix_file_system();

}  // namespace ballast::sequencer
