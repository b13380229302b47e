#include "sequencer/exchange_state.hpp"

#include <openssl/sha.h>

#include <algorithm>

#include "api/json_writer.hpp"
#include "api/outcome_encoder.hpp"
#include "api/stream_encoder.hpp"
#include "core/byte_codec.hpp"
#include "core/command_codec.hpp"
#include "core/pricing.hpp"
#include "core/snapshot_codec.hpp"
#include "sequencer/journal_format.hpp"

namespace ballast::sequencer {

using core::ErrorCode;

namespace {

// Expired idempotent replies are dropped at most this often (by journal time).
constexpr core::TimeMs kForgetIntervalMs = 60'000;

Response error_response(std::uint16_t status, std::string_view code, std::string_view message) {
    return {status, error_body(code, message)};
}

}  // namespace

std::uint16_t http_status_for(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidInput: return 400;
        case ErrorCode::UnknownPair:
        case ErrorCode::OrderNotFound: return 404;
        case ErrorCode::NotYourOrder: return 403;
        default: return 422;
    }
}

std::string error_body(std::string_view code, std::string_view message) {
    std::string body;
    api::JsonWriter w(body);
    w.begin_object();
    w.key("code").string(code);
    w.key("message").string(message);
    w.end_object();
    return body;
}

Response internal_error(std::uint64_t seq, std::string_view what) {
    return {500,
            error_body("internal_error", "command " + std::to_string(seq) +
                                             " is journaled but failed inside the exchange: " + std::string(what))};
}

std::string ExchangeState::fingerprint(const core::CommandBody& command, const std::optional<SignedBy>& signed_by) {
    std::string out;
    core::encode_command(core::Command{std::nullopt, command}, out);
    if (signed_by) {
        out.append(signed_by->signer.view());
        put_u64(out, signed_by->nonce);
        put_u64(out, static_cast<std::uint64_t>(signed_by->expiry));
    }
    return out;
}

std::optional<Response> ExchangeState::precheck(const WriteRequest& request, const core::CommandBody& command,
                                                core::TimeMs now) const {
    if (!request.idempotency_key.empty()) {
        const auto it = replies_.find(request.idempotency_key);
        if (it != replies_.end() && (it->second.expires == 0 || now < it->second.expires)) {
            if (it->second.fingerprint == fingerprint(command, request.signed_by)) return it->second.response;
            return error_response(409, "idempotency_conflict", "this Idempotency-Key was used for a different request");
        }
    }
    if (const auto& s = request.signed_by) {
        if (s->expiry <= now) return error_response(401, "request_expired", "the signed request has expired");
        if (s->expiry - now > limits_.max_request_lifetime_ms)
            return error_response(
                400, "expiry_too_far",
                "expiry may be at most " + std::to_string(limits_.max_request_lifetime_ms) + " ms ahead");
        if (const auto it = nonces_.find(s->signer); it != nonces_.end()) {
            const std::vector<std::uint64_t>& used = it->second;
            if (std::binary_search(used.begin(), used.end(), s->nonce))
                return error_response(409, "nonce_reused", "this nonce was already used by this signer");
            if (used.size() == kNonceWindow && s->nonce < used.front())
                return error_response(409, "nonce_too_old",
                                      "the nonce must be above the lowest of this signer's " +
                                          std::to_string(kNonceWindow) +
                                          " highest used nonces (a millisecond timestamp works)");
        }
    }
    return std::nullopt;
}

Response ExchangeState::apply(const JournalRecord& record, ReplyWanted wanted) {
    last_seq_ = record.seq;
    last_time_ = record.time;
    if (record.signed_by) {
        std::vector<std::uint64_t>& used = nonces_[record.signed_by->signer];
        used.insert(std::upper_bound(used.begin(), used.end(), record.signed_by->nonce), record.signed_by->nonce);
        if (used.size() > kNonceWindow) used.erase(used.begin());
    }

    // A defect that throws (anything but the engine's own overflow handling)
    // must not stop the exchange: the record stays journaled, recovery and
    // offline replay meet the same exception at the same place, and the
    // request is answered 500.
    std::optional<std::string> failure;
    core::Outcome outcome;
    try {
        outcome = engine_.apply(record.command);
        if (outcome.ok()) {
            if (const auto* withdraw = std::get_if<core::WithdrawMargin>(&record.command.body))
                withdrawals_.push_back({record.seq, withdraw->user, withdraw->amount, record.time});
        }
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (record.time - last_pruned_ >= kForgetIntervalMs) forget_expired(record.time);
    Response response;
    if (wanted == ReplyWanted::OnlyIfStored && record.idempotency_key.empty() && !failure) return response;
    if (!failure) {
        try {
            if (outcome.ok()) {
                api::JsonWriter w(response.body);
                w.begin_object();
                w.key("seq").integer(static_cast<std::int64_t>(record.seq));
                std::string result;
                api::encode_outcome(engine_, outcome, engine_.events(), result);
                w.key("result").encoded(result);
                w.end_object();
            } else {
                response.status = http_status_for(outcome.error);
                api::JsonWriter w(response.body);
                w.begin_object();
                w.key("code").plain_string(core::error_code_name(outcome.error));
                w.key("message").string(outcome.message);
                w.key("seq").integer(static_cast<std::int64_t>(record.seq));
                w.end_object();
            }
        } catch (const std::exception& e) {
            failure = "building the reply: " + std::string(e.what());
        }
    }
    if (failure) response = internal_error(record.seq, *failure);
    // A retry with the key gets this reply, even a 500: the command is in the
    // journal and must not run twice.
    if (!record.idempotency_key.empty()) {
        replies_[record.idempotency_key] =
            StoredReply{fingerprint(record.command.body, record.signed_by),
                        record.key_never_expires ? 0 : record.time + limits_.idempotency_retention_ms, response};
    }
    return response;
}

void ExchangeState::forget_expired(core::TimeMs now) {
    last_pruned_ = now;
    boost::unordered::erase_if(
        replies_, [now](const auto& entry) { return entry.second.expires != 0 && entry.second.expires <= now; });
}

std::vector<core::OrderId> ExchangeState::open_orders(const core::Name& user, const core::Name& pair) const {
    std::vector<core::OrderId> ids;
    const auto user_id = engine_.find_user(user);
    const auto pair_id = engine_.find_pair(pair);
    if (!user_id || !pair_id) return ids;
    const core::OrderBook& book = engine_.book();
    for (core::Slot s = book.first_of_user(*user_id); s != core::kNoSlot; s = book.next_of_user(s)) {
        if (book.at(s).pair == *pair_id) ids.push_back(book.at(s).id);
    }
    return ids;
}

Response ExchangeState::read(const ReadRequest& request) const {
    Response response;
    response.seq = last_seq_;
    response.time = last_time_;
    std::string& out = response.body;
    api::JsonWriter w(out);
    // Also at a sequence number: the market did not exist then.
    const auto unknown_pair = [&] {
        Response refused =
            error_response(404, "unknown_pair", "no market named " + std::string(request.subject.view()));
        refused.seq = last_seq_;
        refused.time = last_time_;
        return refused;
    };
    switch (request.kind) {
        case ReadKind::Account:
        case ReadKind::Positions:
        case ReadKind::Orders: {
            const core::UserView view = engine_.view_user(engine_.find_user(request.subject));
            if (request.kind == ReadKind::Account) {
                api::encode_reply(engine_, view, out);
                break;
            }
            w.begin_object();
            w.key("trader").plain_string(request.subject.view());
            if (request.kind == ReadKind::Positions) {
                w.key("equity").decimal(view.equity);
                w.key("unrealized_pnl").decimal(view.unrealized_pnl);
                w.key("accrued_funding").decimal(view.accrued_funding);
                w.key("positions");
                api::write_positions(w, engine_, view.positions);
            } else {
                w.key("orders").begin_array();
                std::uint32_t written = 0;
                std::optional<core::OrderId> last;
                bool more = false;
                for (const core::OrderView& order : view.open_orders) {
                    if (order.order_id <= request.after) continue;
                    if (written == request.limit) {
                        more = true;
                        break;
                    }
                    api::write_order_view(w, engine_, order, /*with_user=*/false);
                    last = order.order_id;
                    ++written;
                }
                w.end_array();
                w.key("next_after");
                if (more)
                    w.wide_integer(*last);
                else
                    w.null();
            }
            w.end_object();
            break;
        }
        case ReadKind::Markets: {
            w.begin_object();
            w.key("markets").begin_array();
            for (core::PairId p = 0; p < engine_.pair_count(); ++p) {
                w.begin_object();
                w.key("pair").plain_string(engine_.pair_name(p));
                const core::PairState& pair = engine_.pair(p);
                w.key("status").plain_string(core::pair_status_name(pair.status));
                if (pair.oracle_price)
                    w.key("oracle_price").decimal(*pair.oracle_price);
                else
                    w.key("oracle_price").null();
                w.key("long_oi").decimal(pair.long_oi);
                w.key("short_oi").decimal(pair.short_oi);
                w.end_object();
            }
            w.end_array();
            w.end_object();
            break;
        }
        case ReadKind::Market: {
            const auto pair_id = engine_.find_pair(request.subject);
            if (!pair_id) return unknown_pair();
            const core::PairView view = engine_.view_pair(*pair_id);
            w.begin_object();
            w.key("pair").plain_string(request.subject.view());
            std::string market;
            api::encode_reply(engine_, view, market);
            w.key("market").encoded(market);
            if (request.size) {
                w.key("quote").begin_object();
                w.key("size").decimal(*request.size);
                if (view.oracle_price && !request.size->is_zero()) {
                    try {
                        w.key("exec_price")
                            .decimal(
                                core::compute_exec_price(*view.oracle_price, view.skew, *request.size, view.params));
                    } catch (const core::ArithmeticOverflow&) {
                        w.key("exec_price").null();
                    }
                } else {
                    w.key("exec_price").null();
                }
                w.end_object();
            }
            w.end_object();
            break;
        }
        case ReadKind::Ticker: {
            const auto pair_id = engine_.find_pair(request.subject);
            if (!pair_id) return unknown_pair();
            api::write_ticker(w, market_state(engine_, *pair_id), engine_.clock());
            break;
        }
        case ReadKind::Book: {
            const auto pair_id = engine_.find_pair(request.subject);
            if (!pair_id) return unknown_pair();
            api::write_book(w, request.subject.view(), engine_.view_book(*pair_id));
            break;
        }
        case ReadKind::Vault: api::encode_reply(engine_, engine_.view_vault(), out); break;
        case ReadKind::Withdrawals: {
            w.begin_object();
            w.key("withdrawals").begin_array();
            auto it = std::upper_bound(withdrawals_.begin(), withdrawals_.end(), request.after,
                                       [](std::uint64_t after, const Withdrawal& x) { return after < x.id; });
            std::uint32_t written = 0;
            std::uint64_t last = request.after;
            for (; it != withdrawals_.end() && written < request.limit; ++it, ++written) {
                w.begin_object();
                w.key("id").wide_integer(it->id);
                w.key("trader").plain_string(it->trader.view());
                w.key("amount").amount(it->amount);
                w.key("time").integer(it->time);
                w.end_object();
                last = it->id;
            }
            w.end_array();
            w.key("next_after").wide_integer(last);
            w.end_object();
            break;
        }
        case ReadKind::Info: {
            // Integers: each is far below 2^53.
            const core::GlobalParams& params = engine_.params();
            w.begin_object();
            w.key("max_request_lifetime_ms").integer(limits_.max_request_lifetime_ms);
            w.key("idempotency_retention_ms").integer(limits_.idempotency_retention_ms);
            w.key("nonce_window").integer(static_cast<std::int64_t>(kNonceWindow));
            w.key("max_open_orders").integer(params.max_open_orders);
            w.key("vault_cooldown_ms").integer(params.vault_cooldown_ms);
            w.key("max_oracle_age_ms").integer(params.max_oracle_age_ms);
            w.end_object();
            break;
        }
        case ReadKind::Status: {
            w.begin_object();
            w.key("seq").integer(static_cast<std::int64_t>(last_seq_));
            w.key("time").integer(last_time_);
            w.key("state_hash").plain_string(state_hash());
            w.end_object();
            break;
        }
    }
    return response;
}

std::string ExchangeState::state_hash() const {
    std::string canonical;
    encode_canonical(canonical);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char b : digest) {
        hex.push_back(kHex[b >> 4]);
        hex.push_back(kHex[b & 15]);
    }
    return hex;
}

}  // namespace ballast::sequencer

namespace ballast::sequencer {

namespace {

constexpr std::uint64_t kSnapshotFormat = 1;

void write_bytes(core::ByteWriter& w, std::string_view bytes) {
    w.var_unsigned(bytes.size());
    w.raw(bytes);
}

std::string_view read_bytes(core::ByteReader& r) { return r.raw(r.count(1)); }

}  // namespace

void ExchangeState::encode_snapshot(std::string& out) const { encode(out, /*canonical=*/false); }

void ExchangeState::encode_canonical(std::string& out) const { encode(out, /*canonical=*/true); }

void ExchangeState::encode(std::string& out, bool canonical) const {
    core::ByteWriter w(out);
    w.fixed_u64(kSnapshotFormat);
    std::string engine_bytes;
    core::encode_engine(engine_, engine_bytes);
    write_bytes(w, engine_bytes);
    w.fixed_u64(last_seq_);
    w.var_signed(last_time_);
    w.var_signed(last_pruned_);
    // The maps in their own order (cheap, for snapshot files) or by key (one
    // encoding per state, for the hash); decoding takes either.
    std::vector<const NonceMap::value_type*> nonces;
    nonces.reserve(nonces_.size());
    for (const auto& entry : nonces_) nonces.push_back(&entry);
    std::vector<const ReplyMap::value_type*> replies;
    replies.reserve(replies_.size());
    for (const auto& entry : replies_) replies.push_back(&entry);
    if (canonical) {
        std::sort(nonces.begin(), nonces.end(), [](auto* a, auto* b) { return a->first.view() < b->first.view(); });
        std::sort(replies.begin(), replies.end(), [](auto* a, auto* b) { return a->first < b->first; });
    }
    w.var_unsigned(nonces.size());
    for (const auto* entry : nonces) {
        w.name(entry->first);
        w.var_unsigned(entry->second.size());
        for (std::uint64_t nonce : entry->second) w.var_unsigned(nonce);
    }
    w.var_unsigned(replies.size());
    for (const auto* entry : replies) {
        const StoredReply& stored = entry->second;
        write_bytes(w, entry->first);
        write_bytes(w, stored.fingerprint);
        w.var_signed(stored.expires);
        w.var_unsigned(stored.response.status);
        write_bytes(w, stored.response.body);
    }
    w.var_unsigned(withdrawals_.size());
    for (const Withdrawal& x : withdrawals_) {
        w.var_unsigned(x.id);
        w.name(x.trader);
        w.amount(x.amount);
        w.var_signed(x.time);
    }
}

bool ExchangeState::decode_snapshot(std::string_view bytes, std::string& error) {
    core::ByteReader r(bytes);
    if (r.fixed_u64() != kSnapshotFormat) {
        error = "unknown snapshot format";
        return false;
    }
    const std::string_view engine_bytes = read_bytes(r);
    if (!r.ok() || !core::decode_engine(engine_bytes, engine_, error)) {
        if (error.empty()) error = r.error();
        return false;
    }
    last_seq_ = r.fixed_u64();
    last_time_ = r.var_i64();
    last_pruned_ = r.var_i64();
    nonces_.clear();
    for (std::size_t n = r.count(3); n > 0 && r.ok(); --n) {
        std::vector<std::uint64_t>& used = nonces_[r.name()];
        const std::size_t count = r.count(1);
        if (count == 0 || count > kNonceWindow) r.fail("a nonce window has the wrong size");
        for (std::size_t i = 0; i < count && r.ok(); ++i) {
            const std::uint64_t nonce = r.var_u64();
            if (!used.empty() && nonce <= used.back()) r.fail("a nonce window is not ascending");
            used.push_back(nonce);
        }
    }
    replies_.clear();
    for (std::size_t n = r.count(5); n > 0 && r.ok(); --n) {
        std::string key(read_bytes(r));
        StoredReply stored;
        stored.fingerprint = read_bytes(r);
        stored.expires = r.var_i64();
        stored.response.status = static_cast<std::uint16_t>(r.var_u32());
        stored.response.body = read_bytes(r);
        replies_[std::move(key)] = std::move(stored);
    }
    withdrawals_.clear();
    for (std::size_t n = r.count(4); n > 0 && r.ok(); --n) {
        Withdrawal x;
        x.id = r.var_u64();
        x.trader = r.name();
        x.amount = r.amount();
        x.time = r.var_i64();
        withdrawals_.push_back(x);
    }
    if (!r.ok() || !r.at_end()) {
        error = r.ok() ? "trailing bytes after the snapshot" : std::string(r.error());
        return false;
    }
    return true;
}

}  // namespace ballast::sequencer
