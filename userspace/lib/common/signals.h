// Signal names as runc's kill accepts them: "9", "KILL", "SIGKILL".
#pragma once

#include <string>

namespace capsa {

// Throws capsa::Error("unknown signal \"<s>\"") for anything else.
int parse_signal(const std::string& s);

}  // namespace capsa
