// Appends compact JSON to a string. Comma placement needs no stack: a comma is
// due exactly when the previous token was a value or a closing bracket.
#pragma once

#include <cstdint>
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

    JsonWriter& key(std::string_view name);
    void string(std::string_view text);
    void boolean(bool value);
    void null();
    void integer(std::int64_t value);
    // Decimals, amounts and 128-bit integers travel as JSON strings, exactly.
    void decimal(core::Dec value);
    void amount(core::Amount value);
    void wide_integer(core::i128 value);

private:
    void open(char bracket);
    void close(char bracket);
    void separate();

    std::string& out_;
    bool after_value_ = false;
};

}  // namespace ballast::api
