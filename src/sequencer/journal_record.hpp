// One journal record: a sequenced, timestamped engine command with what the
// exchange needs to answer retries and refuse replays after a restart.
//
// Payload (little-endian): seq u64 | time i64 | flags u8 |
//   [signed: signer length u8, signer, nonce u64, expiry i64] |
//   [idempotency: key length u16, key] | command (core/command_codec.hpp)
#pragma once

#include <string>
#include <string_view>

#include "core/commands.hpp"
#include "sequencer/requests.hpp"

namespace ballast::sequencer {

struct JournalRecord {
    std::uint64_t seq = 0;
    core::TimeMs time = 0;
    std::optional<SignedBy> signed_by;
    std::string idempotency_key;
    bool key_never_expires = false;
    core::Command command;  // command.time == time
};

void encode_record(const JournalRecord& record, std::string& out);
bool decode_record(std::string_view payload, JournalRecord& out, std::string& error);

}  // namespace ballast::sequencer
