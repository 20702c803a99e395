// RAII owner of one container's instance of bpf/oci_devices.bpf.c, the
// cgroup v2 stand-in for v1's devices controller: loads it with the
// container's reduced device rules (map filled, then frozen) and attaches it
// to the container's cgroup. The attachment belongs to the cgroup: it
// outlives this object (and capsa) and goes when the cgroup is removed.
#pragma once

#include <cstdint>
#include <string>

#include "cgroup/device_rules.h"

struct oci_devices_bpf;

namespace capsa::bpf {

class DeviceFilter {
public:
  static DeviceFilter load(const cgroup::DevicePolicy& policy);

  DeviceFilter(DeviceFilter&& o) noexcept;
  DeviceFilter& operator=(DeviceFilter&&) = delete;
  DeviceFilter(const DeviceFilter&) = delete;
  ~DeviceFilter();

  // BPF_CGROUP_DEVICE with BPF_F_ALLOW_MULTI: programs on the ancestors
  // (capsad's policy) keep running, and every one must allow.
  void attach(const std::string& cgroup_dir) const;
  uint32_t prog_id() const;

private:
  DeviceFilter() = default;
  oci_devices_bpf* skel_ = nullptr;
};

}  // namespace capsa::bpf
