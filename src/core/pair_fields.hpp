// The parameters of a pair, declared once: their names, where each lives in
// PairParams, and which a new pair must be given. The replay format, the
// binary command codec, the admin API and the configuration all read this
// table, so adding a parameter is one line here (plus its validation).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/types.hpp"

namespace ballast::core {

struct PairField {
    std::string_view name;
    Dec PairParams::*member;
    bool required;  // on creating a pair; an update may give any subset
};

inline constexpr std::array<PairField, 12> kPairFields = {{
    {"skew_scale", &PairParams::skew_scale, true},
    {"max_abs_premium", &PairParams::max_abs_premium, true},
    {"max_abs_oi", &PairParams::max_abs_oi, true},
    {"initial_margin_ratio", &PairParams::initial_margin_ratio, true},
    {"maintenance_margin_ratio", &PairParams::maintenance_margin_ratio, false},
    {"liquidation_fee_rate", &PairParams::liquidation_fee_rate, false},
    {"maker_fee_rate", &PairParams::maker_fee_rate, false},
    {"taker_fee_rate", &PairParams::taker_fee_rate, false},
    {"max_funding_velocity", &PairParams::max_funding_velocity, false},
    {"max_abs_funding_rate", &PairParams::max_abs_funding_rate, false},
    {"max_limit_price_deviation", &PairParams::max_limit_price_deviation, false},
    {"min_order_notional", &PairParams::min_order_notional, false},
}};

// Bit i set: kPairFields[i] is given.
using PairFieldMask = std::uint16_t;
inline constexpr PairFieldMask kAllPairFields = (PairFieldMask{1} << kPairFields.size()) - 1;
inline constexpr PairFieldMask pair_field_bit(std::size_t i) { return static_cast<PairFieldMask>(1u << i); }

}  // namespace ballast::core
