// What a WebSocket client may send (api/ws_channels.hpp has the channels),
// decoded without touching the connection: a pure function, fuzzed
// (fuzz/ws_message_fuzz.cpp).
#pragma once

#include <string>
#include <string_view>

namespace ballast::api {

struct ClientMessage {
    enum class Op { Subscribe, Unsubscribe, Ping, Post };
    Op op = Op::Ping;
    std::string id;       // as the client sent it (JSON: a string or an integer); empty: none
    std::string channel;  // subscribe, unsubscribe
    // post: a REST request carried over the socket.
    std::string method, target, authorization, idempotency_key, body;
};

struct ClientMessageError {
    std::string id;  // when the message had a valid one
    std::string code;
    std::string message;
};

// Decodes one text message; false with `error` filled when it is not one
// the server takes.
bool decode_client_message(std::string_view text, ClientMessage& out, ClientMessageError& error);

}  // namespace ballast::api
