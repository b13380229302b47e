// One process per data directory: an exclusive, non-blocking flock on
// <data dir>/LOCK, held for the owner's lifetime and released by the kernel
// when the process ends however it ends. Two writers on one journal would
// interleave records and cut each other's "torn" tails.
#pragma once

#include <filesystem>
#include <stdexcept>

namespace ballast::sequencer {

// Another process holds the lock; the message names the directory and, when
// the holder recorded it, its pid.
class DataDirLocked : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class DataDirLock {
public:
    // Creates the directory if needed. Throws DataDirLocked when another
    // process holds the lock, std::runtime_error when it cannot be taken.
    explicit DataDirLock(const std::filesystem::path& dir);
    ~DataDirLock();
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace ballast::sequencer
