// Files named <prefix><20-digit sequence number><suffix> (journal segments,
// snapshots): zero-padded so that names sort in sequence order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sequencer/file_system.hpp"

namespace ballast::sequencer {

std::string numbered_file_name(std::string_view prefix, std::uint64_t seq, std::string_view suffix);

// The files in `dir` named that way, by ascending number; others are ignored.
std::vector<std::pair<std::uint64_t, std::filesystem::path>> list_numbered_files(FileSystem& files,
                                                                                 const std::filesystem::path& dir,
                                                                                 std::string_view prefix,
                                                                                 std::string_view suffix);

}  // namespace ballast::sequencer
