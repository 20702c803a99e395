#include "cgroup/device_rules.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "common/error.h"
#include "oci_devices.h"

namespace capsa::cgroup {

namespace {

static_assert(kDevMknod == CAPSA_OCI_ACC_MKNOD && kDevRead == CAPSA_OCI_ACC_READ && kDevWrite == CAPSA_OCI_ACC_WRITE);

// runc's AllowedDevices (libcontainer/specconv), in its order.
struct DefaultRule {
  const char* path;  // "" for rules without a node of their own
  char type;
  int64_t major, minor;
  uint8_t access;
};
constexpr DefaultRule kDefaultRules[] = {
    {"", 'c', -1, -1, kDevMknod},         {"", 'b', -1, -1, kDevMknod},
    {"/dev/null", 'c', 1, 3, kDevAll},    {"/dev/random", 'c', 1, 8, kDevAll},
    {"/dev/full", 'c', 1, 7, kDevAll},    {"/dev/tty", 'c', 5, 0, kDevAll},
    {"/dev/zero", 'c', 1, 5, kDevAll},    {"/dev/urandom", 'c', 1, 9, kDevAll},
    {"", 'c', 136, -1, kDevAll},  // /dev/pts/*
    {"", 'c', 5, 2, kDevAll},     // /dev/ptmx
};

std::string number(int64_t n) { return n < 0 ? "*" : std::to_string(n); }

using Key = std::tuple<char, int64_t, int64_t>;

// Replays rules the way the devices controller does, except that a later
// rule also takes back what it covers from narrower earlier rules (the
// controller only edits an exception with exactly the same numbers): the
// result is then written whole, so later rules always win.
class Reducer {
public:
  void apply(char type, int64_t major, int64_t minor, uint8_t access, bool allow, const std::string& origin) {
    if (type == 'a') {
      if (major < 0 && minor < 0 && access == kDevAll) {
        default_allow_ = allow;
        exceptions_.clear();
        return;
      }
      // "All devices" with numbers or fewer rights: both kinds, as written.
      apply('c', major, minor, access, allow, origin);
      apply('b', major, minor, access, allow, origin);
      return;
    }
    DeviceException rule{type, major, minor, access};
    if (allow != default_allow_) {
      auto& e = exceptions_[{type, major, minor}];
      e.access |= access;
      e.origin = origin;
      return;
    }
    for (auto it = exceptions_.begin(); it != exceptions_.end();) {
      auto [t, ma, mi] = it->first;
      auto covers = [](int64_t wide, int64_t n) { return wide < 0 || wide == n; };
      bool overlaps = t == type && (covers(major, ma) || covers(ma, major)) && (covers(minor, mi) || covers(mi, minor));
      if (!overlaps) {
        ++it;
        continue;
      }
      if (covers(major, ma) && covers(minor, mi)) {
        it->second.access &= static_cast<uint8_t>(~access);
      } else if (it->second.access & access) {
        DeviceException wide{t, ma, mi, it->second.access};
        const std::string& earlier = it->second.origin;
        // Name the user's entry first: that is what has to change.
        bool later_is_user = origin.rfind("linux.resources.devices[", 0) == 0;
        std::string field = later_is_user ? origin : earlier;
        throw Error(field + ": " + (allow ? "allowing " : "denying ") + rule.to_string() + " (" + origin + ") after " +
                    (allow ? "denying " : "allowing ") + wide.to_string() + " (" + earlier +
                    ") cannot be enforced: the devices controller cannot take a device out of a wider rule");
      }
      if (it->second.access == 0)
        it = exceptions_.erase(it);
      else
        ++it;
    }
  }

  DevicePolicy result() const {
    DevicePolicy p;
    p.default_allow = default_allow_;
    for (const auto& [key, e] : exceptions_)
      p.exceptions.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), e.access});
    return p;
  }

private:
  struct Entry {
    uint8_t access = 0;
    std::string origin;  // the rule that last added to it, for messages
  };
  bool default_allow_ = false;
  std::map<Key, Entry> exceptions_;
};

}  // namespace

std::string DeviceException::to_string() const {
  return std::string(1, type) + " " + number(major) + ":" + number(minor) + " " + device_access_string(access);
}

size_t max_device_exceptions() { return CAPSA_OCI_DEV_MAX_RULES; }

uint8_t parse_device_access(const std::string& access, const std::string& what) {
  uint8_t bits = 0;
  for (char c : access) {
    switch (c) {
      case 'r': bits |= kDevRead; break;
      case 'w': bits |= kDevWrite; break;
      case 'm': bits |= kDevMknod; break;
      default: throw Error(what + ": expected a combination of r, w and m, got \"" + access + "\"");
    }
  }
  if (bits == 0) throw Error(what + ": must not be empty (a combination of r, w and m)");
  return bits;
}

std::string device_access_string(uint8_t bits) {
  std::string s;
  if (bits & kDevRead) s += 'r';
  if (bits & kDevWrite) s += 'w';
  if (bits & kDevMknod) s += 'm';
  return s;
}

DevicePolicy device_policy(const spec::Spec& spec) {
  Reducer r;  // starts denying everything
  const spec::Linux* linux = spec.linux ? &*spec.linux : nullptr;
  bool user_rules = false;
  if (linux && linux->resources) {
    const auto& rules = linux->resources->devices;
    user_rules = !rules.empty();
    for (size_t i = 0; i < rules.size(); ++i) {
      const auto& d = rules[i];
      std::string field = "linux.resources.devices[" + std::to_string(i) + "]";
      char type = d.type.empty() ? 'a' : d.type[0];
      if (d.type.size() > 1 || (type != 'a' && type != 'c' && type != 'b'))
        throw Error(field + ".type: expected \"a\", \"c\" or \"b\", got \"" + d.type + "\"");
      r.apply(type, d.major.value_or(-1), d.minor.value_or(-1), parse_device_access(d.access, field + ".access"),
              d.allow, field);
    }
  }
  for (const auto& d : kDefaultRules) {
    bool redefined = false;
    if (linux && *d.path)
      for (const auto& dev : linux->devices) redefined = redefined || dev.path == d.path;
    if (redefined) continue;
    std::string origin = *d.path ? std::string("the default device ") + d.path : "a default rule";
    r.apply(d.type, d.major, d.minor, d.access, true, origin);
  }
  if (linux) {
    for (size_t i = 0; i < linux->devices.size(); ++i) {
      const auto& dev = linux->devices[i];
      if (dev.type != 'c' && dev.type != 'b') continue;  // fifos are not devices to the controller
      r.apply(dev.type, dev.major, dev.minor, kDevAll, true,
              "linux.devices[" + std::to_string(i) + "] (" + dev.path + ")");
    }
  }
  DevicePolicy p = r.result();
  p.user_rules = user_rules;
  if (p.exceptions.size() > max_device_exceptions())
    throw Error("linux.resources.devices: " + std::to_string(p.exceptions.size()) +
                " distinct device rules remain after merging with the defaults and linux.devices; at most " +
                std::to_string(max_device_exceptions()) + " are supported");
  return p;
}

}  // namespace capsa::cgroup
