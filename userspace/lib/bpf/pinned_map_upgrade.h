// A capsad of another version over the maps an earlier one pinned. libbpf
// reuses a pinned map only if its type, key and value sizes, entry count
// and flags are the ones this object declares, and fails the whole load
// otherwise. Instead, such a map is left out of the reuse, the load makes a
// new one, its entries are carried over where the layout allows, and the
// new map takes the old one's pin in one rename. The old programs go on
// using the old map until the new links replace theirs.
//
// What carries over: same map type and key size, a value of the same size
// or grown at its end (the new bytes zero-filled: the shared headers only
// ever add fields whose zero keeps the old meaning), any entry count or
// flags the entries fit in. Anything else (another type or key, a smaller
// value, maps that cannot be listed such as cgroup storage and ring
// buffers) is replaced by an empty map, with a warning: what capsad owns in
// it is written again by its first sync, counts kept there restart at zero.
#pragma once

#include <bpf/bpf.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

struct bpf_object;
struct bpf_map;

namespace capsa::bpf {

// An earlier capsad's entries do not fit the new map: the start must fail
// (a tier that may fall back must not swallow it).
class MapCarryOverFailed : public Error {
public:
  using Error::Error;
};

class PinnedMapUpgrade {
public:
  // Before load: points every map of obj (internal ones aside) at
  // <maps_dir>/<name>, and takes out of the reuse each one whose pinned map
  // libbpf would refuse. Removes temporary pins a capsad killed mid-upgrade
  // left.
  static PinnedMapUpgrade set_map_pins(bpf_object* obj, const std::string& maps_dir);

  // After a successful load, before any program is attached: carries the
  // entries over into every new map, then pins each in its old one's place.
  // A failure while copying (a new map too small) throws MapCarryOverFailed
  // with every old pin still in place; the new maps go with the object.
  void carry_over_and_pin();

private:
  struct Stale {
    bpf_map* map;
    std::string path;
    UniqueFd old;
    bpf_map_info old_info;
  };
  std::vector<Stale> stale_;
};

}  // namespace capsa::bpf
