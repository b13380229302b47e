// A small tmpfs mounted on a fresh directory for the life of the object, to
// fill a real disk. Needs root (CAP_SYS_ADMIN); tests skip without it.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.hpp"

namespace ballast::testing {

class Tmpfs {
public:
    Tmpfs(const std::string& tag, std::uint64_t bytes) : dir_(tag) {
        if (::geteuid() != 0) {
            why_not_ = "not root: a tmpfs cannot be mounted";
            return;
        }
        const std::string options = "size=" + std::to_string(bytes);
        if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
            why_not_ = std::string("mount tmpfs: ") + std::strerror(errno);
            return;
        }
        mounted_ = true;
    }
    ~Tmpfs() {
        if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
    }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;

    bool mounted() const { return mounted_; }
    const std::string& why_not() const { return why_not_; }
    const std::filesystem::path& path() const { return dir_.path(); }

    // Fills the file system with `name` until a write fails (no space left).
    void fill(const std::string& name = "filler") const {
        std::ofstream out(dir_.path() / name, std::ios::binary);
        const std::string block(4096, '\0');
        while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) out.flush();
    }
    void free_space(const std::string& name = "filler") const { std::filesystem::remove(dir_.path() / name); }

private:
    TempDir dir_;
    bool mounted_ = false;
    std::string why_not_;
};

}  // namespace ballast::testing
