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

// Divides the 256-bit value (hi:lo) by d when hi < d (so the quotient fits in
// 128 bits). Knuth's algorithm D specialised to a two-word dividend with
// 64-bit half-words (Hacker's Delight, divlu).
constexpr u128 div_256_by_128(u128 hi, u128 lo, u128 d, u128& rem) {
    constexpr u128 kBase = u128{1} << 64;
    constexpr u128 kMask = kBase - 1;
    int shift = 0;
    for (u128 probe = d; (probe >> 127) == 0; probe <<= 1) ++shift;
    const u128 v = d << shift;
    const u128 u32 = shift == 0 ? hi : (hi << shift) | (lo >> (128 - shift));
    const u128 u10 = lo << shift;
    const u128 vn1 = v >> 64, vn0 = v & kMask;
    const u128 un1 = u10 >> 64, un0 = u10 & kMask;

    u128 q1 = u32 / vn1;
    u128 rhat = u32 - q1 * vn1;
    while (q1 >= kBase || q1 * vn0 > ((rhat << 64) | un1)) {
        --q1;
        rhat += vn1;
        if (rhat >= kBase) break;
    }
    const u128 u21 = ((u32 << 64) | un1) - q1 * v;  // exact modulo 2^128

    u128 q0 = u21 / vn1;
    rhat = u21 - q0 * vn1;
    while (q0 >= kBase || q0 * vn0 > ((rhat << 64) | un0)) {
        --q0;
        rhat += vn1;
        if (rhat >= kBase) break;
    }
    rem = (((u21 << 64) | un0) - q0 * v) >> shift;
    return (q1 << 64) | q0;
}

// out = round(a * b / d). Returns false when d == 0 or the quotient does not
// fit in 128 bits; `out` is untouched then.
constexpr bool mul_div(u128 a, u128 b, u128 d, MagnitudeRounding rounding, u128& out) {
    if (d == 0) return false;
    const U256 p = mul_wide(a, b);
    u128 q = 0, r = 0;
    if (p.hi == 0) {
        q = p.lo / d;
        r = p.lo % d;
    } else {
        if (p.hi >= d) return false;
        q = div_256_by_128(p.hi, p.lo, d, r);
    }
    if (rounding == MagnitudeRounding::Up && r != 0) {
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
