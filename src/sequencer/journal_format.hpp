// The journal's on-disk format, version 1.
//
// A journal is a directory of segment files named journal-<first seq>.log
// (20 digits, so names sort by sequence). Each segment starts with a header:
//
//   magic "BLSTJRNL" (8) | version u32 | first_seq u64 | crc32c of the previous 20 bytes u32
//
// followed by records, each framed as
//
//   payload length u32 | crc32c(payload) u32 | payload
//
// where the payload is a JournalRecord (journal_record.hpp) and begins with
// its sequence number. All integers are little-endian. Records are only ever
// appended; a segment is closed when it grows past the configured size and
// the next one starts at the following sequence number.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/byte_codec.hpp"

namespace ballast::sequencer {

inline constexpr std::string_view kJournalMagic = "BLSTJRNL";
inline constexpr std::uint32_t kJournalVersion = 1;
inline constexpr std::size_t kSegmentHeaderBytes = 24;
inline constexpr std::size_t kFrameHeaderBytes = 8;
// No record comes near this; a larger length field is corruption, not data.
inline constexpr std::uint32_t kMaxPayloadBytes = 1 << 20;

// Fixed-width fields of the frame and file headers, through the shared byte codec.
inline void put_u32(std::string& out, std::uint32_t v) { core::ByteWriter(out).fixed_u32(v); }
inline void put_u64(std::string& out, std::uint64_t v) { core::ByteWriter(out).fixed_u64(v); }
// Precondition: 4 (8) readable bytes at p.
inline std::uint32_t get_u32(const char* p) { return core::ByteReader({p, 4}).fixed_u32(); }
inline std::uint64_t get_u64(const char* p) { return core::ByteReader({p, 8}).fixed_u64(); }

std::string segment_file_name(std::uint64_t first_seq);
std::string encode_segment_header(std::uint64_t first_seq);
// Appends one framed record.
void frame_record(std::string_view payload, std::string& out);
// Framing in place, without copying the payload: begin_frame reserves the
// frame header and returns where the frame starts; the caller appends the
// payload; end_frame fills in its length and checksum.
std::size_t begin_frame(std::string& out);
void end_frame(std::string& out, std::size_t frame_start);

}  // namespace ballast::sequencer
