// Engine state <-> binary, for snapshots: recovery loads the newest snapshot
// and replays the journal after it, so a decoded engine must behave exactly as
// the encoded one would have, not merely look the same. Everything that can
// steer a future command is carried or rebuilt: the clock, parameters, vault,
// the order and unlock sequences, users with their unlocks, positions and
// holder slots, pairs with their risk and funding state and holders list in
// its exact order (liquidation and ADL walk it), and the resting orders.
//
// Version 3. Integers little-endian in byte_codec.hpp's forms (vu, vi; a Dec
// is vi(raw), an Amount vu(units), a name a length byte and its characters):
//
//   magic "BENG" | version u8 (= 3)
//   clock vi | params: vault_cooldown_ms vi, max_open_orders vu,
//     default_shares_per_amount amount, max_oracle_age_ms vi,
//     adl_trigger_ratio dec, protocol_fee_share dec, liquidation_alert_ratio dec
//   vault: balance, share_supply, treasury amounts | next_order_id vu | next_lp_seq vu
//   oracle_epoch vu | money_in amount | vault: pending_deposits amount,
//     uncollectable dec, backs_positions u8
//   pair count vu, per pair (in id order): name, 12 PairParams decs, status u8,
//     has_price u8 [oracle_price dec], price_time vi, price_epoch vu, long_oi dec, short_oi dec,
//     oi_weighted_entry_price vi, funding rate dec, cumulative_per_unit dec,
//     last_time vi, oi_weighted_entry_funding dec, holder count vu, holder user ids vu
//   user count vu, per user (in id order): name, margin, reserved_margin,
//     vault_shares amounts, risk_alerted u8;
//     unlock count vu, per unlock: shares, amount, priced u8, end_time vi, seq vu, epoch vu;
//     position count vu, per position (pair order): pair vu, size dec,
//       cost_basis amount, entry_funding_per_unit dec, holder_slot vu;
//     order count vu, per resting order (placement order): id vu, pair vu,
//       size dec, limit_price dec, reserved_margin amount, created_at vi, reduce_only u8,
//       reserved_opening dec, parked u8 [room needed dec]
//   pending deposit count vu, per deposit (queue order): user vu, amount,
//     has_min u8 [min_shares amount], seq vu, epoch vu
//
// What is derived is rebuilt, not stored: the name indexes, the pending
// release queue (one entry per unlock), the queue of unpriced unlocks (in id
// order), the count of open positions and the order book, by inserting the
// resting orders in ascending id, which is the order the engine inserted them
// in, so each price level's FIFO and each user's placement order come back.
// Decoding validates what later commands rely on (indices in range, holders
// and holder slots agreeing, reserved margin equal to the orders' sum, unique
// names, order ids and unlock sequence numbers), so a damaged snapshot is
// refused rather than loaded into an engine that would misbehave. Detecting
// corruption in general is left to the snapshot file's checksum.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/engine.hpp"

namespace ballast::core {

inline constexpr std::uint8_t kSnapshotCodecVersion = 3;

// Appends the engine's state: one pass over users, pairs and orders, no
// allocation besides the growth of `out`. Call it between commands.
void encode_engine(const Engine& engine, std::string& out);

// Replaces `out` with the decoded engine, or leaves it untouched and says why
// in `error`. Never throws on bad input. The events of the last command are
// not part of the state: the decoded engine's events() starts empty.
bool decode_engine(std::string_view bytes, Engine& out, std::string& error);

}  // namespace ballast::core
