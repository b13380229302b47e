// The replay contract: JSON Lines of commands in, one JSON line per command
// out, in order. A thin adapter around the engine; it holds no state of its own.
#pragma once

#include <string>
#include <string_view>

#include "api/command_decoder.hpp"
#include "core/engine.hpp"

namespace ballast::api {

// Lines that begin with this carry the service fields of the journal record
// whose command follows (api/state_replayer.hpp): `ballast journal dump`
// writes them, `ballast replay --state-hash` reads them. They are not
// commands.
inline constexpr std::string_view kServiceFieldsLinePrefix = R"({"journal":)";

class Replayer {
public:
    // Appends the result line for one input line, newline included. Blank
    // lines and service-fields lines are not commands: they produce nothing
    // and return false.
    bool process_line(std::string_view line, std::string& out);

    const core::Engine& engine() const { return engine_; }

private:
    core::Engine engine_;
    CommandDecoder decoder_;
    core::Command command_;
    std::string error_;
};

}  // namespace ballast::api
