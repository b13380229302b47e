#include "sequencer/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ballast::sequencer {

namespace fs = std::filesystem;

DataDirLock::DataDirLock(const fs::path& dir) {
    fs::create_directories(dir);
    const fs::path path = dir / "LOCK";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open lock file " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        std::string holder;
        char buf[32] = {};
        const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
        for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) holder.push_back(buf[i]);
        ::close(fd_);
        fd_ = -1;
        if (error == EWOULDBLOCK)
            throw DataDirLocked("data directory " + dir.string() + " is in use by another ballast process" +
                                (holder.empty() ? "" : " (pid " + holder + ")") + "; lock file " + path.string());
        throw std::runtime_error("cannot lock " + path.string() + ": " + std::strerror(error));
    }
    // For the message a second process prints; the lock itself is the flock.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
        // The pid is only a courtesy.
    }
}

DataDirLock::~DataDirLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace ballast::sequencer
