// Ceilings on what a command may bring into the engine's state.
//
// A command is refused at its door when what it would create could not be
// represented by a read or a later command: every amount the exchange holds
// must convert to a Dec (about 1.7e20 base units), and sizes and prices must
// leave room for the sums and products the engine forms from them. Within
// these ceilings an extreme but legal state can still make a product
// overflow (a huge size at a huge price); such a figure is then reported as
// unknown (null) by reads, and skipped by fulfilment and liquidation.
#pragma once

#include "core/decimal.hpp"

namespace ballast::core::limits {

// All money in the exchange: deposits minus withdrawals, in base units.
inline constexpr u128 kMaxMoney = static_cast<u128>(100'000'000'000'000'000) * 1'000;  // 1e20

// Order sizes, open-interest caps and skew scales, in contracts.
inline Dec max_size() { return Dec::from_raw(static_cast<i128>(1'000'000'000'000'000) * Dec::kScale); }  // 1e15

// Oracle and limit prices, in base units per contract.
inline Dec max_price() { return max_size(); }  // 1e15

// Funding caps: a rate of at most 100% a day, moving at most 100 a day.
inline Dec max_funding_rate() { return Dec::one(); }
inline Dec max_funding_velocity() { return Dec::from_raw(100 * Dec::kScale); }

// Shares minted per base unit into an empty vault.
inline constexpr u128 kMaxSharesPerAmount = static_cast<u128>(1'000'000'000'000'000'000);  // 1e18

}  // namespace ballast::core::limits
