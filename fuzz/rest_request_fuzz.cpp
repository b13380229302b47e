// libFuzzer target: the REST request decoders. The first byte picks the
// route; the rest is the body. Every input must be decoded or refused with a
// message, never crash; a decoded trader request must name a canonical
// lowercase address and build its EIP-712 message without throwing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/command_decoder.hpp"
#include "api/trader_request.hpp"

namespace {

using ballast::api::TraderAction;

constexpr TraderAction kActions[] = {TraderAction::Order,    TraderAction::Cancel,       TraderAction::CancelAll,
                                     TraderAction::Withdraw, TraderAction::VaultDeposit, TraderAction::VaultUnlock};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static ballast::api::TraderRequestDecoder decoder;
    static ballast::api::CommandDecoder command_decoder;
    const std::uint8_t route = data[0] % 8;
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string error;
    if (route < 6) {
        ballast::api::TraderRequest request;
        if (decoder.decode(kActions[route], body, /*order_id=*/42, /*pair=*/std::string_view("BTC"), request, error)) {
            if (ballast::api::address_to_hex(request.trader) != request.signed_by.signer.view()) std::abort();
            (void)ballast::api::signed_message(request).struct_hash();
        } else if (error.empty()) {
            std::abort();
        }
    } else if (route == 6) {
        ballast::api::BridgeDeposit deposit;
        if (!decoder.decode_bridge_deposit(body, deposit, error) && error.empty()) std::abort();
    } else {
        ballast::core::CommandBody command;
        if (!command_decoder.decode_as("oracle", body, command, error) && error.empty()) std::abort();
    }
    return 0;
}
