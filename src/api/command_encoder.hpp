// Engine commands -> replay JSON Lines, the inverse of CommandDecoder: what
// `ballast journal dump` prints, so a journal can be read, diffed and
// replayed with `ballast replay`.
#pragma once

#include <string>

#include "core/commands.hpp"

namespace ballast::api {

// Appends one line, {"cmd":...}\n, that CommandDecoder decodes to an equal
// command. Fields the replay format leaves optional are written only when
// they say something: the zero risk parameters of a pair (absent means zero),
// an absent min_shares_to_mint or set_params field, and the price an order
// does not use (a market order's limit_price, a limit order's max_slippage),
// which the format has no place for. Order ids are strings, as in outcomes.
//
// Every command that a decoder produced is representable. Two things a
// hand-built Command may hold are not: a negative time or set_params duration
// (written as is, refused when decoded) and a non-zero unused order price
// (dropped).
void encode_command_json(const core::Command& command, std::string& out);

}  // namespace ballast::api
