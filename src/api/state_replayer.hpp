// The whole exchange state rebuilt offline from replay JSON Lines, for
// `ballast replay --state-hash`: the ExchangeState the server runs, driven the
// way recovery drives it, so the hash it prints is the one
// GET /v1/admin/status reports for the journal `ballast journal dump` printed.
//
// The replay format carries engine commands only. What the service layer
// remembers of a journal record besides its command (the signer, nonce and
// expiry of a signed request; its scoped Idempotency-Key) travels on a line
// of its own just before the command:
//
//   {"journal":{"signer":"0x…","nonce":7,"expiry":1700000060000,"key":"0x…:k1","key_never_expires":false}}
//
// (signer, nonce and expiry together or not at all; key_never_expires only
// with key). `ballast replay` without --state-hash prints nothing for these
// lines (api/replay.hpp). A command's sequence number is its position among
// the commands; its time is its "time", or the previous one's.
//
// It reads JSON and drives the sequencer's state, so it sits above both
// (api over sequencer), not inside the sequencer library.
#pragma once

#include <string>
#include <string_view>

#include "api/command_decoder.hpp"
#include "sequencer/exchange_state.hpp"

namespace ballast::api {

// Appends the service-fields line for `record` (with its newline), or nothing
// when the record carries none.
void append_service_fields_line(const sequencer::JournalRecord& record, std::string& out);

class StateReplayer {
public:
    // `limits` must be the server's: the Idempotency-Key retention decides
    // when stored replies expire, which is part of the state.
    explicit StateReplayer(sequencer::ExchangeLimits limits = {}) : state_(limits) {}

    // One input line. Blank lines and commands that do not decode change
    // nothing (`ballast replay` reports the latter as invalid input); a
    // malformed service-fields line is refused with a message in `error` and
    // false.
    bool process_line(std::string_view line, std::string& error);

    const sequencer::ExchangeState& state() const { return state_; }

private:
    bool read_service_fields(std::string_view line, std::string& error);

    sequencer::ExchangeState state_;
    CommandDecoder decoder_;
    json_fields::Document document_;
    sequencer::JournalRecord record_;  // service fields of the next command, then the command
    bool has_fields_ = false;
};

}  // namespace ballast::api
