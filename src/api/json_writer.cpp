#include "api/json_writer.hpp"

#include <array>
#include <charconv>

namespace ballast::api {

namespace {

// Bytes that JSON strings must escape.
constexpr std::array<bool, 256> kNeedsEscape = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[static_cast<std::size_t>(c)] = true;
    table['"'] = true;
    table['\\'] = true;
    return table;
}();

}  // namespace

void JsonWriter::string(std::string_view text) {
    begin_quoted_value();
    // Copy runs of plain characters whole; escape the rest one by one.
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (!kNeedsEscape[c]) continue;
        out_.append(text.substr(run, i - run));
        run = i + 1;
        switch (c) {
            case '"': out_.append("\\\""); break;
            case '\\': out_.append("\\\\"); break;
            case '\n': out_.append("\\n"); break;
            case '\r': out_.append("\\r"); break;
            case '\t': out_.append("\\t"); break;
            default: {
                static constexpr char kHex[] = "0123456789abcdef";
                const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
                out_.append(escaped, sizeof escaped);
            }
        }
    }
    out_.append(text.substr(run));
    end_quoted_value();
}

void JsonWriter::integer(std::int64_t value) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    token(std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void JsonWriter::decimal(core::Dec value) {
    begin_quoted_value();
    core::append_to(out_, value);
    end_quoted_value();
}

void JsonWriter::amount(core::Amount value) {
    begin_quoted_value();
    core::append_to(out_, value);
    end_quoted_value();
}

void JsonWriter::wide_integer(core::i128 value) {
    begin_quoted_value();
    core::append_integer(out_, value);
    end_quoted_value();
}

}  // namespace ballast::api
