// Engine outcomes and events -> one JSON line, per the replay contract.
#pragma once

#include <span>
#include <string>

#include "core/engine.hpp"

namespace ballast::api {

// Appends {"ok":true,...,"events":[...]} or {"ok":false,"error":{...}}.
void encode_outcome(const core::Engine& engine, const core::Outcome& outcome, std::span<const core::Event> events,
                    std::string& out);

// Appends {"ok":false,"error":{"code":"invalid_input","message":...}}.
void encode_invalid_input(std::string_view message, std::string& out);

}  // namespace ballast::api
