// The documents of the API, embedded at build time: OpenAPI 3 for REST at
// /v1/openapi.json (src/api/openapi.json), AsyncAPI for the WebSocket
// channels at /v1/asyncapi.json (src/api/asyncapi.json).
#pragma once

#include <string_view>

namespace ballast::api {

std::string_view openapi_document();
std::string_view asyncapi_document();

}  // namespace ballast::api
