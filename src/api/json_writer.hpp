// Appends compact JSON to a string. Comma placement needs no stack: a comma is
// due exactly when the previous token was a value or a closing bracket.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"

namespace ballast::api {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    // Keys and plain strings are written without escaping: they must be the
    // encoder's own literals or validated names (core::Name), which never
    // contain quotes, backslashes or control characters. Anything else,
    // such as a message quoting user input, goes through string().
    JsonWriter& key(std::string_view name) {
        quote(name, ':');
        after_value_ = false;
        return *this;
    }
    void plain_string(std::string_view text) {
        quote(text, '\0');
        after_value_ = true;
    }
    void string(std::string_view text);
    // A value already encoded as JSON by another writer.
    void encoded(std::string_view json) { token(json); }
    void boolean(bool value) { token(value ? std::string_view("true") : std::string_view("false")); }
    void null() { token("null"); }
    void integer(std::int64_t value);
    // Decimals, amounts and 128-bit integers travel as JSON strings, exactly.
    void decimal(core::Dec value);
    void amount(core::Amount value);
    void wide_integer(core::i128 value);
    // A figure the engine could not compute in range is null.
    void decimal(const std::optional<core::Dec>& value) {
        if (value)
            decimal(*value);
        else
            null();
    }
    void amount(const std::optional<core::Amount>& value) {
        if (value)
            amount(*value);
        else
            null();
    }

private:
    void open(char bracket) {
        if (after_value_) out_.push_back(',');
        out_.push_back(bracket);
        after_value_ = false;
    }
    void close(char bracket) {
        out_.push_back(bracket);
        after_value_ = true;
    }
    void token(std::string_view text) {
        if (after_value_) out_.push_back(',');
        out_.append(text);
        after_value_ = true;
    }
    // [,]"text"[suffix] in one append.
    void quote(std::string_view text, char suffix) {
        char buf[96];
        if (text.size() > sizeof buf - 4) {
            if (after_value_) out_.push_back(',');
            out_.push_back('"');
            out_.append(text);
            out_.push_back('"');
            if (suffix != '\0') out_.push_back(suffix);
            return;
        }
        std::size_t n = 0;
        if (after_value_) buf[n++] = ',';
        buf[n++] = '"';
        std::memcpy(buf + n, text.data(), text.size());
        n += text.size();
        buf[n++] = '"';
        if (suffix != '\0') buf[n++] = suffix;
        out_.append(buf, n);
    }
    void begin_quoted_value() {
        if (after_value_) out_.push_back(',');
        out_.push_back('"');
    }
    void end_quoted_value() {
        out_.push_back('"');
        after_value_ = true;
    }

    std::string& out_;
    bool after_value_ = false;
};

}  // namespace ballast::api
