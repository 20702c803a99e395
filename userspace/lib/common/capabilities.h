// Linux capability names <-> numbers, shared by the config.json validator and
// the code that applies capability sets in the container.
#pragma once

#include <optional>
#include <string_view>

namespace capsa {

// "CAP_SYS_ADMIN" -> 21; nullopt for names this build does not know.
std::optional<int> capability_from_name(std::string_view name);
// Highest capability number this build knows (CAP_CHECKPOINT_RESTORE).
int last_known_capability();
// 21 -> "CAP_SYS_ADMIN"; "" beyond last_known_capability().
std::string_view capability_name(int cap);

}  // namespace capsa
