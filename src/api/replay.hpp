// The replay contract: JSON Lines of commands in, one JSON line per command
// out, in order. A thin adapter around the engine; it holds no state of its own.
#pragma once

#include <string>
#include <string_view>

#include "api/command_decoder.hpp"
#include "core/engine.hpp"

namespace ballast::api {

class Replayer {
public:
    // Appends the result line for one input line, newline included. Blank
    // lines are not commands: they produce nothing and return false.
    bool process_line(std::string_view line, std::string& out);

    const core::Engine& engine() const { return engine_; }

private:
    core::Engine engine_;
    CommandDecoder decoder_;
    core::Command command_;
    std::string error_;
};

}  // namespace ballast::api
