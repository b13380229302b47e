// CRC32C (Castagnoli), the checksum of every journal record and snapshot.
// Chosen over CRC32 for its better error detection on storage-sized blocks
// (it is what iSCSI, ext4 metadata and LevelDB's log use).
#pragma once

#include <cstdint>
#include <string_view>

#include <boost/crc.hpp>

namespace ballast::sequencer {

inline std::uint32_t crc32c(std::string_view bytes) {
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
    crc.process_bytes(bytes.data(), bytes.size());
    return crc.checksum();
}

}  // namespace ballast::sequencer
