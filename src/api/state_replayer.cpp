#include "api/state_replayer.hpp"

#include "api/json_writer.hpp"
#include "api/replay.hpp"

namespace ballast::api {

namespace json = simdjson::dom;

void append_service_fields_line(const sequencer::JournalRecord& record, std::string& out) {
    if (!record.signed_by && record.idempotency_key.empty()) return;
    JsonWriter w(out);
    w.begin_object();
    w.key("journal").begin_object();
    if (const auto& s = record.signed_by) {
        w.key("signer").string(s->signer.view());
        w.key("nonce").encoded(std::to_string(s->nonce));
        w.key("expiry").integer(s->expiry);
    }
    if (!record.idempotency_key.empty()) {
        w.key("key").string(record.idempotency_key);
        w.key("key_never_expires").boolean(record.key_never_expires);
    }
    w.end_object();
    w.end_object();
    out.push_back('\n');
}

bool StateReplayer::read_service_fields(std::string_view line, std::string& error) {
    json::element root;
    if (!document_.parse(line, root, error)) return false;
    json::object outer, fields;
    if (root.get_object().get(outer) || outer.size() != 1 || outer["journal"].get_object().get(fields)) {
        error = "a service-fields line must be {\"journal\":{...}}";
        return false;
    }
    sequencer::JournalRecord next;
    bool signer = false, nonce = false, expiry = false, key = false, never = false;
    sequencer::SignedBy s;
    for (const auto [name, value] : fields) {
        std::string_view text;
        std::uint64_t u = 0;
        std::int64_t i = 0;
        bool b = false;
        if (name == "signer" && !signer && !value.get_string().get(text) && core::Name::is_valid(text)) {
            s.signer = core::Name::from(text);
            signer = true;
        } else if (name == "nonce" && !nonce && !value.get_uint64().get(u)) {
            s.nonce = u;
            nonce = true;
        } else if (name == "expiry" && !expiry && !value.get_int64().get(i)) {
            s.expiry = i;
            expiry = true;
        } else if (name == "key" && !key && !value.get_string().get(text) && !text.empty()) {
            next.idempotency_key = std::string(text);
            key = true;
        } else if (name == "key_never_expires" && !never && !value.get_bool().get(b)) {
            next.key_never_expires = b;
            never = true;
        } else {
            error = "service-fields line: unexpected, repeated or malformed '" + std::string(name) + "'";
            return false;
        }
    }
    if (signer != nonce || nonce != expiry || (never && !key) || (!signer && !key)) {
        error = "service-fields line: signer, nonce and expiry go together, key_never_expires needs key";
        return false;
    }
    if (signer) next.signed_by = s;
    record_ = std::move(next);
    has_fields_ = true;
    return true;
}

bool StateReplayer::process_line(std::string_view line, std::string& error) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return true;
    if (line.starts_with(kServiceFieldsLinePrefix)) {
        if (has_fields_) {
            error = "two service-fields lines in a row";
            return false;
        }
        return read_service_fields(line, error);
    }
    if (!has_fields_) record_ = sequencer::JournalRecord{};
    has_fields_ = false;
    if (!decoder_.decode(line, record_.command, error)) return true;  // an invalid command changes nothing
    record_.seq = state_.last_seq() + 1;
    record_.time = record_.command.time.value_or(state_.last_time());
    state_.apply(record_, sequencer::ReplyWanted::OnlyIfStored);
    return true;
}

}  // namespace ballast::api
