// One journal record: a sequenced, timestamped engine command with what the
// exchange needs to answer retries and refuse replays after a restart.
//
// Payload (little-endian; "var" integers as in core/byte_codec.hpp):
//   seq u64 | flags u8 |
//   [signed: signer (length u8, chars), nonce var, expiry var] |
//   [idempotency: key length var, key] |
//   command (core/command_codec.hpp), which carries the record's time
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
    core::Command command;  // command.time == time: encoded once, inside the command
};

void encode_record(const JournalRecord& record, std::string& out);
bool decode_record(std::string_view payload, JournalRecord& out, std::string& error);

}  // namespace ballast::sequencer
