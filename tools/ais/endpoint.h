// The cluster endpoint the CLI was given: fabric addresses (host:port) as they are, and AIStore's
// form, an HTTP URL of any node's gateway (http://host:port, as AIS_ENDPOINT holds for AIStore),
// turned into that node's fabric address by asking its /v1/health (open even with S3 keys).
#pragma once

#include <string>

#include "common/status.h"

namespace ais::cli {

// "a,b,..." with each element either host:port or http://host:port[/]; https is refused (no
// TLS on the gateway).
Result<std::string> resolveEndpoint(const std::string& given, double timeoutSec);

}  // namespace ais::cli
