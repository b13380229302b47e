// The OpenAPI 3 document served at /v1/openapi.json (src/api/openapi.json,
// embedded at build time).
#pragma once

#include <string_view>

namespace ballast::api {

std::string_view openapi_document();

}  // namespace ballast::api
