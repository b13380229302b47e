// CRC32C (Castagnoli), the checksum of every journal record and snapshot.
// Chosen over CRC32 for its better error detection on storage-sized blocks
// (iSCSI, ext4 metadata and LevelDB's log use it) and because x86-64 computes
// it in hardware (SSE4.2), which matters when recovery checksums every record.
#pragma once

#include <cstdint>
#include <string_view>

namespace ballast::sequencer {

// The hardware instruction when the CPU has it, else crc32c_portable.
std::uint32_t crc32c(std::string_view bytes);
// Table-driven (Boost.CRC): the reference the hardware path is tested against.
std::uint32_t crc32c_portable(std::string_view bytes);

}  // namespace ballast::sequencer
