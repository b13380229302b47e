// The engine's numbers.
//
// `Dec` is the spec's Dec/Udec: a signed fixed-point decimal with 18
// fractional digits in 128 bits. Sizes, prices, ratios and premia are Dec;
// values the spec calls Udec (prices, ratios) are Dec that the boundary has
// checked to be non-negative.
//
// `Amount` is the spec's Uint: an unsigned integer count of settlement-currency
// base units, or of vault shares.
//
// Arithmetic is checked. A result that does not fit throws ArithmeticOverflow,
// which the engine turns into an `overflow` rejection before anything has
// changed. Every product and quotient rounds exactly once, in the direction the
// caller names.
#pragma once

#include <compare>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "core/wide_math.hpp"

namespace ballast::core {

class ArithmeticOverflow final : public std::exception {
public:
    const char* what() const noexcept override { return "arithmetic overflow"; }
};

[[noreturn]] void throw_overflow();

// A figure computed if it can be: an overflow makes it unknown (a null in a
// read), not a failed read.
template <typename F>
auto computed(F&& f) -> std::optional<decltype(f())> {
    try {
        return f();
    } catch (const ArithmeticOverflow&) {
        return std::nullopt;
    }
}

// Rounding of a signed result: Floor goes toward -infinity, Ceil toward
// +infinity. Callers pick the one that favours the protocol.
enum class Rounding : std::uint8_t { Floor, Ceil };

class Amount;

class Dec {
public:
    static constexpr int kFractionDigits = 18;
    static constexpr i128 kScale = 1'000'000'000'000'000'000;

    constexpr Dec() = default;
    static constexpr Dec from_raw(i128 raw) {
        Dec d;
        d.raw_ = raw;
        return d;
    }
    static Dec from_int(i128 whole);
    static Dec from_amount(Amount amount);
    static constexpr Dec zero() { return {}; }
    static constexpr Dec one() { return from_raw(kScale); }

    constexpr i128 raw() const { return raw_; }
    constexpr bool is_zero() const { return raw_ == 0; }
    constexpr bool is_positive() const { return raw_ > 0; }
    constexpr bool is_negative() const { return raw_ < 0; }
    constexpr int sign() const { return raw_ > 0 ? 1 : (raw_ < 0 ? -1 : 0); }

    constexpr auto operator<=>(const Dec&) const = default;

    Dec operator-() const {
        if (raw_ == kI128Min) throw_overflow();
        return from_raw(-raw_);
    }
    Dec abs() const { return raw_ < 0 ? -*this : *this; }
    Dec& operator+=(Dec other) {
        if (__builtin_add_overflow(raw_, other.raw_, &raw_)) throw_overflow();
        return *this;
    }
    Dec& operator-=(Dec other) {
        if (__builtin_sub_overflow(raw_, other.raw_, &raw_)) throw_overflow();
        return *this;
    }
    friend Dec operator+(Dec a, Dec b) { return a += b; }
    friend Dec operator-(Dec a, Dec b) { return a -= b; }

private:
    i128 raw_ = 0;
};

class Amount {
public:
    constexpr Amount() = default;
    constexpr explicit Amount(u128 units) : units_(units) {}
    static constexpr Amount zero() { return {}; }

    constexpr u128 units() const { return units_; }
    constexpr bool is_zero() const { return units_ == 0; }
    constexpr auto operator<=>(const Amount&) const = default;

    Amount& operator+=(Amount other) {
        if (__builtin_add_overflow(units_, other.units_, &units_)) throw_overflow();
        return *this;
    }
    // Throws when the result would be negative.
    Amount& operator-=(Amount other) {
        if (other.units_ > units_) throw_overflow();
        units_ -= other.units_;
        return *this;
    }
    friend Amount operator+(Amount a, Amount b) { return a += b; }
    friend Amount operator-(Amount a, Amount b) { return a -= b; }
    constexpr Amount saturating_sub(Amount other) const {
        return Amount(units_ > other.units_ ? units_ - other.units_ : 0);
    }

private:
    u128 units_ = 0;
};

constexpr Dec min(Dec a, Dec b) { return a < b ? a : b; }
constexpr Dec max(Dec a, Dec b) { return a < b ? b : a; }
constexpr Amount min(Amount a, Amount b) { return a < b ? a : b; }
constexpr Dec clamp(Dec x, Dec lo, Dec hi) { return min(max(x, lo), hi); }

namespace detail {

// The magnitude of a signed result must be rounded up exactly when the signed
// rounding pushes it away from zero.
constexpr MagnitudeRounding magnitude_rounding(bool negative, Rounding rounding) {
    const bool away_from_zero = negative ? rounding == Rounding::Floor : rounding == Rounding::Ceil;
    return away_from_zero ? MagnitudeRounding::Up : MagnitudeRounding::Down;
}

inline i128 apply_sign(u128 magnitude_value, bool negative) {
    if (negative) {
        if (magnitude_value > static_cast<u128>(kI128Max) + 1) throw_overflow();
        return static_cast<i128>(u128{0} - magnitude_value);
    }
    if (magnitude_value > static_cast<u128>(kI128Max)) throw_overflow();
    return static_cast<i128>(magnitude_value);
}

// Signed a*b/d on raw values, rounded once.
inline i128 signed_mul_div(i128 a, i128 b, i128 d, Rounding rounding) {
    if (d == 0) throw_overflow();
    const bool negative = ((a < 0) != (b < 0)) != (d < 0);
    u128 q = 0;
    if (!mul_div(magnitude(a), magnitude(b), magnitude(d), magnitude_rounding(negative, rounding), q)) throw_overflow();
    return apply_sign(q, negative && q != 0);
}

}  // namespace detail

// a * b, rounded once.
inline Dec mul(Dec a, Dec b, Rounding rounding) {
    return Dec::from_raw(detail::signed_mul_div(a.raw(), b.raw(), Dec::kScale, rounding));
}
// a / b, rounded once. Division by zero throws ArithmeticOverflow.
inline Dec div(Dec a, Dec b, Rounding rounding) {
    return Dec::from_raw(detail::signed_mul_div(a.raw(), Dec::kScale, b.raw(), rounding));
}
// a * b / c with a 256-bit intermediate, rounded once.
inline Dec mul_div(Dec a, Dec b, Dec c, Rounding rounding) {
    return Dec::from_raw(detail::signed_mul_div(a.raw(), b.raw(), c.raw(), rounding));
}
// Exact three-way comparison of a*b with c*d.
inline int compare_products(Dec a, Dec b, Dec c, Dec d) {
    const int left_sign = a.sign() * b.sign();
    const int right_sign = c.sign() * d.sign();
    if (left_sign != right_sign) return left_sign < right_sign ? -1 : 1;
    if (left_sign == 0) return 0;
    const int order = compare_products(magnitude(a.raw()), magnitude(b.raw()), magnitude(c.raw()), magnitude(d.raw()));
    return left_sign > 0 ? order : -order;
}

// Rounds to a whole number of base units. Throws when the result is negative.
Amount to_amount(Dec value, Rounding rounding);
// Rounds to a signed whole number of base units (used for realized PnL).
i128 to_whole(Dec value, Rounding rounding);
// a * b rounded once to whole base units, with no 18-digit intermediate step.
Amount mul_to_amount(Dec a, Dec b, Rounding rounding);
// a * b * c rounded once to whole base units (e.g. size * price * ratio).
Amount mul3_to_amount(Dec a, Dec b, Dec c, Rounding rounding);
// a * b / divisor in whole base units, one rounding (divisor > 0); mints shares.
Amount mul_div_by_dec(Amount a, Amount b, Dec divisor, Rounding rounding);
// value * b / divisor in whole base units, one rounding (value >= 0, divisor > 0).
Amount mul_div_to_amount(Dec value, Amount b, Amount divisor, Rounding rounding);
// amount * num / den in one step (num, den > 0), e.g. cost_basis * |closing| / |size|.
Amount scale_amount(Amount amount, Dec num, Dec den, Rounding rounding);

// Checked signed 128-bit integer arithmetic for base-unit accumulators.
i128 checked_add(i128 a, i128 b);
i128 checked_sub(i128 a, i128 b);
i128 to_signed(Amount a);

// ---------------------------------------------------------------------------
// Text form. Parsing is strict: an optional '-', digits, and optionally '.'
// followed by 1..18 digits. No exponent, no '+', no surrounding spaces.
// Formatting is canonical: no exponent, no trailing fractional zeros, no "-0".

enum class ParseError : std::uint8_t { None, Empty, Syntax, TooManyDigits, OutOfRange, Negative, Fractional };
const char* describe(ParseError error);

ParseError parse_dec(std::string_view text, Dec& out);
ParseError parse_amount(std::string_view text, Amount& out);

void append_to(std::string& out, Dec value);
void append_to(std::string& out, Amount value);
void append_integer(std::string& out, i128 value);
std::string to_string(Dec value);
std::string to_string(Amount value);

}  // namespace ballast::core
