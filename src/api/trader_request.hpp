// REST bodies of the requests traders sign, and of the bridge's deposits:
// strict JSON in, engine commands out, plus the EIP-712 message each signature
// must cover. Decimal fields must be in canonical form ("1.5", not "1.50"), so
// the message rebuilt from the parsed values is exactly what the wallet signed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/eip712.hpp"
#include "api/json_fields.hpp"
#include "core/commands.hpp"
#include "sequencer/requests.hpp"

namespace ballast::api {

enum class TraderAction : std::uint8_t { Order, Cancel, CancelAll, Withdraw, VaultDeposit, VaultUnlock };

struct TraderRequest {
    TraderAction action = TraderAction::Order;
    Address trader{};
    sequencer::SignedBy signed_by;  // signer = the trader's lowercase 0x address
    std::string signature;
    // The command, with the trader as its user. CancelAll carries its pair in
    // a CancelOrder whose order id is unused.
    core::CommandBody command;
};

struct BridgeDeposit {
    std::string tx_id;
    core::DepositMargin command;
};

class TraderRequestDecoder {
public:
    static constexpr std::size_t kMaxBodyBytes = 16 * 1024;

    // `order_id` comes from the path of DELETE /orders/{id}; `pair` from the
    // query of DELETE /orders?pair=.
    bool decode(TraderAction action, std::string_view body, std::optional<core::OrderId> order_id,
                std::optional<std::string_view> pair, TraderRequest& out, std::string& error);
    bool decode_bridge_deposit(std::string_view body, BridgeDeposit& out, std::string& error);

private:
    json_fields::Document document_;
};

// The EIP-712 message a request's signature must cover.
TypedMessage signed_message(const TraderRequest& request);

}  // namespace ballast::api
