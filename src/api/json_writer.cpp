#include "api/json_writer.hpp"

#include <charconv>

namespace ballast::api {

void JsonWriter::separate() {
    if (after_value_) out_.push_back(',');
}

void JsonWriter::open(char bracket) {
    separate();
    out_.push_back(bracket);
    after_value_ = false;
}

void JsonWriter::close(char bracket) {
    out_.push_back(bracket);
    after_value_ = true;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    string(name);
    out_.push_back(':');
    after_value_ = false;
    return *this;
}

void JsonWriter::string(std::string_view text) {
    separate();
    out_.push_back('"');
    for (char c : text) {
        switch (c) {
            case '"': out_.append("\\\""); break;
            case '\\': out_.append("\\\\"); break;
            case '\n': out_.append("\\n"); break;
            case '\r': out_.append("\\r"); break;
            case '\t': out_.append("\\t"); break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    static constexpr char kHex[] = "0123456789abcdef";
                    out_.append("\\u00");
                    out_.push_back(kHex[(c >> 4) & 0xF]);
                    out_.push_back(kHex[c & 0xF]);
                } else {
                    out_.push_back(c);
                }
        }
    }
    out_.push_back('"');
    after_value_ = true;
}

void JsonWriter::boolean(bool value) {
    separate();
    out_.append(value ? "true" : "false");
    after_value_ = true;
}

void JsonWriter::null() {
    separate();
    out_.append("null");
    after_value_ = true;
}

void JsonWriter::integer(std::int64_t value) {
    separate();
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, end);
    after_value_ = true;
}

void JsonWriter::decimal(core::Dec value) {
    separate();
    out_.push_back('"');
    core::append_to(out_, value);
    out_.push_back('"');
    after_value_ = true;
}

void JsonWriter::amount(core::Amount value) {
    separate();
    out_.push_back('"');
    core::append_to(out_, value);
    out_.push_back('"');
    after_value_ = true;
}

void JsonWriter::wide_integer(core::i128 value) {
    separate();
    out_.push_back('"');
    core::append_integer(out_, value);
    out_.push_back('"');
    after_value_ = true;
}

}  // namespace ballast::api
