#include "api/router.hpp"

#include <prometheus/text_serializer.h>

#include <charconv>

#include "api/command_decoder.hpp"
#include "api/json_writer.hpp"
#include "api/openapi.hpp"
#include "api/trader_request.hpp"
#include "core/decimal.hpp"
#include "core/limits.hpp"

namespace ballast::api {

using sequencer::ReadKind;
using sequencer::ReadRequest;
using sequencer::WriteRequest;

// clang-format off: one route a line
const std::array<RouteInfo, 25> kRoutes = {{
    {"post", "/v1/orders"},
    {"delete", "/v1/orders/{id}"},
    {"delete", "/v1/orders"},
    {"get", "/v1/orders"},
    {"get", "/v1/positions"},
    {"get", "/v1/account"},
    {"post", "/v1/margin/withdraw"},
    {"post", "/v1/vault/deposit"},
    {"post", "/v1/vault/unlock"},
    {"get", "/v1/vault"},
    {"get", "/v1/markets"},
    {"get", "/v1/markets/{pair}"},
    {"post", "/v1/admin/markets"},
    {"post", "/v1/admin/deposits"},
    {"get", "/v1/admin/withdrawals"},
    {"get", "/v1/admin/status"},
    {"post", "/v1/oracle/prices"},
    {"get", "/v1/info"},
    {"get", "/v1/openapi.json"},
    {"get", "/v1/health"},
    {"get", "/v1/health/live"},
    {"get", "/metrics"},
    {"get", "/v1/asyncapi.json"},
    {"get", "/v1/ws"},
    {"get", "/v1/markets/{pair}/book"},
}};
// clang-format on

namespace {

constexpr std::size_t kMaxIdempotencyKey = 64;
constexpr std::uint32_t kMaxPageSize = 1'000;

HttpReply from_response(sequencer::Response&& response) { return {response.status, std::move(response.body)}; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The value of `name` in a query string, percent-decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) != name) continue;
        const std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        std::string value;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 && hex_value(raw[i + 2]) >= 0) {
                value.push_back(static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2])));
                i += 2;
            } else {
                value.push_back(raw[i] == '+' ? ' ' : raw[i]);
            }
        }
        return value;
    }
    return std::nullopt;
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
    if (text.empty()) return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

bool valid_idempotency_key(std::string_view key) {
    if (key.empty() || key.size() > kMaxIdempotencyKey) return false;
    for (char c : key) {
        if (c <= ' ' || c > '~') return false;
    }
    return true;
}

// GET /v1/info as far as the gateway knows it: the EIP-712 domain and message
// types, the settlement asset, and the limits the gateway and the engine's
// number range apply, ending inside "limits" with a comma; the exchange's own
// limits follow (Router::info).
std::string info_prefix(const GatewayConfig& config) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    // Spelt as EIP-712 and wallet libraries take it, so it can be passed as is.
    w.key("domain").begin_object();
    w.key("name").string(config.domain.name);
    w.key("version").string(config.domain.version);
    w.key("chainId").integer(static_cast<std::int64_t>(config.domain.chain_id));
    w.key("verifyingContract").plain_string(address_to_hex(config.domain.verifying_contract));
    w.end_object();
    w.key("types").begin_object();
    for (const MessageType* type : trader_message_types()) {
        w.key(type->name()).begin_array();
        for (const MessageType::Field& field : type->fields()) {
            w.begin_object();
            w.key("name").plain_string(field.name);
            w.key("type").plain_string(field_kind_name(field.kind));
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
    w.key("settlement").begin_object();
    w.key("asset");
    if (config.settlement_asset.empty())
        w.null();
    else
        w.string(config.settlement_asset);
    w.key("decimals");
    if (config.settlement_decimals)
        w.integer(*config.settlement_decimals);
    else
        w.null();
    w.key("base_unit")
        .string(config.settlement_decimals
                    ? "10^-" + std::to_string(*config.settlement_decimals) + " of one " +
                          (config.settlement_asset.empty() ? std::string("unit of the settlement asset")
                                                           : config.settlement_asset)
                    : std::string("not configured: amounts are whole base units of the settlement asset as this "
                                  "deployment defines them"));
    w.end_object();
    w.key("limits").begin_object();
    w.key("max_money").amount(core::Amount(core::limits::kMaxMoney));
    w.key("max_size").decimal(core::limits::max_size());
    w.key("max_price").decimal(core::limits::max_price());
    w.key("max_body_bytes").integer(static_cast<std::int64_t>(kMaxHttpBodyBytes));
    w.key("max_signed_body_bytes").integer(static_cast<std::int64_t>(TraderRequestDecoder::kMaxBodyBytes));
    w.key("max_idempotency_key_length").integer(static_cast<std::int64_t>(kMaxIdempotencyKey));
    w.key("max_page_size").integer(kMaxPageSize);
    w.key("rate_limits").begin_object();
    auto rate = [&w](std::string_view name, const RateLimiter::Limit& limit) {
        w.key(name).begin_object();
        w.key("per_second").integer(static_cast<std::int64_t>(limit.per_second));
        w.key("burst").integer(static_cast<std::int64_t>(limit.burst));
        w.end_object();
    };
    rate("per_client", config.per_client);
    rate("per_key", config.per_key);
    w.end_object();
    out.push_back(',');
    return out;
}

}  // namespace

HttpReply error_reply(unsigned status, std::string_view code, std::string_view message) {
    return {status, sequencer::error_body(code, message)};
}

Router::Router(GatewayConfig config, sequencer::Sequencer& sequencer, prometheus::Registry& registry)
    : config_(std::move(config)),
      sequencer_(sequencer),
      registry_(registry),
      domain_separator_(domain_separator(config_.domain)),
      info_prefix_(std::make_shared<const std::string>(info_prefix(config_))),
      per_client_(config_.per_client),
      per_key_(config_.per_key),
      responses_(prometheus::BuildCounter()
                     .Name("ballast_http_responses_total")
                     .Help("HTTP responses by status code")
                     .Register(registry)) {
    for (unsigned status : {200, 400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503})
        by_status_[status] = &responses_.Add({{"code", std::to_string(status)}});
}

bool Router::has_token(const HttpRequestView& request, const std::string& token) const {
    return bearer_token_is(request.authorization, token);
}

bool bearer_token_is(std::string_view authorization, std::string_view token) {
    constexpr std::string_view kBearer = "Bearer ";
    if (token.empty() || !authorization.starts_with(kBearer)) return false;
    const std::string_view given = authorization.substr(kBearer.size());
    // Compare in time independent of where the first difference is.
    if (given.size() != token.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i]);
    return diff == 0;
}

void Router::handle(const HttpRequestView& request, ReplyFn reply) {
    // Count every response by status on its way out.
    ReplyFn counted = [this, reply = std::move(reply)](HttpReply&& r) {
        prometheus::Counter* counter = r.status < by_status_.size() ? by_status_[r.status] : nullptr;
        if (counter == nullptr) counter = &responses_.Add({{"code", std::to_string(r.status)}});
        counter->Increment();
        reply(std::move(r));
    };
    if (!per_client_.allow(request.client)) {
        counted(error_reply(429, "rate_limited", "too many requests from this address"));
        return;
    }
    const std::size_t question = request.target.find('?');
    const std::string_view path = request.target.substr(0, question);
    const std::string_view query =
        question == std::string_view::npos ? std::string_view() : request.target.substr(question + 1);
    const std::string_view method = request.method;
    const bool get = method == "GET", post = method == "POST", del = method == "DELETE";

    auto require_token = [&](const std::string& token, std::string_view role) {
        if (request.authorization.empty()) {
            counted(error_reply(401, "unauthorized", "this route needs a bearer token"));
            return false;
        }
        if (!has_token(request, token)) {
            counted(error_reply(403, "forbidden", "this token may not use the " + std::string(role) + " routes"));
            return false;
        }
        if (!per_key_.allow(role)) {
            counted(error_reply(429, "rate_limited", "too many requests for this token"));
            return false;
        }
        return true;
    };
    auto page = [&](ReadRequest& read) {
        std::uint64_t value = 0;
        if (auto after = query_param(query, "after")) {
            if (!parse_u64(*after, value)) return false;
            read.after = value;
        }
        if (auto limit = query_param(query, "limit")) {
            if (!parse_u64(*limit, value) || value == 0 || value > kMaxPageSize) return false;
            read.limit = static_cast<std::uint32_t>(value);
        }
        return true;
    };
    auto trader_read = [&](ReadKind kind) {
        ReadRequest read = ReadRequest::of(kind);
        const auto trader = query_param(query, "trader");
        const auto address = trader ? parse_address(*trader) : std::nullopt;
        if (!address) {
            counted(error_reply(400, "invalid_input", "query parameter 'trader' must be an address"));
            return;
        }
        read.subject = core::Name::from(address_to_hex(*address));
        if (!page(read)) {
            counted(error_reply(400, "invalid_input", "'after' and 'limit' (1 to 1000) must be whole numbers"));
            return;
        }
        this->read(read, counted);
    };

    if (path == "/metrics" && get) {
        prometheus::TextSerializer serializer;
        counted({200, serializer.Serialize(registry_.Collect()), "text/plain; version=0.0.4"});
    } else if (path == "/v1/health" && get) {
        // Ready: takes commands. Not ready (503, with the reason) while the
        // journal cannot be written or the exchange is starting or stopping;
        // reads may still be served. /v1/health/live only says the process answers.
        const sequencer::Health health = sequencer_.health();
        HttpReply reply{health.ready ? 200u : 503u, {}};
        JsonWriter w(reply.body);
        w.begin_object();
        w.key("live").boolean(true);
        w.key("ready").boolean(health.ready);
        if (!health.ready) w.key("reason").string(health.reason);
        w.end_object();
        counted(std::move(reply));
    } else if (path == "/v1/health/live" && get) {
        counted({200, R"({"live":true})"});
    } else if (path == "/v1/info" && get) {
        info(counted);
    } else if (path == "/v1/openapi.json" && get) {
        counted({200, std::string(openapi_document())});
    } else if (path == "/v1/asyncapi.json" && get) {
        counted({200, std::string(asyncapi_document())});
    } else if (path == "/v1/ws" && get) {
        // An upgrade request never reaches the router (the HTTP server hands it over).
        counted(error_reply(426, "upgrade_required", "GET /v1/ws is a WebSocket: send an Upgrade request"));
    } else if (path == "/v1/orders" && post) {
        trader_write(request, TraderAction::Order, {}, query, counted);
    } else if (path == "/v1/orders" && del) {
        trader_write(request, TraderAction::CancelAll, {}, query, counted);
    } else if (path.starts_with("/v1/orders/") && del) {
        trader_write(request, TraderAction::Cancel, path.substr(11), query, counted);
    } else if (path == "/v1/orders" && get) {
        trader_read(ReadKind::Orders);
    } else if (path == "/v1/positions" && get) {
        trader_read(ReadKind::Positions);
    } else if (path == "/v1/account" && get) {
        trader_read(ReadKind::Account);
    } else if (path == "/v1/margin/withdraw" && post) {
        trader_write(request, TraderAction::Withdraw, {}, query, counted);
    } else if (path == "/v1/vault/deposit" && post) {
        trader_write(request, TraderAction::VaultDeposit, {}, query, counted);
    } else if (path == "/v1/vault/unlock" && post) {
        trader_write(request, TraderAction::VaultUnlock, {}, query, counted);
    } else if (path == "/v1/vault" && get) {
        read(ReadRequest::of(ReadKind::Vault), counted);
    } else if (path == "/v1/markets" && get) {
        read(ReadRequest::of(ReadKind::Markets), counted);
    } else if (path.size() > 17 && path.starts_with("/v1/markets/") && path.ends_with("/book") && get) {
        const std::string_view pair = path.substr(12, path.size() - 12 - 5);
        if (!core::Name::is_valid(pair)) {
            counted(error_reply(404, "unknown_pair", "no such market"));
            return;
        }
        ReadRequest read = ReadRequest::of(ReadKind::Book);
        read.subject = core::Name::from(pair);
        this->read(read, counted);
    } else if (path.starts_with("/v1/markets/") && get) {
        const std::string_view pair = path.substr(12);
        if (!core::Name::is_valid(pair)) {
            counted(error_reply(404, "unknown_pair", "no such market"));
            return;
        }
        ReadRequest read = ReadRequest::of(ReadKind::Market);
        read.subject = core::Name::from(pair);
        if (auto size = query_param(query, "size")) {
            core::Dec parsed;
            if (core::parse_dec(*size, parsed) != core::ParseError::None) {
                counted(error_reply(400, "invalid_input", "query parameter 'size' must be a decimal"));
                return;
            }
            read.size = parsed;
        }
        this->read(read, counted);
    } else if (path == "/v1/admin/markets" && post) {
        if (!require_token(config_.admin_token, "admin")) return;
        thread_local CommandDecoder decoder;
        core::Command command;
        std::string error;
        if (!decoder.decode(request.body, command, error)) {
            counted(error_reply(400, "invalid_input", error));
            return;
        }
        const bool allowed = std::holds_alternative<core::SetPair>(command.body) ||
                             std::holds_alternative<core::SetPairStatus>(command.body) ||
                             std::holds_alternative<core::SetParams>(command.body) ||
                             std::holds_alternative<core::FundVault>(command.body);
        if (!allowed || command.time) {
            counted(error_reply(
                400, "invalid_input",
                "the body must be a set_pair, set_pair_status, set_params or fund_vault command without 'time'"));
            return;
        }
        submit(WriteRequest{command.body, std::nullopt, {}, false}, counted);
    } else if (path == "/v1/admin/deposits" && post) {
        if (!require_token(config_.bridge_token, "bridge")) return;
        thread_local TraderRequestDecoder decoder;
        BridgeDeposit deposit;
        std::string error;
        if (!decoder.decode_bridge_deposit(request.body, deposit, error)) {
            counted(error_reply(400, "invalid_input", error));
            return;
        }
        // The transaction id makes the credit idempotent forever: the bridge
        // may resend a deposit any number of times.
        submit(WriteRequest{deposit.command, std::nullopt, "bridge:tx:" + deposit.tx_id, true}, counted);
    } else if (path == "/v1/admin/withdrawals" && get) {
        if (!require_token(config_.bridge_token, "bridge")) return;
        ReadRequest read = ReadRequest::of(ReadKind::Withdrawals);
        if (!page(read)) {
            counted(error_reply(400, "invalid_input", "'after' and 'limit' (1 to 1000) must be whole numbers"));
            return;
        }
        this->read(read, counted);
    } else if (path == "/v1/admin/status" && get) {
        if (!require_token(config_.admin_token, "admin")) return;
        read(ReadRequest::of(ReadKind::Status), counted);
    } else if (path == "/v1/oracle/prices" && post) {
        if (!require_token(config_.oracle_token, "oracle")) return;
        thread_local CommandDecoder decoder;
        core::CommandBody body;
        std::string error;
        if (!decoder.decode_as("oracle", request.body, body, error)) {
            counted(error_reply(400, "invalid_input", error));
            return;
        }
        submit(WriteRequest{std::move(body), std::nullopt, {}, false}, counted);
    } else {
        const bool known_path = std::any_of(kRoutes.begin(), kRoutes.end(), [&](const RouteInfo& r) {
            return r.path == path ||
                   (r.path.ends_with("}") && path.starts_with(r.path.substr(0, r.path.rfind('/') + 1)));
        });
        if (known_path)
            counted(error_reply(405, "method_not_allowed", "this route does not take " + std::string(method)));
        else
            counted(error_reply(404, "not_found", "no route " + std::string(path)));
    }
}

void Router::trader_write(const HttpRequestView& request, TraderAction action, std::string_view path_rest,
                          std::string_view query, ReplyFn& reply) {
    std::optional<core::OrderId> order_id;
    if (action == TraderAction::Cancel) {
        std::uint64_t id = 0;
        if (!parse_u64(path_rest, id)) {
            reply(error_reply(400, "invalid_input", "the order id in the path must be a whole number"));
            return;
        }
        order_id = id;
    }
    const std::optional<std::string> pair = query_param(query, "pair");
    thread_local TraderRequestDecoder decoder;
    TraderRequest decoded;
    std::string error;
    if (!decoder.decode(action, request.body, order_id, pair, decoded, error)) {
        reply(error_reply(400, "invalid_input", error));
        return;
    }
    if (config_.verify_signatures) {
        const Hash32 digest = typed_data_digest(domain_separator_, signed_message(decoded).struct_hash());
        const std::optional<Address> signer = verifier_.recover(digest, decoded.signature);
        if (!signer) {
            reply(error_reply(401, "bad_signature", "the signature is malformed or matches no key"));
            return;
        }
        if (*signer != decoded.trader) {
            reply(error_reply(401, "wrong_signer",
                              "the request is signed by " + address_to_hex(*signer) + ", not by the trader"));
            return;
        }
    }
    if (!per_key_.allow(decoded.signed_by.signer.view())) {
        reply(error_reply(429, "rate_limited", "too many requests for this trader"));
        return;
    }
    WriteRequest write;
    write.signed_by = decoded.signed_by;
    if (!request.idempotency_key.empty()) {
        if (action != TraderAction::Order && action != TraderAction::Cancel) {
            reply(error_reply(400, "invalid_input", "Idempotency-Key is taken on orders and cancels only"));
            return;
        }
        if (!valid_idempotency_key(request.idempotency_key)) {
            reply(error_reply(400, "invalid_input", "Idempotency-Key must be 1 to 64 printable characters"));
            return;
        }
        write.idempotency_key =
            std::string(decoded.signed_by.signer.view()) + ":" + std::string(request.idempotency_key);
    }
    if (action == TraderAction::CancelAll) {
        const auto& cancel = std::get<core::CancelOrder>(decoded.command);
        write.body = sequencer::CancelAllOrders{cancel.user, cancel.pair};
    } else {
        write.body = std::move(decoded.command);
    }
    submit(std::move(write), reply);
}

void Router::info(ReplyFn& reply) {
    // The exchange's limits ({"max_request_lifetime_ms":...,...}) are read
    // in sequence with the commands (an admin may change max_open_orders):
    // their members complete "limits" after the gateway's.
    // The reply may come from the journal writer's thread: it holds what it needs.
    ReplyFn spliced = [prefix = info_prefix_, reply](HttpReply&& r) {
        if (r.status == 200 && r.body.size() > 2 && r.body.front() == '{' && r.body.back() == '}')
            r.body = *prefix + r.body.substr(1) + "}";
        reply(std::move(r));
    };
    read(ReadRequest::of(ReadKind::Info), spliced);
}

void Router::read(ReadRequest read, ReplyFn& reply) {
    auto request = std::make_unique<sequencer::Request>();
    request->what = std::move(read);
    submit(std::move(request), reply);
}

void Router::submit(WriteRequest write, ReplyFn& reply) {
    auto request = std::make_unique<sequencer::Request>();
    request->what = std::move(write);
    submit(std::move(request), reply);
}

void Router::submit(std::unique_ptr<sequencer::Request> request, ReplyFn& reply) {
    request->reply = [reply](sequencer::Response&& response) { reply(from_response(std::move(response))); };
    if (!sequencer_.submit(request))
        reply(error_reply(503, "overloaded", "the exchange is at capacity; retry shortly"));
}

}  // namespace ballast::api
