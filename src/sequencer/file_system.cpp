#include "sequencer/file_system.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "sequencer/data_dir_lock.hpp"

namespace ballast::sequencer {

namespace fs = std::filesystem;

FileError::FileError(int error, const std::string& what)
    : std::runtime_error(what + ": " + std::strerror(error)), error_(error) {}

namespace {

[[noreturn]] void throw_errno(const std::string& what) { throw FileError(errno, what); }

class PosixFile final : public WritableFile {
public:
    PosixFile(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
    ~PosixFile() override { ::close(fd_); }
    PosixFile(const PosixFile&) = delete;
    PosixFile& operator=(const PosixFile&) = delete;

    void append(std::string_view bytes) override {
        while (!bytes.empty()) {
            const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("write to " + path_.string());
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    void sync() override {
        if (::fdatasync(fd_) != 0) throw_errno("fdatasync " + path_.string());
    }
    void truncate(std::uint64_t size) override {
        if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) throw_errno("truncate " + path_.string());
    }
    int reserve(std::uint64_t offset, std::uint64_t length) override {
        if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0)
            return errno;
        return 0;
    }
    std::optional<std::uint64_t> free_bytes() override {
        struct statvfs stat {};
        if (::fstatvfs(fd_, &stat) != 0) return std::nullopt;
        return static_cast<std::uint64_t>(stat.f_bavail) * stat.f_frsize;
    }

private:
    int fd_;
    fs::path path_;
};

class PosixLock final : public DirectoryLock {
public:
    explicit PosixLock(const fs::path& dir) : lock_(dir) {}

private:
    DataDirLock lock_;
};

class PosixFileSystem final : public FileSystem {
public:
    std::unique_ptr<WritableFile> create(const fs::path& path) override {
        return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, "create ");
    }
    std::unique_ptr<WritableFile> open_for_append(const fs::path& path) override {
        return open(path, O_WRONLY | O_APPEND | O_CLOEXEC, "open ");
    }
    std::string read(const fs::path& path) override {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw FileError(errno != 0 ? errno : EIO, "read " + path.string());
        std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (in.bad()) throw FileError(EIO, "read " + path.string());
        return data;
    }
    std::uint64_t file_size(const fs::path& path) override { return fs::file_size(path); }
    void rename(const fs::path& from, const fs::path& to) override { fs::rename(from, to); }
    bool remove(const fs::path& path) override { return fs::remove(path); }
    std::vector<std::string> list(const fs::path& dir) override {
        std::vector<std::string> names;
        std::error_code missing;
        for (fs::directory_iterator it(dir, missing), end; !missing && it != end; it.increment(missing))
            names.push_back(it->path().filename().string());
        return names;
    }
    void create_directories(const fs::path& dir) override {
        // Each directory made here is a new name in its parent: the parent
        // is synced so that the name survives a power cut (a journal synced
        // in a directory that vanishes is lost all the same).
        std::vector<fs::path> made;
        for (fs::path at = dir; !at.empty() && !fs::exists(at); at = at.parent_path()) {
            made.push_back(at);
            if (at == at.parent_path()) break;
        }
        fs::create_directories(dir);
        for (auto it = made.rbegin(); it != made.rend(); ++it) {
            const fs::path parent = it->parent_path().empty() ? fs::path(".") : it->parent_path();
            sync_directory(parent);
        }
    }
    void sync_directory(const fs::path& dir) override {
        const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) throw_errno("open directory " + dir.string());
        const int rc = ::fsync(fd);
        const int error = errno;
        ::close(fd);
        if (rc != 0) throw FileError(error, "fsync directory " + dir.string());
    }
    std::unique_ptr<DirectoryLock> lock_directory(const fs::path& dir) override {
        return std::make_unique<PosixLock>(dir);
    }

private:
    static std::unique_ptr<WritableFile> open(const fs::path& path, int flags, const char* what) {
        const int fd = ::open(path.c_str(), flags, 0644);
        if (fd < 0) throw_errno(what + path.string());
        return std::make_unique<PosixFile>(fd, path);
    }
};

}  // namespace

FileSystem& posix_file_system() {
    static PosixFileSystem instance;
    return instance;
}

}  // namespace ballast::sequencer
