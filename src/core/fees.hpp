// Trading fees by skew direction: the part of a fill that moves the skew
// toward zero pays the maker rate, the rest the taker rate.
#pragma once

#include "core/types.hpp"

namespace ballast::core {

struct FeeSplit {
    Dec maker;  // magnitude of the part that reduces |skew|
    Dec taker;  // magnitude of the rest
};

FeeSplit split_maker_taker(Dec skew, Dec fill);

// ceil(|maker| * price * maker_rate) + ceil(|taker| * price * taker_rate).
Amount compute_trading_fee(Dec skew, Dec fill, Dec price, const PairParams& params);

// The most a fill of `size` at `price` can pay: ceil(|size| * price * max(maker, taker)).
Amount compute_worst_case_fee(Dec size, Dec price, const PairParams& params);

}  // namespace ballast::core
