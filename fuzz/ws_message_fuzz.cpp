// libFuzzer target: what a WebSocket client may send. Every input is taken
// or refused with a code and a message, never a crash; a channel name is
// parsed to a channel whose name is the input, or refused.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/ws_channels.hpp"
#include "api/ws_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    ballast::api::ClientMessage message;
    ballast::api::ClientMessageError error;
    if (!ballast::api::decode_client_message(text, message, error)) {
        if (error.code.empty() || error.message.empty()) std::abort();
    } else if (!message.channel.empty()) {
        if (const auto channel = ballast::api::parse_channel(message.channel)) {
            if (channel->name != message.channel || channel->spec == nullptr) std::abort();
            const std::string rebuilt = ballast::api::channel_name(*channel->spec, channel->subject);
            if (rebuilt != message.channel) std::abort();
        }
    }
    // The channel parser on its own, on raw bytes.
    if (const auto channel = ballast::api::parse_channel(text); channel && channel->name != text) std::abort();
    return 0;
}
