#include "sequencer/crc32c.hpp"

#include <cstring>

#include <boost/crc.hpp>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ballast::sequencer {

namespace {

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const char* p, std::size_t n) {
    std::uint64_t crc = 0xFFFFFFFFu;
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        crc = _mm_crc32_u64(crc, word);
    }
    auto crc32 = static_cast<std::uint32_t>(crc);
    for (; n > 0; ++p, --n) crc32 = _mm_crc32_u8(crc32, static_cast<std::uint8_t>(*p));
    return ~crc32;
}

const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c_portable(std::string_view bytes) {
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
    crc.process_bytes(bytes.data(), bytes.size());
    return crc.checksum();
}

std::uint32_t crc32c(std::string_view bytes) {
#if defined(__x86_64__)
    if (kHasSse42) return crc32c_sse42(bytes.data(), bytes.size());
#endif
    return crc32c_portable(bytes);
}

}  // namespace ballast::sequencer
