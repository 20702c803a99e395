// A container's device access (linux.resources.devices), reduced to what
// cgroup v1's devices controller holds: a default verdict and exceptions
// that all point the other way. Both enforcement paths consume this one
// result (v1: devices.deny/devices.allow; v2: the cgroup/dev program), so a
// container sees the same devices on every host.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/spec.h"

namespace capsa::cgroup {

// Access bits, the kernel's BPF_DEVCG_ACC_* values.
enum DeviceAccessBits : uint8_t { kDevMknod = 1, kDevRead = 2, kDevWrite = 4, kDevAll = 7 };

struct DeviceException {
  char type = 'c';     // 'c' or 'b'
  int64_t major = -1;  // -1: any
  int64_t minor = -1;  // -1: any
  uint8_t access = 0;  // DeviceAccessBits
  // In devices.list form: "c 1:3 rwm", "b *:* m".
  std::string to_string() const;
  bool operator==(const DeviceException&) const = default;
};

struct DevicePolicy {
  bool default_allow = false;
  std::vector<DeviceException> exceptions;  // sorted by type, major, minor
  bool user_rules = false;                  // linux.resources.devices had entries
};

// At most this many exceptions (the cgroup/dev program's map size); more is
// refused for every host alike.
size_t max_device_exceptions();

// Deny everything, then linux.resources.devices in order (later rules win),
// then what every container gets, as runc does: mknod of any char or block
// device, /dev/null, zero, full, random, urandom, tty, /dev/pts/* and ptmx
// (a default whose path linux.devices redefines is dropped, as in runc),
// and every char or block device of linux.devices with rwm, so the nodes the
// runtime creates can be used. Throws naming the linux.resources.devices
// entry for what the devices controller cannot express.
DevicePolicy device_policy(const spec::Spec& spec);

// "rwm" -> bits; throws on other letters (what: the field for the message).
uint8_t parse_device_access(const std::string& access, const std::string& what);
std::string device_access_string(uint8_t bits);

}  // namespace capsa::cgroup
