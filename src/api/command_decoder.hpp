// JSON -> engine commands, for the replay contract (and later the journal dump
// and the REST API). Strict: unknown commands, unknown fields, wrong types and
// malformed numbers are refused with a message naming the problem.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/parser.hpp>

#include "core/commands.hpp"

namespace ballast::api {

class CommandDecoder {
public:
    // False on failure, with `error` saying why (reported as invalid_input).
    bool decode(std::string_view line, core::Command& out, std::string& error);

private:
    boost::json::parser parser_;
    alignas(std::max_align_t) unsigned char scratch_[8192];
};

}  // namespace ballast::api
