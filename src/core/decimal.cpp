#include "core/decimal.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/multiprecision/cpp_int.hpp>

namespace ballast::core {

void throw_overflow() { throw ArithmeticOverflow(); }

namespace {

constexpr u128 kScaleU = static_cast<u128>(Dec::kScale);
constexpr u128 kScaleSquared = kScaleU * kScaleU;  // 1e36 fits in 128 bits
constexpr std::uint64_t kScale64 = static_cast<std::uint64_t>(Dec::kScale);

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

i128 to_whole(Dec value, Rounding rounding) { return detail::signed_mul_div(value.raw(), 1, Dec::kScale, rounding); }

Amount to_amount(Dec value, Rounding rounding) {
    const i128 whole = to_whole(value, rounding);
    if (whole < 0) throw_overflow();
    return Amount(static_cast<u128>(whole));
}

Amount mul_to_amount(Dec a, Dec b, Rounding rounding) {
    if (a.is_zero() || b.is_zero()) return Amount::zero();
    if (a.is_negative() != b.is_negative()) throw_overflow();  // amounts are never negative
    u128 q = 0;
    if (!mul_div_twice(magnitude(a.raw()), magnitude(b.raw()), kScale64, kScale64,
                       detail::magnitude_rounding(false, rounding), q))
        throw_overflow();
    return Amount(q);
}

Amount mul3_to_amount(Dec a, Dec b, Dec c, Rounding rounding) {
    const bool negative = (a.is_negative() != b.is_negative()) != c.is_negative();
    if (a.is_zero() || b.is_zero() || c.is_zero()) return Amount::zero();
    if (negative) throw_overflow();  // amounts are never negative
    const MagnitudeRounding dir = detail::magnitude_rounding(false, rounding);
    const u128 ma = magnitude(a.raw()), mb = magnitude(b.raw()), mc = magnitude(c.raw());

    // Fast path: a*b is exact at 18 digits, so one more division is exact too.
    u128 ab_raw = 0, rem = 0;
    if (mul_divmod(ma, mb, kScaleU, ab_raw, rem) && rem == 0) {
        u128 q = 0;
        if (!mul_div_twice(ab_raw, mc, kScale64, kScale64, dir, q)) throw_overflow();
        return Amount(q);
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
    if (!mul_div(amount.units(), magnitude(num.raw()), magnitude(den.raw()),
                 detail::magnitude_rounding(false, rounding), q))
        throw_overflow();
    return Amount(q);
}

Amount mul_div_by_dec(Amount a, Amount b, Dec divisor, Rounding rounding) {
    if (!divisor.is_positive()) throw_overflow();
    // a * b / (divisor.raw / 1e18) == (a * 1e18) * b / divisor.raw
    u128 a_scaled = 0, q = 0;
    if (__builtin_mul_overflow(a.units(), kScaleU, &a_scaled)) throw_overflow();
    if (!mul_div(a_scaled, b.units(), magnitude(divisor.raw()), detail::magnitude_rounding(false, rounding), q))
        throw_overflow();
    return Amount(q);
}

Amount mul_div_to_amount(Dec value, Amount b, Amount divisor, Rounding rounding) {
    if (value.is_negative() || divisor.is_zero()) throw_overflow();
    // Two divisions rounded the same way equal one: floor(floor(x/m)/n) == floor(x/(m*n)).
    const MagnitudeRounding dir = detail::magnitude_rounding(false, rounding);
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

// The value of at most 19 decimal digits (already validated).
std::uint64_t digits_value(std::string_view digits) {
    std::uint64_t v = 0;
    for (char c : digits) v = v * 10 + static_cast<std::uint64_t>(c - '0');
    return v;
}

constexpr std::array<std::uint64_t, 19> kPow10 = [] {
    std::array<std::uint64_t, 19> p{};
    p[0] = 1;
    for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
    return p;
}();

// Parses "digits[.digits]" into an unsigned value scaled by 10^scale_digits.
ParseError parse_unsigned_scaled(std::string_view text, int scale_digits, u128 limit, u128& out) {
    if (text.empty()) return ParseError::Empty;
    const std::size_t dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    if (whole.empty()) return ParseError::Syntax;
    if (whole.size() > 1 && whole.front() == '0') return ParseError::Syntax;  // no leading zeros
    if (dot != std::string_view::npos && frac.empty()) return ParseError::Syntax;
    for (char c : whole)
        if (!is_digit(c)) return ParseError::Syntax;
    for (char c : frac)
        if (!is_digit(c)) return ParseError::Syntax;
    if (static_cast<int>(frac.size()) > scale_digits) {
        return scale_digits == 0 ? ParseError::Fractional : ParseError::TooManyDigits;
    }
    const u128 frac_scale = kPow10[static_cast<std::size_t>(scale_digits) - frac.size()];
    u128 value = 0;
    if (whole.size() <= 19) {
        // Common case: whole < 10^19 fits 64 bits, and whole * 10^18 + frac < 10^38
        // cannot overflow 128 bits, so no checks are needed on the way.
        value = static_cast<u128>(digits_value(whole)) * kPow10[static_cast<std::size_t>(scale_digits)] +
                static_cast<u128>(digits_value(frac)) * frac_scale;
    } else {
        // Long numbers: 18 digits at a time, each step checked.
        auto push_digits = [&](std::string_view digits) {
            while (!digits.empty()) {
                const std::size_t n = std::min<std::size_t>(digits.size(), 18);
                if (__builtin_mul_overflow(value, static_cast<u128>(kPow10[n]), &value) ||
                    __builtin_add_overflow(value, static_cast<u128>(digits_value(digits.substr(0, n))), &value))
                    return false;
                digits.remove_prefix(n);
            }
            return true;
        };
        if (!push_digits(whole) || !push_digits(frac) || __builtin_mul_overflow(value, frac_scale, &value))
            return ParseError::OutOfRange;
    }
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

// Writes exactly `width` digits of value (< 10^width), zero-padded.
void write_padded(char* at, std::uint64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        at[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

void append_unsigned(std::string& out, u128 value) {
    // 19-digit chunks keep the digit loop in 64-bit arithmetic; 128-bit
    // division by 10 would be a library call per digit.
    constexpr std::uint64_t kChunk = 10'000'000'000'000'000'000ULL;
    std::uint64_t chunks[3];
    int n = 0;
    while (value >= kChunk) {
        chunks[n++] = static_cast<std::uint64_t>(value % kChunk);
        value /= kChunk;
    }
    char head[20];
    const auto [end, ec] = std::to_chars(head, head + sizeof head, static_cast<std::uint64_t>(value));
    out.append(head, end);
    while (n > 0) {
        char digits[19];
        write_padded(digits, chunks[--n], 19);
        out.append(digits, 19);
    }
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
    const auto frac = static_cast<std::uint64_t>(m % kScaleU);
    if (frac == 0) return;
    char digits[Dec::kFractionDigits];
    write_padded(digits, frac, Dec::kFractionDigits);
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
