// The REST API's routes: authenticate, rate-limit, decode, then hand the
// request to the sequencer (or answer at once). Runs on gateway threads, so
// signature recovery never touches the engine thread. Transport-free: the
// HTTP server passes in the request's parts and a callback for the reply,
// which the sequencer calls once the request's journal batch is durable.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "api/eip712.hpp"
#include "api/rate_limiter.hpp"
#include "api/trader_request.hpp"
#include "sequencer/sequencer.hpp"

namespace ballast::api {

struct GatewayConfig {
    // Off only in the benchmark-only configuration that measures the rest of the path.
    bool verify_signatures = true;
    Eip712Domain domain;
    // Bearer tokens, one per role; an empty token disables its routes.
    std::string admin_token, oracle_token, bridge_token;
    RateLimiter::Limit per_client{1'000, 2'000};  // per IP address
    RateLimiter::Limit per_key{200, 400};         // per trader address or token
    // The settlement asset, as GET /v1/info publishes it ([settlement] in the
    // configuration): its symbol, and how many decimals its smallest unit (a
    // base unit) has. Unset: amounts are base units as the deployment defines them.
    std::string settlement_asset;
    std::optional<unsigned> settlement_decimals;
};

// The largest request body the HTTP server reads (413 too_large beyond it).
inline constexpr std::size_t kMaxHttpBodyBytes = 64 * 1024;

struct HttpRequestView {
    std::string_view method;  // "GET", "POST", "DELETE"
    std::string_view target;  // path and query
    std::string_view authorization;
    std::string_view idempotency_key;
    std::string_view body;
    std::string_view client;  // the peer's IP address
};

struct HttpReply {
    unsigned status = 200;
    std::string body;
    std::string_view content_type = "application/json";
};
using ReplyFn = std::function<void(HttpReply&&)>;

// Every route, as the OpenAPI document names it.
struct RouteInfo {
    std::string_view method;  // lowercase, as in OpenAPI
    std::string_view path;
};
extern const std::array<RouteInfo, 25> kRoutes;

class Router {
public:
    Router(GatewayConfig config, sequencer::Sequencer& sequencer, prometheus::Registry& registry);

    // Calls `reply` exactly once, on this thread or on the journal writer's.
    void handle(const HttpRequestView& request, ReplyFn reply);

private:
    void trader_write(const HttpRequestView& request, TraderAction action, std::string_view path_rest,
                      std::string_view query, ReplyFn& reply);
    void read(sequencer::ReadRequest read, ReplyFn& reply);
    void submit(sequencer::WriteRequest write, ReplyFn& reply);
    void submit(std::unique_ptr<sequencer::Request> request, ReplyFn& reply);
    bool has_token(const HttpRequestView& request, const std::string& token) const;
    void info(ReplyFn& reply);

    GatewayConfig config_;
    sequencer::Sequencer& sequencer_;
    prometheus::Registry& registry_;
    Hash32 domain_separator_;
    // GET /v1/info up to the limits the exchange reports (see info()).
    std::shared_ptr<const std::string> info_prefix_;
    SignatureVerifier verifier_;
    RateLimiter per_client_, per_key_;
    prometheus::Family<prometheus::Counter>& responses_;
    // Counters of the statuses the router answers, looked up without the
    // family's lock on every request; others go through the family.
    std::array<prometheus::Counter*, 600> by_status_{};
};

HttpReply error_reply(unsigned status, std::string_view code, std::string_view message);

// Whether an Authorization header is "Bearer <token>" (never for an empty
// token), compared in time independent of where a difference is.
bool bearer_token_is(std::string_view authorization, std::string_view token);

}  // namespace ballast::api
