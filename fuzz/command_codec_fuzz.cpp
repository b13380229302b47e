// libFuzzer target: the binary command codec of the journal. Arbitrary bytes
// are refused with a message or decode to a command that encodes back to
// exactly those bytes: the encoding is canonical, so a journal record has one
// spelling and nothing in it is silently dropped. A decoded command that the
// replay format can express also survives the trip through JSON Lines (the
// journal dump) and the replay decoder unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/command_decoder.hpp"
#include "api/command_encoder.hpp"
#include "core/command_codec.hpp"

using namespace ballast::core;

namespace {

// JSON has no negative times or durations and no place for the price an order does not use.
bool json_representable(const Command& command) {
    if (command.time && *command.time < 0) return false;
    if (const auto* p = std::get_if<SetParams>(&command.body)) {
        if ((p->vault_cooldown_ms && *p->vault_cooldown_ms < 0) || (p->max_oracle_age_ms && *p->max_oracle_age_ms < 0))
            return false;
    }
    if (const auto* o = std::get_if<SubmitOrder>(&command.body))
        return (o->kind == OrderKind::Market ? o->limit_price : o->max_slippage).is_zero();
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // Reused across inputs, as recovery reuses one command while replaying.
    static Command command;
    std::string error;
    if (!decode_command(bytes, command, error)) {
        if (error.empty()) std::abort();
        return 0;
    }
    std::string encoded;
    encode_command(command, encoded);
    if (encoded != bytes) std::abort();

    if (!json_representable(command)) return 0;
    std::string line;
    ballast::api::encode_command_json(command, line);
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) std::abort();
    line.pop_back();
    static ballast::api::CommandDecoder decoder;
    Command from_json;
    if (!decoder.decode(line, from_json, error)) std::abort();
    std::string again;
    encode_command(from_json, again);
    if (again != bytes) std::abort();
    return 0;
}
