// Dec and Amount: parsing, canonical output, checked arithmetic and rounding.
// Expected values are worked out by hand in the comments.
#include <gtest/gtest.h>

#include "core/decimal.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using ballast::testing::amt;
using ballast::testing::dec;

std::string round_trip(std::string_view text) { return to_string(dec(text)); }

TEST(Decimal, ParsesPlainDecimals) {
    EXPECT_EQ(dec("1").raw(), Dec::kScale);
    EXPECT_EQ(dec("-2.5").raw(), -Dec::kScale * 5 / 2);
    EXPECT_EQ(dec("0.000000000000000001").raw(), 1);
    EXPECT_EQ(dec("7.50").raw(), Dec::kScale * 15 / 2);
    EXPECT_EQ(dec("0.5").raw(), Dec::kScale / 2);
}

TEST(Decimal, RejectsWhatIsNotAPlainDecimal) {
    Dec out;
    EXPECT_EQ(parse_dec("", out), ParseError::Empty);
    EXPECT_EQ(parse_dec("-", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("1e5", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("1E5", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("+1", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec(" 1", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("1 ", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec(".5", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("5.", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("1.2.3", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("0x10", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("NaN", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("--1", out), ParseError::Syntax);
    // Strict input: no leading zeros (issue "Money safety", finding 10).
    EXPECT_EQ(parse_dec("007.50", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("00", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("-01", out), ParseError::Syntax);
    EXPECT_EQ(parse_dec("0.0000000000000000001", out), ParseError::TooManyDigits);  // 19 digits
    // The largest Dec is (2^127 - 1) / 1e18 = 170141183460469231731.687303715884105727.
    EXPECT_EQ(parse_dec("170141183460469231731.687303715884105727", out), ParseError::None);
    EXPECT_EQ(parse_dec("170141183460469231731.687303715884105728", out), ParseError::OutOfRange);
    EXPECT_EQ(parse_dec("-170141183460469231731.687303715884105728", out), ParseError::None);
    EXPECT_EQ(parse_dec("99999999999999999999999999999999999999999999", out), ParseError::OutOfRange);
}

TEST(Decimal, FormatsCanonically) {
    EXPECT_EQ(round_trip("102.500"), "102.5");
    EXPECT_EQ(round_trip("-0"), "0");
    EXPECT_EQ(round_trip("-0.000"), "0");
    EXPECT_EQ(round_trip("100"), "100");
    EXPECT_EQ(round_trip("100.0"), "100");
    EXPECT_EQ(round_trip("-0.05"), "-0.05");
    EXPECT_EQ(round_trip("0.000000000000000001"), "0.000000000000000001");
    EXPECT_EQ(round_trip("-170141183460469231731.687303715884105728"), "-170141183460469231731.687303715884105728");
}

TEST(Amount, ParsesWholeNonNegativeNumbersOnly) {
    Amount out;
    EXPECT_EQ(parse_amount("1000", out), ParseError::None);
    EXPECT_TRUE(out.units() == 1000);
    EXPECT_EQ(parse_amount("-5", out), ParseError::Negative);
    EXPECT_EQ(parse_amount("1.5", out), ParseError::Fractional);
    EXPECT_EQ(parse_amount("1.0", out), ParseError::Fractional);
    EXPECT_EQ(parse_amount("1e3", out), ParseError::Syntax);
    EXPECT_EQ(parse_amount("", out), ParseError::Empty);
    EXPECT_EQ(parse_amount("0100", out), ParseError::Syntax);
    EXPECT_EQ(parse_amount("0", out), ParseError::None);
    // 2^128 - 1 fits, 2^128 does not.
    EXPECT_EQ(parse_amount("340282366920938463463374607431768211455", out), ParseError::None);
    EXPECT_EQ(parse_amount("340282366920938463463374607431768211456", out), ParseError::OutOfRange);
    EXPECT_EQ(to_string(amt("340282366920938463463374607431768211455")), "340282366920938463463374607431768211455");
}

TEST(Decimal, ArithmeticOverflowIsAnErrorNotAWrap) {
    const Dec max = dec("170141183460469231731.687303715884105727");
    EXPECT_THROW(max + dec("0.000000000000000001"), ArithmeticOverflow);
    EXPECT_THROW(-max - dec("0.000000000000000002"), ArithmeticOverflow);
    EXPECT_THROW(mul(max, dec("2"), Rounding::Floor), ArithmeticOverflow);
    EXPECT_THROW(div(dec("1"), dec("0"), Rounding::Floor), ArithmeticOverflow);
    EXPECT_THROW(amt("1") - amt("2"), ArithmeticOverflow);
    EXPECT_THROW(amt("340282366920938463463374607431768211455") + amt("1"), ArithmeticOverflow);
    EXPECT_THROW(Dec::from_amount(amt("170141183460469231732")), ArithmeticOverflow);
}

TEST(Decimal, ProductsRoundOnceInTheNamedDirection) {
    // 1/3 = 0.333333333333333333|33... : floor drops the tail, ceil lifts the last digit.
    EXPECT_EQ(div(dec("1"), dec("3"), Rounding::Floor), dec("0.333333333333333333"));
    EXPECT_EQ(div(dec("1"), dec("3"), Rounding::Ceil), dec("0.333333333333333334"));
    // Negative results: floor goes toward -infinity.
    EXPECT_EQ(div(dec("-1"), dec("3"), Rounding::Floor), dec("-0.333333333333333334"));
    EXPECT_EQ(div(dec("-1"), dec("3"), Rounding::Ceil), dec("-0.333333333333333333"));
    // 1e-18 * 0.5 = 5e-19: below the last digit.
    EXPECT_EQ(mul(dec("0.000000000000000001"), dec("0.5"), Rounding::Floor), dec("0"));
    EXPECT_EQ(mul(dec("0.000000000000000001"), dec("0.5"), Rounding::Ceil), dec("0.000000000000000001"));
    // a*b/c as one operation: 10 * 1 / 3 with no rounded intermediate ratio.
    EXPECT_EQ(mul_div(dec("10"), dec("1"), dec("3"), Rounding::Floor), dec("3.333333333333333333"));
    // Exact 256-bit product: 1e20 * 1e20 / 1e20 needs more than 128 bits in the middle.
    EXPECT_EQ(mul_div(dec("100000000000000000000"), dec("100000000000000000000"), dec("100000000000000000000"),
                      Rounding::Floor),
              dec("100000000000000000000"));
}

TEST(Decimal, AmountConversionsRoundOnce) {
    EXPECT_EQ(to_amount(dec("237.5"), Rounding::Ceil), amt("238"));  // 004 margin #6
    EXPECT_EQ(to_amount(dec("237.5"), Rounding::Floor), amt("237"));
    EXPECT_THROW(to_amount(dec("-0.5"), Rounding::Floor), ArithmeticOverflow);
    EXPECT_EQ(to_whole(dec("-0.5"), Rounding::Floor), -1);
    EXPECT_EQ(to_whole(dec("-0.5"), Rounding::Ceil), 0);
    // 50 * 102.5 = 5125 exactly.
    EXPECT_EQ(mul_to_amount(dec("50"), dec("102.5"), Rounding::Floor), amt("5125"));
    // 0.3333 * 3 = 0.9999: floor 0, ceil 1.
    EXPECT_EQ(mul_to_amount(dec("0.3333"), dec("3"), Rounding::Floor), amt("0"));
    EXPECT_EQ(mul_to_amount(dec("0.3333"), dec("3"), Rounding::Ceil), amt("1"));
}

TEST(Decimal, TripleProductRoundsOnlyAtTheEnd) {
    // |50| * 95 * 0.05 = 237.5 -> ceil 238 (004 margin #6).
    EXPECT_EQ(mul3_to_amount(dec("50"), dec("95"), dec("0.05"), Rounding::Ceil), amt("238"));
    // 100 * 105 * 0.05 = 525 exactly (004 margin #1).
    EXPECT_EQ(mul3_to_amount(dec("100"), dec("105"), dec("0.05"), Rounding::Ceil), amt("525"));
    // a*b has digits beyond 18 places: a = 0.000000000000000003, b = 0.5 gives 1.5e-18,
    // times c = 2e18 gives exactly 3. Rounding a*b first (up to 2e-18) would give 4.
    EXPECT_EQ(mul3_to_amount(dec("0.000000000000000003"), dec("0.5"), dec("2000000000000000000"), Rounding::Ceil),
              amt("3"));
    EXPECT_EQ(mul3_to_amount(dec("0.000000000000000003"), dec("0.5"), dec("2000000000000000000"), Rounding::Floor),
              amt("3"));
}

TEST(Decimal, ScaleAmountIsOneOperation) {
    // cost_basis * |closing| / |size|: 200000 * 1 / 3 = 66666.66..: floor 66666, ceil 66667.
    EXPECT_EQ(scale_amount(amt("200000"), dec("1"), dec("3"), Rounding::Floor), amt("66666"));
    EXPECT_EQ(scale_amount(amt("200000"), dec("1"), dec("3"), Rounding::Ceil), amt("66667"));
    // Via a rounded ratio (0.333333333333333333 * 3e21) the answer would be one unit short;
    // as one operation 3e21 * 1 / 3 is exactly 1e21.
    EXPECT_EQ(scale_amount(amt("3000000000000000000000"), dec("1"), dec("3"), Rounding::Floor),
              amt("1000000000000000000000"));
}

}  // namespace
