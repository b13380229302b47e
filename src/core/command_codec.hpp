// Commands <-> compact binary, the journal's encoding of what the engine was told.
//
// Version 2. Integers are little-endian; "var" is byte_codec.hpp's shortest
// length-prefixed form (vu: unsigned, vi: signed two's complement), a name is
// a length byte (1..64) and its characters, a Dec is vi(raw) and an Amount
// vu(units).
//
//   command := version u8 (= 2) | head u8 | [time vi] | body
//   head    := tag (bits 0-4) | 0x80 when a time follows; bits 5-6 are zero
//
//   tag body
//    1  SetParams        mask u8 (bit i: field i present, bit 7 zero), then
//                        the present fields in declaration order:
//                        vault_cooldown_ms vi, max_open_orders vu,
//                        default_shares_per_amount amount, max_oracle_age_ms vi,
//                        adl_trigger_ratio dec, protocol_fee_share dec,
//                        liquidation_alert_ratio dec
//    2  SetPair          pair, given vu (bit i: kPairFields[i] is set; bits 12+
//                        zero), then the given fields' decs in table order
//    3  OracleUpdate     count vu, then count x (pair, price dec)
//    4  DepositMargin    user, amount
//    5  WithdrawMargin   user, amount
//    6  DepositLiquidity user, amount, has_min u8 (0/1), [min_shares_to_mint amount]
//    7  UnlockLiquidity  user, shares_to_burn amount
//    8  SubmitOrder      user, pair, size dec, flags u8 (bit 0: limit, bit 1:
//                        reduce_only; others zero), max_slippage dec, limit_price dec
//    9  CancelOrder      user, pair, order_id vu
//   10  QueryUser        user
//   11  QueryPair        pair
//   12  QueryVault       (nothing)
//   13  SetPairStatus    pair, status u8 (0 active, 1 reduce_only, 2 paused)
//   14  ForceClose       user, caller
//   15  FundVault        has_user u8 (0/1), [user], amount
//
// Version 1 (before the vault's deposits drew on margin) is refused: its
// journals do not replay to the same state under the current rules.
//
// Every field of a command is carried, so decoding gives back an equal
// command, and the encoding is canonical: a decoded command re-encodes to the
// same bytes. Tags are fixed numbers, not variant indices, so reordering
// CommandBody cannot silently change the format.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/commands.hpp"

namespace ballast::core {

inline constexpr std::uint8_t kCommandCodecVersion = 2;

// Appends the encoding. Names must be valid (Name::is_valid), as every
// decoder that produces commands ensures; an empty Name encodes, but is refused
// on decoding.
void encode_command(const Command& command, std::string& out);

// Decodes exactly one command filling all of `bytes`. Strict: truncation,
// trailing bytes, an unknown version or tag, out-of-range enums and flags,
// invalid names and non-canonical numbers are refused with a message in
// `error`. Never throws. On failure `out` holds some valid command of no
// meaning. Allocates only for an OracleUpdate's prices, and reuses the vector
// when `out` already holds an OracleUpdate.
bool decode_command(std::string_view bytes, Command& out, std::string& error);

}  // namespace ballast::core
