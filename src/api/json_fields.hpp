// Strict, typed access to the members of one JSON object (simdjson DOM),
// shared by the replay decoder and the REST request decoder. Problems are
// thrown as DecodeError with a message naming the field; decoders catch it at
// their boundary and report it as invalid input.
#pragma once

#include <array>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "core/decimal.hpp"
#include "core/name.hpp"

namespace ballast::api::json_fields {

namespace json = simdjson::dom;
using core::Amount;
using core::Dec;
using core::Name;

struct DecodeError {
    std::string message;
};

[[noreturn]] inline void fail(std::string message) { throw DecodeError{std::move(message)}; }

// Field and command names are a few bytes long: comparing them inline beats a
// call to memcmp, which dominated decoding.
inline bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

inline std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('\'');
    out.append(s);
    out.push_back('\'');
    return out;
}

// Typed access to one command object's fields. The object is walked once:
// `cmd` and `time` are picked out, and every other member must be one of the
// names the command takes (allow_only), at most once, or the command is refused.
class Fields {
public:
    explicit Fields(json::object object) {
        for (const auto [key, value] : object) {
            if (same(key, "cmd")) {
                set_once(cmd_, key, value);
            } else if (same(key, "time")) {
                set_once(time_, key, value);
            } else {
                if (member_count_ == kMaxFields) fail("too many fields");
                members_[member_count_++] = {key, value};
            }
        }
    }

    const json::element* cmd() const { return present(cmd_); }
    const json::element* time() const { return present(time_); }

    void allow_only(std::initializer_list<std::string_view> names) { allow_only(names.begin(), names.end()); }

    template <typename It>
    void allow_only(It first, It last) {
        name_count_ = 0;
        for (It it = first; it != last; ++it) {
            if (name_count_ == kMaxFields) fail("too many fields");
            names_[name_count_++] = *it;
        }
        // Clients usually send fields in the documented order, so the search
        // starts where the previous match left off.
        std::size_t next = 0;
        for (std::size_t m = 0; m < member_count_; ++m) {
            const std::string_view key = members_[m].key;
            std::size_t probes = 0, i = next;
            while (probes < name_count_ && !same(names_[i], key)) {
                i = i + 1 == name_count_ ? 0 : i + 1;
                ++probes;
            }
            if (probes == name_count_) fail("unknown field " + quoted(key));
            set_once(slots_[i], key, members_[m].value);
            next = i + 1 == name_count_ ? 0 : i + 1;
        }
    }

    // A member allowed by allow_only, or null when absent or JSON null.
    const json::element* find(std::string_view key) const {
        for (std::size_t i = 0; i < name_count_; ++i) {
            if (same(names_[i], key)) return present(slots_[i]);
        }
        return nullptr;
    }

    const json::element& require(std::string_view key) const {
        const json::element* v = find(key);
        if (v == nullptr) fail("missing field " + quoted(key));
        return *v;
    }

    std::string_view text(std::string_view key) const {
        std::string_view out;
        if (require(key).get_string().get(out)) fail(quoted(key) + " must be a string");
        return out;
    }

    Name name(std::string_view key) const {
        const std::string_view value = text(key);
        if (!Name::is_valid(value))
            fail(quoted(key) + " must be 1 to 64 printable characters without spaces, quotes or backslashes");
        return Name::from(value);
    }

    Dec decimal(std::string_view key) const { return to_decimal(key, require(key)); }

    Amount amount(std::string_view key) const { return to_amount(key, require(key)); }

    std::optional<Dec> optional_decimal(std::string_view key) const {
        const json::element* v = find(key);
        if (v == nullptr) return std::nullopt;
        return to_decimal(key, *v);
    }

    std::optional<Amount> optional_amount(std::string_view key) const {
        const json::element* v = find(key);
        if (v == nullptr) return std::nullopt;
        return to_amount(key, *v);
    }

    bool boolean(std::string_view key, bool fallback) const {
        const json::element* v = find(key);
        if (v == nullptr) return fallback;
        bool out = false;
        if (v->get_bool().get(out)) fail(quoted(key) + " must be true or false");
        return out;
    }

    std::optional<std::uint64_t> optional_count(std::string_view key, std::uint64_t max) const {
        const json::element* v = find(key);
        if (v == nullptr) return std::nullopt;
        return to_count(key, *v, max);
    }

    std::uint64_t count(std::string_view key, std::uint64_t max) const { return to_count(key, require(key), max); }

    static Dec to_decimal(std::string_view key, const json::element& v) {
        switch (v.type()) {
            case json::element_type::STRING: {
                Dec out;
                const core::ParseError e = core::parse_dec(v.get_string().value_unsafe(), out);
                if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
                return out;
            }
            case json::element_type::INT64:
            case json::element_type::UINT64:
                try {
                    return v.type() == json::element_type::INT64 ? Dec::from_int(v.get_int64().value_unsafe())
                                                                 : Dec::from_int(v.get_uint64().value_unsafe());
                } catch (const core::ArithmeticOverflow&) {
                    fail(quoted(key) + ": number out of range");
                }
            default: fail(quoted(key) + " must be a decimal string");
        }
    }

    static Amount to_amount(std::string_view key, const json::element& v) {
        switch (v.type()) {
            case json::element_type::STRING: {
                Amount out;
                const core::ParseError e = core::parse_amount(v.get_string().value_unsafe(), out);
                if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
                return out;
            }
            case json::element_type::UINT64: return Amount(v.get_uint64().value_unsafe());
            case json::element_type::INT64: {
                const std::int64_t n = v.get_int64().value_unsafe();
                if (n < 0) fail(quoted(key) + ": " + core::describe(core::ParseError::Negative));
                return Amount(static_cast<std::uint64_t>(n));
            }
            default: fail(quoted(key) + " must be a whole number of base units, as a string");
        }
    }

    static std::uint64_t to_count(std::string_view key, const json::element& v, std::uint64_t max) {
        std::uint64_t out = 0;
        switch (v.type()) {
            case json::element_type::UINT64: out = v.get_uint64().value_unsafe(); break;
            case json::element_type::INT64:
                if (v.get_int64().value_unsafe() < 0) fail(quoted(key) + " must be a non-negative integer");
                out = static_cast<std::uint64_t>(v.get_int64().value_unsafe());
                break;
            case json::element_type::STRING: {
                Amount parsed;
                const core::ParseError e = core::parse_amount(v.get_string().value_unsafe(), parsed);
                if (e != core::ParseError::None) fail(quoted(key) + ": " + core::describe(e));
                if (parsed.units() > max) fail(quoted(key) + " is too large");
                out = static_cast<std::uint64_t>(parsed.units());
                break;
            }
            default: fail(quoted(key) + " must be a non-negative integer");
        }
        if (out > max) fail(quoted(key) + " is too large");
        return out;
    }

private:
    static constexpr std::size_t kMaxFields = 16;
    struct Member {
        std::string_view key;
        json::element value;
    };
    struct Slot {
        bool set = false;
        json::element value;
    };

    static void set_once(Slot& slot, std::string_view key, json::element value) {
        if (slot.set) fail("duplicate field " + quoted(key));
        slot = {true, value};
    }
    static const json::element* present(const Slot& slot) {
        return slot.set && !slot.value.is_null() ? &slot.value : nullptr;
    }

    Slot cmd_, time_;
    std::array<Member, kMaxFields> members_{};
    std::size_t member_count_ = 0;
    std::array<std::string_view, kMaxFields> names_{};
    std::array<Slot, kMaxFields> slots_{};
    std::size_t name_count_ = 0;
};

// Parses one JSON text with simdjson, which reads a little past the end of its
// input: the text is copied into a buffer with the padding it needs.
class Document {
public:
    // The root element, valid until the next parse; fails with a message.
    bool parse(std::string_view text, json::element& root, std::string& error) {
        if (buffer_.size() < text.size() + simdjson::SIMDJSON_PADDING)
            buffer_.resize(text.size() + simdjson::SIMDJSON_PADDING);
        if (!text.empty()) std::memcpy(buffer_.data(), text.data(), text.size());  // an empty view may hold null
        if (const auto e = parser_.parse(buffer_.data(), text.size(), false).get(root)) {
            error = std::string("not valid JSON: ") + simdjson::error_message(e);
            return false;
        }
        return true;
    }

private:
    json::parser parser_;
    std::vector<char> buffer_;
};

// Decodes a request body: one JSON object of at most `max_bytes`, whose fields
// `fill(Fields&)` reads, throwing DecodeError to refuse. "cmd" and "time" are
// never fields of a request body (the route names the command, the exchange
// stamps the time). False with `error` set on any problem.
template <typename Fill>
bool decode_body_object(Document& document, std::string_view text, std::size_t max_bytes, std::string& error,
                        Fill&& fill) {
    if (text.size() > max_bytes) {
        error = "the body must be at most " + std::to_string(max_bytes) + " bytes";
        return false;
    }
    json::element root;
    if (!document.parse(text, root, error)) return false;
    try {
        json::object object;
        if (root.get_object().get(object)) fail("the body must be a JSON object");
        Fields fields(object);
        if (fields.cmd() != nullptr) fail("unknown field 'cmd'");
        if (fields.time() != nullptr) fail("unknown field 'time': the exchange stamps the time");
        fill(fields);
        return true;
    } catch (const DecodeError& e) {
        error = e.message;
        return false;
    }
}

}  // namespace ballast::api::json_fields
