// The exchange's whole state: the engine plus what the service layer must
// remember to be safe across restarts (used nonces, idempotent replies,
// the withdrawal outbox). Deterministic like the engine: the live sequencer
// and recovery both drive it with journal records, so a recovered exchange
// answers exactly as the one that crashed would have.
#pragma once

#include <deque>
#include <optional>
#include <string>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/engine.hpp"
#include "sequencer/journal_record.hpp"
#include "sequencer/requests.hpp"

namespace ballast::sequencer {

struct ExchangeLimits {
    // A retry with the same Idempotency-Key gets the first reply for this long.
    core::TimeMs idempotency_retention_ms = 24 * 3'600'000;
    // Signed requests may not be valid for longer than this (bounds the nonce memory).
    core::TimeMs max_request_lifetime_ms = 3'600'000;
};

// Recovery needs a reply only where it is remembered (an Idempotency-Key).
enum class ReplyWanted : std::uint8_t { Always, OnlyIfStored };

// A withdrawal the chain bridge is to pay out.
struct Withdrawal {
    std::uint64_t id = 0;  // the journal seq of the accepted WithdrawMargin
    core::Name trader;
    core::Amount amount;
    core::TimeMs time = 0;
};

class ExchangeState {
public:
    static constexpr std::size_t kNonceWindow = 64;

    explicit ExchangeState(ExchangeLimits limits = {}) : limits_(limits) {}

    // Answers a write without journaling it when it must not run (expired,
    // nonce used, key reused with a different request) or already ran (a
    // retry: the first reply). nullopt: journal and apply it at `now`.
    std::optional<Response> precheck(const WriteRequest& request, const core::CommandBody& command,
                                     core::TimeMs now) const;

    // Applies one journaled command and returns its reply (with OnlyIfStored,
    // an empty reply unless the record carries an Idempotency-Key). Called
    // live and on recovery. Never throws: an exception inside the engine or
    // while building the reply becomes a 500 internal_error reply (also with
    // OnlyIfStored, so recovery can log it); the record still counts, exactly
    // as it would on every replay.
    Response apply(const JournalRecord& record, ReplyWanted wanted = ReplyWanted::Always);

    Response read(const ReadRequest& request) const;

    // The open orders of `user` in `pair`, for CancelAllOrders.
    std::vector<core::OrderId> open_orders(const core::Name& user, const core::Name& pair) const;

    const core::Engine& engine() const { return engine_; }
    std::uint64_t last_seq() const { return last_seq_; }
    core::TimeMs last_time() const { return last_time_; }
    // SHA-256 (hex) of the canonical encoding: the whole state, engine and
    // service layer, so equal exactly for states that behave the same,
    // whether live, recovered or replayed offline.
    std::string state_hash() const;

    // The whole state as a snapshot payload: the engine's snapshot encoding,
    // then the service layer. encode_snapshot writes the hash maps in their
    // own order (no sort on the engine thread); encode_canonical sorts them
    // by key, so that equal states have one encoding. decode_snapshot takes
    // either.
    void encode_snapshot(std::string& out) const;
    void encode_canonical(std::string& out) const;
    bool decode_snapshot(std::string_view bytes, std::string& error);

private:
    struct StoredReply {
        std::string fingerprint;   // the request it answered
        core::TimeMs expires = 0;  // 0: never
        Response response;
    };

    using NonceMap = boost::unordered_flat_map<core::Name, std::vector<std::uint64_t>, core::NameHash>;
    using ReplyMap = boost::unordered_flat_map<std::string, StoredReply>;

    static std::string fingerprint(const core::CommandBody& command, const std::optional<SignedBy>& signed_by);
    void encode(std::string& out, bool canonical) const;
    // Drops replies that can no longer matter; the result is the same
    // whether or not this runs, so it may run at any time.
    void forget_expired(core::TimeMs now);

    ExchangeLimits limits_;
    core::Engine engine_;
    std::uint64_t last_seq_ = 0;
    core::TimeMs last_time_ = 0;
    core::TimeMs last_pruned_ = 0;
    // Per signer, the kNonceWindow highest nonces used, ascending. A nonce is
    // accepted if unused and, once the window is full, above its lowest: so
    // no signed request can be replayed, and memory is bounded per trader
    // whatever the request rate (the scheme Hyperliquid uses).
    NonceMap nonces_;
    ReplyMap replies_;
    std::deque<Withdrawal> withdrawals_;
};

// 4xx status for an engine rejection.
std::uint16_t http_status_for(core::ErrorCode code);
// {"code":...,"message":...}
std::string error_body(std::string_view code, std::string_view message);
// 500 internal_error for journaled command `seq`.
Response internal_error(std::uint64_t seq, std::string_view what);

}  // namespace ballast::sequencer
