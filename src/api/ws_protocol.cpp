#include "api/ws_protocol.hpp"

#include <boost/json.hpp>

namespace ballast::api {

namespace {

bool fail(ClientMessageError& error, std::string code, std::string message) {
    error.code = std::move(code);
    error.message = std::move(message);
    return false;
}

bool decode_post(const boost::json::object& o, ClientMessage& out, ClientMessageError& error) {
    const auto* route = o.if_contains("route");
    if (!route || !route->is_string()) return fail(error, "invalid_input", "post needs \"route\": \"METHOD /path\"");
    const std::string_view text = route->as_string();
    const auto space = text.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 >= text.size() || text[space + 1] != '/')
        return fail(error, "invalid_input", "route is \"METHOD /path\"");
    out.method = text.substr(0, space);
    out.target = text.substr(space + 1);
    if (const auto* headers = o.if_contains("headers")) {
        if (!headers->is_object()) return fail(error, "invalid_input", "headers is an object of strings");
        for (const auto& [key, value] : headers->as_object()) {
            if (!value.is_string()) return fail(error, "invalid_input", "headers is an object of strings");
            std::string lower(key);
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower == "authorization") out.authorization = value.as_string();
            if (lower == "idempotency-key") out.idempotency_key = value.as_string();
        }
    }
    if (const auto* body = o.if_contains("body"))
        out.body = body->is_string() ? std::string(body->as_string()) : boost::json::serialize(*body);
    return true;
}

}  // namespace

bool decode_client_message(std::string_view text, ClientMessage& out, ClientMessageError& error) {
    out = {};
    error = {};
    boost::system::error_code ec;
    const boost::json::value message = boost::json::parse(text, ec);
    if (ec || !message.is_object()) return fail(error, "invalid_input", "a message is a JSON object with an \"op\"");
    const boost::json::object& o = message.as_object();
    if (const auto* id = o.if_contains("id")) {
        if (!id->is_string() && !id->is_int64() && !id->is_uint64())
            return fail(error, "invalid_input", "\"id\" must be a string or an integer");
        out.id = boost::json::serialize(*id);  // echoed as sent
        error.id = out.id;
    }
    const auto* op = o.if_contains("op");
    if (!op || !op->is_string()) return fail(error, "invalid_input", "missing \"op\"");
    const std::string_view name = op->as_string();
    if (name == "ping") {
        out.op = ClientMessage::Op::Ping;
        return true;
    }
    if (name == "post") {
        out.op = ClientMessage::Op::Post;
        return decode_post(o, out, error);
    }
    if (name == "subscribe" || name == "unsubscribe") {
        out.op = name == "subscribe" ? ClientMessage::Op::Subscribe : ClientMessage::Op::Unsubscribe;
        const auto* channel = o.if_contains("channel");
        if (!channel || !channel->is_string()) return fail(error, "invalid_input", "missing \"channel\"");
        out.channel = channel->as_string();
        return true;
    }
    return fail(error, "invalid_input", "unknown op; expected subscribe, unsubscribe, ping or post");
}

}  // namespace ballast::api
