// A canonical text rendering of the engine's whole state: equal states give
// equal bytes. Tests compare dumps to prove that a rejected command changed
// nothing and that replays are deterministic.
#pragma once

#include <string>

#include "core/engine.hpp"

namespace ballast::core {

std::string dump_state(const Engine& engine);

}  // namespace ballast::core
