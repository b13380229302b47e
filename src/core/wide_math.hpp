// 128-bit integer helpers with a 256-bit intermediate for a*b/d.
//
// Every fixed-point product or quotient in the engine funnels through
// `mul_div`: the full 256-bit product is formed, divided once, and rounded once
// in the requested direction. Nothing here wraps; callers learn about a
// quotient that does not fit through the return value.
#pragma once

#include <cstdint>

namespace ballast::core {

using u128 = unsigned __int128;
using i128 = __int128;

inline constexpr u128 kU128Max = ~u128{0};
inline constexpr i128 kI128Max = static_cast<i128>(kU128Max >> 1);
inline constexpr i128 kI128Min = -kI128Max - 1;

// Direction for rounding a non-negative quotient.
enum class MagnitudeRounding : std::uint8_t { Down, Up };

struct U256 {
    u128 hi;
    u128 lo;
};

// Full 128x128 -> 256 bit product.
constexpr U256 mul_wide(u128 a, u128 b) {
    constexpr u128 kMask = (u128{1} << 64) - 1;
    const u128 a0 = a & kMask, a1 = a >> 64;
    const u128 b0 = b & kMask, b1 = b >> 64;
    const u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    // Sum the middle column without losing carries.
    const u128 mid = (p00 >> 64) + (p01 & kMask) + (p10 & kMask);
    const u128 lo = (mid << 64) | (p00 & kMask);
    const u128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    return {hi, lo};
}

// One step of long division by a 64-bit divisor: (hi:lo) / d with hi < d, so
// the quotient fits in 64 bits. On x86-64 this is a single `div` instruction;
// the compiler cannot know the quotient fits and would call a 128-bit routine.
inline std::uint64_t div_step(std::uint64_t hi, std::uint64_t lo, std::uint64_t d, std::uint64_t& rem) {
#if defined(__x86_64__)
    std::uint64_t q = 0, r = 0;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    rem = r;
    return q;
#else
    const u128 n = (static_cast<u128>(hi) << 64) | lo;
    rem = static_cast<std::uint64_t>(n % d);
    return static_cast<std::uint64_t>(n / d);
#endif
}

// Divides the 256-bit value (hi:lo) by a divisor below 2^64 (the common case:
// the fixed-point scale 10^18), limb by limb. Requires hi < d.
inline u128 div_256_by_64(u128 hi, u128 lo, std::uint64_t d, u128& rem) {
    const std::uint64_t limbs[4] = {static_cast<std::uint64_t>(hi >> 64), static_cast<std::uint64_t>(hi),
                                    static_cast<std::uint64_t>(lo >> 64), static_cast<std::uint64_t>(lo)};
    std::uint64_t r = 0;
    std::uint64_t q[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; ++i) {
        if (r == 0 && limbs[i] < d) {
            r = limbs[i];  // quotient digit 0: skip the division
            continue;
        }
        q[i] = div_step(r, limbs[i], d, r);
    }
    rem = r;
    return (static_cast<u128>(q[2]) << 64) | q[3];  // q[0] and q[1] are 0 because hi < d
}

// Divides the 256-bit value (hi:lo) by d when hi < d (so the quotient fits in
// 128 bits and d is non-zero). Knuth's algorithm D for a two-word dividend,
// with 64-bit digits (Hacker's Delight, divlu); each digit estimate is one
// hardware division.
inline u128 div_256_by_128(u128 hi, u128 lo, u128 d, u128& rem) {
    constexpr u128 kBase = u128{1} << 64;
    constexpr u128 kMask = kBase - 1;
    const auto d_hi = static_cast<std::uint64_t>(d >> 64);
    const int shift = d_hi != 0 ? __builtin_clzll(d_hi) : 64 + __builtin_clzll(static_cast<std::uint64_t>(d));
    const u128 v = d << shift;
    const u128 u32 = shift == 0 ? hi : (hi << shift) | (lo >> (128 - shift));
    const u128 u10 = lo << shift;
    const u128 vn1 = v >> 64, vn0 = v & kMask;
    const u128 un1 = u10 >> 64, un0 = u10 & kMask;

    // One quotient digit of (u:next) / v: estimated from u / vn1 (at most base - 1), then corrected.
    auto digit = [&](u128 u, u128 next) {
        u128 q = 0, rhat = 0;
        const auto u_hi = static_cast<std::uint64_t>(u >> 64);
        if (u_hi >= vn1) {
            q = kBase - 1;
            rhat = u - q * vn1;
        } else {
            std::uint64_t r = 0;
            q = div_step(u_hi, static_cast<std::uint64_t>(u), static_cast<std::uint64_t>(vn1), r);
            rhat = r;
        }
        while (rhat < kBase && q * vn0 > ((rhat << 64) | next)) {
            --q;
            rhat += vn1;
        }
        return q;
    };
    const u128 q1 = digit(u32, un1);
    const u128 u21 = ((u32 << 64) | un1) - q1 * v;  // exact modulo 2^128
    const u128 q0 = digit(u21, un0);
    rem = (((u21 << 64) | un0) - q0 * v) >> shift;
    return (q1 << 64) | q0;
}

// q = floor(a * b / d), r = the remainder. Returns false when d == 0 or the
// quotient does not fit in 128 bits.
inline bool mul_divmod(u128 a, u128 b, u128 d, u128& q, u128& r) {
    if (d == 0) return false;
    const U256 p = mul_wide(a, b);
    if (p.hi >= d) return false;
    if ((d >> 64) == 0) {
        q = div_256_by_64(p.hi, p.lo, static_cast<std::uint64_t>(d), r);
        return true;
    }
    // Fixed-point divisors are mostly k * 10^18 = k * 2^18 * 5^18: without
    // their factors of two they often fit 64 bits, and floor(p / (d' * 2^s))
    // == floor((p >> s) / d'), so the fast division still applies.
    const auto d_lo = static_cast<std::uint64_t>(d);
    const int shift = d_lo != 0 ? __builtin_ctzll(d_lo) : 64 + __builtin_ctzll(static_cast<std::uint64_t>(d >> 64));
    const u128 d_odd = d >> shift;  // shift is in [1, 127] because d >= 2^64
    if ((d_odd >> 64) == 0) {
        const u128 shifted_hi = p.hi >> shift;
        const u128 shifted_lo = (p.lo >> shift) | (p.hi << (128 - shift));
        if (shifted_hi >= d_odd) return false;
        u128 r_odd = 0;
        q = div_256_by_64(shifted_hi, shifted_lo, static_cast<std::uint64_t>(d_odd), r_odd);
        r = (r_odd << shift) | (p.lo & ((u128{1} << shift) - 1));
        return true;
    }
    if (p.hi == 0) {
        q = p.lo / d;
        r = p.lo % d;
    } else {
        q = div_256_by_128(p.hi, p.lo, d, r);
    }
    return true;
}

// out = round(a * b / d). Returns false when d == 0 or the quotient does not
// fit in 128 bits; `out` is untouched then.
inline bool mul_div(u128 a, u128 b, u128 d, MagnitudeRounding rounding, u128& out) {
    u128 q = 0, r = 0;
    if (!mul_divmod(a, b, d, q, r)) return false;
    if (rounding == MagnitudeRounding::Up && r != 0) {
        if (q == kU128Max) return false;
        ++q;
    }
    out = q;
    return true;
}

// out = round(a * b / (d1 * d2)) for divisors below 2^64 (e.g. 10^18 twice),
// as two fast limb divisions; the remainders together decide the rounding.
inline bool mul_div_twice(u128 a, u128 b, std::uint64_t d1, std::uint64_t d2, MagnitudeRounding rounding, u128& out) {
    const U256 p = mul_wide(a, b);
    if (d1 == 0 || d2 == 0) return false;
    if (p.hi >= d1) return mul_div(a, b, static_cast<u128>(d1) * d2, rounding, out);  // very large products
    u128 r1 = 0, r2 = 0;
    const u128 q1 = div_256_by_64(p.hi, p.lo, d1, r1);
    u128 q = div_256_by_64(0, q1, d2, r2);
    if (rounding == MagnitudeRounding::Up && (r1 | r2) != 0) {
        if (q == kU128Max) return false;
        ++q;
    }
    out = q;
    return true;
}

// Three-way comparison of a*b against c*d, exactly.
constexpr int compare_products(u128 a, u128 b, u128 c, u128 d) {
    const U256 x = mul_wide(a, b), y = mul_wide(c, d);
    if (x.hi != y.hi) return x.hi < y.hi ? -1 : 1;
    if (x.lo != y.lo) return x.lo < y.lo ? -1 : 1;
    return 0;
}

constexpr u128 magnitude(i128 v) { return v < 0 ? u128{0} - static_cast<u128>(v) : static_cast<u128>(v); }

}  // namespace ballast::core
