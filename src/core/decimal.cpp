#include "core/decimal.hpp"

#include <boost/multiprecision/cpp_int.hpp>

namespace ballast::core {

void throw_overflow() { throw ArithmeticOverflow(); }

namespace {

constexpr u128 kScaleU = static_cast<u128>(Dec::kScale);
constexpr u128 kScaleSquared = kScaleU * kScaleU;  // 1e36 fits in 128 bits

// The magnitude of a signed result must be rounded up exactly when the signed
// rounding pushes it away from zero.
constexpr MagnitudeRounding magnitude_rounding(bool negative, Rounding rounding) {
    const bool away_from_zero = negative ? rounding == Rounding::Floor : rounding == Rounding::Ceil;
    return away_from_zero ? MagnitudeRounding::Up : MagnitudeRounding::Down;
}

i128 apply_sign(u128 magnitude_value, bool negative) {
    if (negative) {
        if (magnitude_value > static_cast<u128>(kI128Max) + 1) throw_overflow();
        return static_cast<i128>(u128{0} - magnitude_value);
    }
    if (magnitude_value > static_cast<u128>(kI128Max)) throw_overflow();
    return static_cast<i128>(magnitude_value);
}

// Signed a*b/d on raw values, rounded once.
i128 signed_mul_div(i128 a, i128 b, i128 d, Rounding rounding) {
    if (d == 0) throw_overflow();
    const bool negative = ((a < 0) != (b < 0)) != (d < 0);
    u128 q = 0;
    if (!mul_div(magnitude(a), magnitude(b), magnitude(d), magnitude_rounding(negative, rounding), q)) throw_overflow();
    return apply_sign(q, negative && q != 0);
}

}  // namespace

Dec Dec::from_int(i128 whole) {
    i128 raw = 0;
    if (__builtin_mul_overflow(whole, kScale, &raw)) throw_overflow();
    return from_raw(raw);
}

Dec Dec::from_amount(Amount amount) {
    if (amount.units() > static_cast<u128>(kI128Max / kScale)) throw_overflow();
    return from_raw(static_cast<i128>(amount.units()) * kScale);
}

Dec Dec::operator-() const {
    if (raw_ == kI128Min) throw_overflow();
    return from_raw(-raw_);
}

Dec Dec::abs() const { return raw_ < 0 ? -*this : *this; }

Dec& Dec::operator+=(Dec other) {
    if (__builtin_add_overflow(raw_, other.raw_, &raw_)) throw_overflow();
    return *this;
}

Dec& Dec::operator-=(Dec other) {
    if (__builtin_sub_overflow(raw_, other.raw_, &raw_)) throw_overflow();
    return *this;
}

Amount& Amount::operator+=(Amount other) {
    if (__builtin_add_overflow(units_, other.units_, &units_)) throw_overflow();
    return *this;
}

Amount& Amount::operator-=(Amount other) {
    if (other.units_ > units_) throw_overflow();
    units_ -= other.units_;
    return *this;
}

Dec mul(Dec a, Dec b, Rounding rounding) {
    return Dec::from_raw(signed_mul_div(a.raw(), b.raw(), Dec::kScale, rounding));
}

Dec div(Dec a, Dec b, Rounding rounding) {
    return Dec::from_raw(signed_mul_div(a.raw(), Dec::kScale, b.raw(), rounding));
}

Dec mul_div(Dec a, Dec b, Dec c, Rounding rounding) {
    return Dec::from_raw(signed_mul_div(a.raw(), b.raw(), c.raw(), rounding));
}

int compare_products(Dec a, Dec b, Dec c, Dec d) {
    const int left_sign = a.sign() * b.sign();
    const int right_sign = c.sign() * d.sign();
    if (left_sign != right_sign) return left_sign < right_sign ? -1 : 1;
    if (left_sign == 0) return 0;
    const int magnitude_order =
        compare_products(magnitude(a.raw()), magnitude(b.raw()), magnitude(c.raw()), magnitude(d.raw()));
    return left_sign > 0 ? magnitude_order : -magnitude_order;
}

i128 to_whole(Dec value, Rounding rounding) { return signed_mul_div(value.raw(), 1, Dec::kScale, rounding); }

Amount to_amount(Dec value, Rounding rounding) {
    const i128 whole = to_whole(value, rounding);
    if (whole < 0) throw_overflow();
    return Amount(static_cast<u128>(whole));
}

Amount mul_to_amount(Dec a, Dec b, Rounding rounding) {
    const i128 whole = signed_mul_div(a.raw(), b.raw(), static_cast<i128>(kScaleSquared), rounding);
    if (whole < 0) throw_overflow();
    return Amount(static_cast<u128>(whole));
}

Amount mul3_to_amount(Dec a, Dec b, Dec c, Rounding rounding) {
    const bool negative = (a.is_negative() != b.is_negative()) != c.is_negative();
    if (a.is_zero() || b.is_zero() || c.is_zero()) return Amount::zero();
    if (negative) throw_overflow();  // amounts are never negative
    const MagnitudeRounding dir = magnitude_rounding(false, rounding);
    const u128 ma = magnitude(a.raw()), mb = magnitude(b.raw()), mc = magnitude(c.raw());

    // Fast path: a*b is exact at 18 digits, so one more division is exact too.
    const U256 ab = mul_wide(ma, mb);
    if (ab.hi < kScaleU) {
        u128 rem = 0;
        const u128 ab_raw = ab.hi == 0 ? ab.lo / kScaleU : div_256_by_128(ab.hi, ab.lo, kScaleU, rem);
        if (ab.hi == 0) rem = ab.lo % kScaleU;
        if (rem == 0) {
            u128 q = 0;
            if (!mul_div(ab_raw, mc, kScaleSquared, dir, q)) throw_overflow();
            return Amount(q);
        }
    }

    // Slow path: the exact 384-bit product.
    using boost::multiprecision::uint512_t;
    const uint512_t product = uint512_t(ma) * uint512_t(mb) * uint512_t(mc);
    const uint512_t scale54 = uint512_t(kScaleSquared) * uint512_t(kScaleU);
    uint512_t quotient = product / scale54;
    if (dir == MagnitudeRounding::Up && quotient * scale54 != product) ++quotient;
    if (quotient > uint512_t(kU128Max)) throw_overflow();
    return Amount(static_cast<u128>(quotient));
}

Amount scale_amount(Amount amount, Dec num, Dec den, Rounding rounding) {
    if (!num.is_positive() || !den.is_positive()) throw_overflow();
    u128 q = 0;
    if (!mul_div(amount.units(), magnitude(num.raw()), magnitude(den.raw()), magnitude_rounding(false, rounding), q))
        throw_overflow();
    return Amount(q);
}

Amount mul_div_by_dec(Amount a, Amount b, Dec divisor, Rounding rounding) {
    if (!divisor.is_positive()) throw_overflow();
    // a * b / (divisor.raw / 1e18) == (a * 1e18) * b / divisor.raw
    u128 a_scaled = 0, q = 0;
    if (__builtin_mul_overflow(a.units(), kScaleU, &a_scaled)) throw_overflow();
    if (!mul_div(a_scaled, b.units(), magnitude(divisor.raw()), magnitude_rounding(false, rounding), q))
        throw_overflow();
    return Amount(q);
}

Amount mul_div_to_amount(Dec value, Amount b, Amount divisor, Rounding rounding) {
    if (value.is_negative() || divisor.is_zero()) throw_overflow();
    // Two divisions rounded the same way equal one: floor(floor(x/m)/n) == floor(x/(m*n)).
    const MagnitudeRounding dir = magnitude_rounding(false, rounding);
    u128 scaled = 0, q = 0;
    if (!mul_div(magnitude(value.raw()), b.units(), divisor.units(), dir, scaled)) throw_overflow();
    if (!mul_div(scaled, 1, kScaleU, dir, q)) throw_overflow();
    return Amount(q);
}

i128 checked_add(i128 a, i128 b) {
    i128 r = 0;
    if (__builtin_add_overflow(a, b, &r)) throw_overflow();
    return r;
}

i128 checked_sub(i128 a, i128 b) {
    i128 r = 0;
    if (__builtin_sub_overflow(a, b, &r)) throw_overflow();
    return r;
}

i128 to_signed(Amount a) {
    if (a.units() > static_cast<u128>(kI128Max)) throw_overflow();
    return static_cast<i128>(a.units());
}

// ---------------------------------------------------------------------------

const char* describe(ParseError error) {
    switch (error) {
        case ParseError::None: return "ok";
        case ParseError::Empty: return "empty number";
        case ParseError::Syntax: return "not a plain decimal number";
        case ParseError::TooManyDigits: return "more than 18 fractional digits";
        case ParseError::OutOfRange: return "number out of range";
        case ParseError::Negative: return "must not be negative";
        case ParseError::Fractional: return "must be a whole number of base units";
    }
    return "invalid number";
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses "digits[.digits]" into an unsigned value scaled by 10^scale_digits.
ParseError parse_unsigned_scaled(std::string_view text, int scale_digits, u128 limit, u128& out) {
    if (text.empty()) return ParseError::Empty;
    const std::size_t dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    if (whole.empty()) return ParseError::Syntax;
    if (dot != std::string_view::npos && frac.empty()) return ParseError::Syntax;
    for (char c : whole)
        if (!is_digit(c)) return ParseError::Syntax;
    for (char c : frac)
        if (!is_digit(c)) return ParseError::Syntax;
    if (static_cast<int>(frac.size()) > scale_digits) {
        return scale_digits == 0 ? ParseError::Fractional : ParseError::TooManyDigits;
    }
    u128 value = 0;
    auto push_digit = [&](char c) {
        return !__builtin_mul_overflow(value, u128{10}, &value) &&
               !__builtin_add_overflow(value, u128(c - '0'), &value);
    };
    for (char c : whole)
        if (!push_digit(c)) return ParseError::OutOfRange;
    for (char c : frac)
        if (!push_digit(c)) return ParseError::OutOfRange;
    for (int i = static_cast<int>(frac.size()); i < scale_digits; ++i)
        if (!push_digit('0')) return ParseError::OutOfRange;
    if (value > limit) return ParseError::OutOfRange;
    out = value;
    return ParseError::None;
}

}  // namespace

ParseError parse_dec(std::string_view text, Dec& out) {
    if (text.empty()) return ParseError::Empty;
    const bool negative = text.front() == '-';
    if (negative) text.remove_prefix(1);
    u128 magnitude_value = 0;
    const u128 limit = negative ? static_cast<u128>(kI128Max) + 1 : static_cast<u128>(kI128Max);
    const ParseError error = parse_unsigned_scaled(text, Dec::kFractionDigits, limit, magnitude_value);
    if (error != ParseError::None) return error == ParseError::Empty ? ParseError::Syntax : error;
    out = Dec::from_raw(negative ? static_cast<i128>(u128{0} - magnitude_value) : static_cast<i128>(magnitude_value));
    return ParseError::None;
}

ParseError parse_amount(std::string_view text, Amount& out) {
    if (!text.empty() && text.front() == '-') return ParseError::Negative;
    u128 units = 0;
    const ParseError error = parse_unsigned_scaled(text, 0, kU128Max, units);
    if (error != ParseError::None) return error;
    out = Amount(units);
    return ParseError::None;
}

namespace {

void append_unsigned(std::string& out, u128 value) {
    char buf[40];
    int n = 0;
    do {
        buf[n++] = static_cast<char>('0' + static_cast<int>(value % 10));
        value /= 10;
    } while (value != 0);
    while (n > 0) out.push_back(buf[--n]);
}

}  // namespace

void append_integer(std::string& out, i128 value) {
    if (value < 0) out.push_back('-');
    append_unsigned(out, magnitude(value));
}

void append_to(std::string& out, Amount value) { append_unsigned(out, value.units()); }

void append_to(std::string& out, Dec value) {
    const u128 m = magnitude(value.raw());
    if (value.is_negative()) out.push_back('-');
    append_unsigned(out, m / kScaleU);
    u128 frac = m % kScaleU;
    if (frac == 0) return;
    char digits[Dec::kFractionDigits];
    for (int i = Dec::kFractionDigits - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + static_cast<int>(frac % 10));
        frac /= 10;
    }
    int len = Dec::kFractionDigits;
    while (digits[len - 1] == '0') --len;
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(len));
}

std::string to_string(Dec value) {
    std::string s;
    append_to(s, value);
    return s;
}

std::string to_string(Amount value) {
    std::string s;
    append_to(s, value);
    return s;
}

}  // namespace ballast::core
