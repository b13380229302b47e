// Little-endian byte encoding shared by the binary codecs (journal commands,
// engine snapshots).
//
// Integers are written fixed-width or in a compact variable form ("var"): one
// length byte n, then the value's n low-order bytes, least significant first.
// Unsigned values drop leading zero bytes; signed values are two's complement
// and drop leading bytes that only repeat the sign. Zero is the lone byte 0.
// Only the shortest form is accepted, so every value has exactly one encoding
// and re-encoding a decoded value reproduces its bytes. Most engine numbers
// are far below their 128-bit range (1.5 as a Dec is 8 bytes), which is where
// the variable form pays: a Dec is 1 to 17 bytes instead of 16.
//
// The reader is strict and never throws: the first problem (truncation, a
// non-canonical or out-of-range integer, an invalid name) is recorded, every
// later read returns zero, and the caller checks ok() once at the end.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "core/name.hpp"
#include "core/pair_fields.hpp"
#include "core/types.hpp"

namespace ballast::core {

namespace byte_codec_detail {

inline int bit_width(u128 v) {
    const auto hi = static_cast<std::uint64_t>(v >> 64);
    const auto lo = static_cast<std::uint64_t>(v);
    if (hi != 0) return 128 - __builtin_clzll(hi);
    return lo != 0 ? 64 - __builtin_clzll(lo) : 0;
}

// Bytes in the var form of an unsigned value.
inline int unsigned_length(u128 v) { return (bit_width(v) + 7) / 8; }

// Bytes in the var form of a signed value: the magnitude bits plus a sign bit.
inline int signed_length(i128 v) {
    if (v == 0) return 0;
    const u128 bits = v < 0 ? ~static_cast<u128>(v) : static_cast<u128>(v);
    return bit_width(bits) / 8 + 1;
}

}  // namespace byte_codec_detail

class ByteWriter {
public:
    explicit ByteWriter(std::string& out) : out_(out) {}

    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    void fixed_u32(std::uint32_t v) {
        char b[4];
        for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
        out_.append(b, 4);
    }
    void fixed_u64(std::uint64_t v) {
        char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
        out_.append(b, 8);
    }
    void var_unsigned(u128 v) { put_low_bytes(v, byte_codec_detail::unsigned_length(v)); }
    void var_signed(i128 v) { put_low_bytes(static_cast<u128>(v), byte_codec_detail::signed_length(v)); }
    void dec(Dec v) { var_signed(v.raw()); }
    void amount(Amount v) { var_unsigned(v.units()); }
    // Length byte, then the characters.
    void name(const Name& n) {
        const std::size_t length = n.view().size();
        char* p = grow(1 + Name::kMaxLength);
        p[0] = static_cast<char>(length);
        std::memcpy(p + 1, n.padded().data(), Name::kMaxLength);
        shrink(Name::kMaxLength - length);
    }
    void raw(std::string_view bytes) { out_.append(bytes); }

private:
    // Values are written in place at their widest and the string is then cut
    // to the real length. Copies of a fixed size compile to a few plain moves;
    // copying a variable length of at most 17 or 64 bytes, or assembling it on
    // the stack first, made gcc emit `rep movs` or stall on store forwarding,
    // and took encoding a market order from about 55 ns to 130 ns.
    void put_low_bytes(u128 v, int n) {
        char* p = grow(17);
        p[0] = static_cast<char>(n);
        if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(p + 1, &v, 16);
        } else {
            for (int i = 0; i < 16; ++i) p[1 + i] = static_cast<char>(v >> (8 * i));
        }
        shrink(static_cast<std::size_t>(16 - n));
    }
    char* grow(std::size_t n) {
        const std::size_t at = out_.size();
        out_.resize(at + n);
        return out_.data() + at;
    }
    void shrink(std::size_t n) { out_.resize(out_.size() - n); }

    std::string& out_;
};

class ByteReader {
public:
    explicit ByteReader(std::string_view bytes)
        : begin_(bytes.data()), pos_(bytes.data()), end_(bytes.data() + bytes.size()) {}

    bool ok() const { return error_ == nullptr; }
    // Why and where (a byte offset) the first read failed.
    const char* error() const { return error_ == nullptr ? "" : error_; }
    std::size_t error_offset() const { return error_offset_; }
    std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }
    bool at_end() const { return pos_ == end_; }

    // Records the first failure and stops reading: everything after reads as zero.
    void fail(const char* why) {
        if (error_ != nullptr) return;
        error_ = why;
        error_offset_ = static_cast<std::size_t>(pos_ - begin_);
        pos_ = end_;
    }

    std::uint8_t u8() {
        if (pos_ == end_) {
            fail("truncated");
            return 0;
        }
        return static_cast<std::uint8_t>(*pos_++);
    }
    bool boolean() {
        const std::uint8_t v = u8();
        if (v > 1) fail("a flag byte is neither 0 nor 1");
        return v == 1;
    }
    std::uint32_t fixed_u32() { return static_cast<std::uint32_t>(fixed(4)); }
    std::uint64_t fixed_u64() { return fixed(8); }

    // A var integer of at most max_bytes bytes.
    u128 var_unsigned(int max_bytes) {
        const int n = var_length(max_bytes);
        const u128 v = low_bytes(n);
        if (n > 0 && (v >> (8 * (n - 1))) == 0) fail("a number is not in its shortest form");
        return v;
    }
    i128 var_signed(int max_bytes) {
        const int n = var_length(max_bytes);
        u128 bits = low_bytes(n);
        // Sign-extend from the top byte read.
        if (n > 0 && n < 16 && (bits >> (8 * n - 1)) != 0) bits |= ~u128{0} << (8 * n);
        const auto v = static_cast<i128>(bits);
        if (byte_codec_detail::signed_length(v) != n) fail("a number is not in its shortest form");
        return v;
    }
    std::uint64_t var_u64() { return static_cast<std::uint64_t>(var_unsigned(8)); }
    std::uint32_t var_u32() { return static_cast<std::uint32_t>(var_unsigned(4)); }
    std::int64_t var_i64() { return static_cast<std::int64_t>(var_signed(8)); }
    Dec dec() { return Dec::from_raw(var_signed(16)); }
    Amount amount() { return Amount(var_unsigned(16)); }

    Name name() {
        const std::uint8_t n = u8();
        if (n == 0 || n > Name::kMaxLength) {
            fail("a name must be 1 to 64 bytes");
            return {};
        }
        if (remaining() < n) {
            fail("truncated");
            return {};
        }
        const std::string_view text(pos_, n);
        if (!Name::is_valid(text)) {
            fail("a name holds a character names may not contain");
            return {};
        }
        pos_ += n;
        return Name::from(text);
    }

    // The next n bytes as they are (views into the input).
    std::string_view raw(std::size_t n) {
        if (remaining() < n) {
            fail("truncated");
            return {};
        }
        const std::string_view bytes(pos_, n);
        pos_ += n;
        return bytes;
    }

    // The length of a list whose items take at least min_item_bytes each: a
    // count the remaining input cannot hold is refused before anything is
    // sized by it.
    std::size_t count(std::size_t min_item_bytes) {
        const std::uint64_t n = var_u64();
        if (n > remaining() / min_item_bytes) {
            fail("a count exceeds what the input can hold");
            return 0;
        }
        return static_cast<std::size_t>(n);
    }

private:
    int var_length(int max_bytes) {
        const std::uint8_t n = u8();
        if (n > max_bytes) {
            fail("a number is out of range");
            return 0;
        }
        if (remaining() < n) {
            fail("truncated");
            return 0;
        }
        return n;
    }
    // Precondition: n <= remaining().
    u128 low_bytes(int n) {
        std::uint64_t lo = 0, hi = 0;
        for (int i = 0; i < n && i < 8; ++i)
            lo |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(pos_[i])) << (8 * i);
        for (int i = 8; i < n; ++i)
            hi |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(pos_[i])) << (8 * (i - 8));
        pos_ += n;
        return (static_cast<u128>(hi) << 64) | lo;
    }
    std::uint64_t fixed(int n) {
        if (remaining() < static_cast<std::size_t>(n)) {
            fail("truncated");
            return 0;
        }
        return static_cast<std::uint64_t>(low_bytes(n));
    }

    const char* begin_;
    const char* pos_;
    const char* end_;
    const char* error_ = nullptr;
    std::size_t error_offset_ = 0;
};

// PairParams travel in both codecs (SetPair, snapshots): the twelve fields in
// declaration order.
// Every pair parameter, in the order of core/pair_fields.hpp.
inline void write_pair_params(ByteWriter& w, const PairParams& p) {
    for (const PairField& f : kPairFields) w.dec(p.*f.member);
}

inline PairParams read_pair_params(ByteReader& r) {
    PairParams p;
    for (const PairField& f : kPairFields) p.*f.member = r.dec();
    return p;
}

}  // namespace ballast::core
