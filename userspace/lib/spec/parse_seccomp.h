// linux.seccomp of config.json: checked field by field against the names
// libseccomp knows, so a typo fails at create with the field's path.
#pragma once

#include "spec/json_reader.h"
#include "spec/spec.h"

namespace capsa::spec {

Seccomp parse_seccomp(const JsonReader& r);

}  // namespace capsa::spec
