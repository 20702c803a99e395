// The caches capsad keeps across sync passes mark each entry a pass used; a
// sweep after the pass drops the entries of containers that are gone.
#pragma once

namespace capsa::daemon {

// Map values need a `bool used`.
template <typename Map>
void sweep_unused(Map& entries) {
  for (auto it = entries.begin(); it != entries.end();) {
    if (!it->second.used) {
      it = entries.erase(it);
    } else {
      it->second.used = false;
      ++it;
    }
  }
}

}  // namespace capsa::daemon
