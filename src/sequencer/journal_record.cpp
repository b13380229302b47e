#include "sequencer/journal_record.hpp"

#include "core/byte_codec.hpp"
#include "core/command_codec.hpp"

namespace ballast::sequencer {

namespace {

enum RecordFlags : std::uint8_t {
    kSigned = 1,
    kIdempotencyKey = 2,
    kKeyNeverExpires = 4,
};
constexpr std::uint8_t kKnownFlags = kSigned | kIdempotencyKey | kKeyNeverExpires;
constexpr std::size_t kMaxKeyBytes = 1024;

}  // namespace

// Precondition: record.command.time == record.time (the time travels once, in the command).
void encode_record(const JournalRecord& record, std::string& out) {
    core::ByteWriter w(out);
    w.fixed_u64(record.seq);
    std::uint8_t flags = 0;
    if (record.signed_by) flags |= kSigned;
    if (!record.idempotency_key.empty()) flags |= kIdempotencyKey;
    if (record.key_never_expires) flags |= kKeyNeverExpires;
    w.u8(flags);
    if (record.signed_by) {
        w.name(record.signed_by->signer);
        w.var_unsigned(record.signed_by->nonce);
        w.var_signed(record.signed_by->expiry);
    }
    if (!record.idempotency_key.empty()) {
        w.var_unsigned(record.idempotency_key.size());
        w.raw(record.idempotency_key);
    }
    core::encode_command(record.command, out);
}

bool decode_record(std::string_view payload, JournalRecord& out, std::string& error) {
    core::ByteReader r(payload);
    out.seq = r.fixed_u64();
    const std::uint8_t flags = r.u8();
    if ((flags & ~kKnownFlags) != 0) r.fail("unknown record flags");
    out.signed_by.reset();
    if (flags & kSigned) {
        SignedBy s;
        s.signer = r.name();
        s.nonce = r.var_u64();
        s.expiry = r.var_i64();
        out.signed_by = s;
    }
    out.idempotency_key.clear();
    if (flags & kIdempotencyKey) {
        const std::size_t length = r.count(1);
        if (length == 0 || length > kMaxKeyBytes) r.fail("bad idempotency key length");
        out.idempotency_key.assign(r.raw(length));
    }
    out.key_never_expires = (flags & kKeyNeverExpires) != 0;
    if (!r.ok()) {
        error = std::string("record header: ") + r.error();
        return false;
    }
    if (!core::decode_command(payload.substr(payload.size() - r.remaining()), out.command, error)) return false;
    if (!out.command.time) {
        error = "the command carries no time";
        return false;
    }
    out.time = *out.command.time;
    return true;
}

}  // namespace ballast::sequencer
