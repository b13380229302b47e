#include "api/replay.hpp"

#include "api/outcome_encoder.hpp"

namespace ballast::api {

namespace {

bool is_blank(std::string_view line) {
    for (char c : line) {
        if (c != ' ' && c != '\t' && c != '\r') return false;
    }
    return true;
}

}  // namespace

bool Replayer::process_line(std::string_view line, std::string& out) {
    if (is_blank(line) || line.starts_with(kServiceFieldsLinePrefix)) return false;
    if (decoder_.decode(line, command_, error_)) {
        const core::Outcome outcome = engine_.apply(command_);
        encode_outcome(engine_, outcome, engine_.events(), out);
    } else {
        encode_invalid_input(error_, out);
    }
    out.push_back('\n');
    return true;
}

}  // namespace ballast::api
