// JSON -> engine commands (simdjson's DOM parser), for the replay contract (and later the journal dump
// and the REST API). Strict: unknown commands, unknown fields, wrong types and
// malformed numbers are refused with a message naming the problem.
#pragma once

#include <string>
#include <string_view>

#include "api/json_fields.hpp"
#include "core/commands.hpp"

namespace ballast::api {

class CommandDecoder {
public:
    // Longer lines are refused before parsing: no command comes near this.
    static constexpr std::size_t kMaxLineBytes = 64 * 1024;

    // False on failure, with `error` saying why (reported as invalid_input).
    bool decode(std::string_view line, core::Command& out, std::string& error);

    // Decodes an object holding the fields of command `cmd` (its replay name,
    // e.g. "oracle"), without "cmd" or "time": REST bodies for admin routes.
    bool decode_as(std::string_view cmd, std::string_view text, core::CommandBody& out, std::string& error);

private:
    json_fields::Document document_;
};

}  // namespace ballast::api
