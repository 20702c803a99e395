// The config.json that `capsa spec` writes, shaped like `runc spec`'s.
#pragma once

#include <string>

namespace capsa::spec {

// rootless: user namespace with a uid/gid mapping for the calling user, no
// network namespace, as `runc spec --rootless` does.
std::string default_spec_json(bool rootless = false);

}  // namespace capsa::spec
