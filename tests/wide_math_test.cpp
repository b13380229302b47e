// mul_div and the 256/128 division checked against Boost.Multiprecision, an
// independent implementation, over edge cases and many random operands.
#include <gtest/gtest.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <random>

#include "core/wide_math.hpp"

namespace {

using ballast::core::MagnitudeRounding;
using ballast::core::u128;
using boost::multiprecision::uint256_t;

u128 to_u128(const uint256_t& v) {
    return (static_cast<u128>(static_cast<std::uint64_t>(v >> 64)) << 64) |
           static_cast<u128>(static_cast<std::uint64_t>(v & 0xFFFFFFFFFFFFFFFFULL));
}
uint256_t big(u128 v) {
    return (uint256_t(static_cast<std::uint64_t>(v >> 64)) << 64) | uint256_t(static_cast<std::uint64_t>(v));
}

// The reference: exact quotient, then the rounding, then the fit check.
bool reference_mul_div(u128 a, u128 b, u128 d, MagnitudeRounding r, u128& out) {
    if (d == 0) return false;
    const uint256_t p = big(a) * big(b);
    uint256_t q = p / big(d);
    if (r == MagnitudeRounding::Up && q * big(d) != p) ++q;
    if (q > big(~u128{0})) return false;
    out = to_u128(q);
    return true;
}

void expect_matches(u128 a, u128 b, u128 d) {
    for (MagnitudeRounding r : {MagnitudeRounding::Down, MagnitudeRounding::Up}) {
        u128 got = 0, want = 0;
        const bool ok = ballast::core::mul_div(a, b, d, r, got);
        const bool want_ok = reference_mul_div(a, b, d, r, want);
        ASSERT_EQ(ok, want_ok);
        if (ok) {
            ASSERT_TRUE(got == want);
        }
    }
}

u128 random_u128(std::mt19937_64& rng) {
    // Mix magnitudes: uniform 128-bit values alone would almost never be small.
    const int bits = static_cast<int>(rng() % 129);
    u128 v = (static_cast<u128>(rng()) << 64) | rng();
    return bits == 128 ? v : (v & ((u128{1} << bits) - 1));
}

TEST(WideMath, MulWideMatchesReference) {
    std::mt19937_64 rng(1);
    for (int i = 0; i < 200000; ++i) {
        const u128 a = random_u128(rng), b = random_u128(rng);
        const auto p = ballast::core::mul_wide(a, b);
        const uint256_t want = big(a) * big(b);
        ASSERT_TRUE(p.hi == to_u128(want >> 128));
        ASSERT_TRUE(p.lo == to_u128(want - ((want >> 128) << 128)));
    }
}

TEST(WideMath, MulDivEdgeCases) {
    const u128 max = ~u128{0};
    const u128 values[] = {0,
                           1,
                           2,
                           3,
                           7,
                           10,
                           (u128{1} << 63),
                           (u128{1} << 64) - 1,
                           u128{1} << 64,
                           (u128{1} << 64) + 1,
                           static_cast<u128>(1'000'000'000'000'000'000ULL),
                           max / 3,
                           max - 1,
                           max};
    for (u128 a : values)
        for (u128 b : values)
            for (u128 d : values) expect_matches(a, b, d);
}

TEST(WideMath, MulDivRandomAgreesWithBoost) {
    std::mt19937_64 rng(20261122);
    for (int i = 0; i < 300000; ++i) expect_matches(random_u128(rng), random_u128(rng), random_u128(rng));
}

TEST(WideMath, MulDivByFixedPointScaledDivisorsAgreesWithBoost) {
    // Divisors like k * 10^18 and k * 2^n take the shifted fast path.
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200000; ++i) {
        u128 d = random_u128(rng) >> (rng() % 100);
        if (d == 0) d = 1;
        const int zeros = static_cast<int>(rng() % 90);
        if (rng() % 2) {
            for (int k = 0; k < zeros / 3 && d < (~u128{0}) / 10; ++k) d *= 10;
        } else {
            d <<= std::min(zeros, __builtin_clzll(static_cast<std::uint64_t>(d >> 64) | 1));
        }
        expect_matches(random_u128(rng), random_u128(rng), d);
    }
}

TEST(WideMath, RoundsOnceInTheAskedDirection) {
    u128 q = 0;
    ASSERT_TRUE(ballast::core::mul_div(7, 1, 2, MagnitudeRounding::Down, q));
    EXPECT_TRUE(q == 3);
    ASSERT_TRUE(ballast::core::mul_div(7, 1, 2, MagnitudeRounding::Up, q));
    EXPECT_TRUE(q == 4);
    ASSERT_TRUE(ballast::core::mul_div(8, 1, 2, MagnitudeRounding::Up, q));
    EXPECT_TRUE(q == 4);
    EXPECT_FALSE(ballast::core::mul_div(1, 1, 0, MagnitudeRounding::Down, q));
}

}  // namespace
