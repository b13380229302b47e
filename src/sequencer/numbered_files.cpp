#include "sequencer/numbered_files.hpp"

#include <algorithm>
#include <cstdio>

namespace ballast::sequencer {

namespace {
constexpr std::size_t kDigits = 20;
}

std::string numbered_file_name(std::string_view prefix, std::uint64_t seq, std::string_view suffix) {
    char digits[kDigits + 1];
    std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(seq));
    return std::string(prefix) + digits + std::string(suffix);
}

std::vector<std::pair<std::uint64_t, std::filesystem::path>> list_numbered_files(FileSystem& files,
                                                                                 const std::filesystem::path& dir,
                                                                                 std::string_view prefix,
                                                                                 std::string_view suffix) {
    std::vector<std::pair<std::uint64_t, std::filesystem::path>> found;
    for (const std::string& name : files.list(dir)) {
        if (name.size() != prefix.size() + kDigits + suffix.size() || !name.starts_with(prefix) ||
            !name.ends_with(suffix))
            continue;
        const std::string digits = name.substr(prefix.size(), kDigits);
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
        found.emplace_back(std::stoull(digits), dir / name);
    }
    std::sort(found.begin(), found.end());
    return found;
}

}  // namespace ballast::sequencer
