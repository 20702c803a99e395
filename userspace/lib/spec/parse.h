// config.json -> spec::Spec, with errors that name the file, the JSON field
// path (e.g. "linux.namespaces[2].type") and what was expected.
#pragma once

#include <string>
#include <string_view>

#include "spec/spec.h"

namespace capsa::spec {

// Parses and validates a config.json document. `origin` is used in messages
// (normally the file path). Throws capsa::Error on any problem.
Spec parse_spec(std::string_view json_text, const std::string& origin);

// Reads <bundle>/config.json, parses it, and checks the bundle contents
// (root.path exists and is a directory). Throws capsa::Error.
Spec load_bundle_spec(const std::string& bundle_dir);

// A process object alone, as `capsa exec --process FILE` takes it.
Process parse_process_json(std::string_view json_text, const std::string& origin);

// A linux.resources object alone, as `capsa update --resources FILE` takes it.
Resources parse_resources_json(std::string_view json_text, const std::string& origin);

// Absolute path of the rootfs: root.path resolved against the bundle.
std::string rootfs_path(const Spec& s, const std::string& bundle_dir);

}  // namespace capsa::spec
