#include "cgroup/blkio.h"

#include <sstream>

#include "common/error.h"
#include "common/file_util.h"

namespace capsa::cgroup {

namespace {

constexpr const char* kProbed[] = {
    "blkio.weight",      "blkio.weight_device",      "blkio.bfq.weight", "blkio.bfq.weight_device",
    "blkio.leaf_weight", "blkio.leaf_weight_device", "blkio.throttle.read_bps_device",
    "io.weight",         "io.bfq.weight",            "io.max",
};

std::string index_field(const std::string& list, size_t i) { return list + "[" + std::to_string(i) + "]"; }

struct ThrottleList {
  const std::vector<spec::ThrottleDevice>* list;
  const char* key;     // the blockIO field
  const char* v1_file;
  const char* v2_key;  // io.max key
};

std::vector<ThrottleList> throttle_lists(const spec::BlockIoResources& b) {
  return {
      {&b.throttle_read_bps, "throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
      {&b.throttle_write_bps, "throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
      {&b.throttle_read_iops, "throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
      {&b.throttle_write_iops, "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"},
  };
}

bool has_throttles(const spec::BlockIoResources& b) {
  for (const auto& t : throttle_lists(b))
    if (!t.list->empty()) return true;
  return false;
}

}  // namespace

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

BlkioFiles probe_blkio_files(const std::string& dir, bool v2) {
  BlkioFiles f;
  f.v2 = v2;
  for (const char* name : kProbed)
    if (path_exists(dir + "/" + name)) f.present.insert(name);
  if (!v2) {
    f.bfq_per_device = f.present.count("blkio.bfq.weight_device") > 0;
  } else if (f.present.count("io.bfq.weight")) {
    std::string text = read_file(dir + "/io.bfq.weight");
    f.bfq_per_device = text.rfind("default ", 0) == 0;
  }
  return f;
}

std::vector<ControlWrite> block_io_writes(const spec::BlockIoResources& b, const BlkioFiles& files,
                                          const std::string& field) {
  std::vector<ControlWrite> out;
  auto has = [&](const char* name) { return files.present.count(name) > 0; };
  if (files.v2) {
    if (b.leaf_weight) throw Error(field + ".leafWeight: not supported by cgroup v2 (it has no leaf weights)");
    if (b.weight) {
      // BFQ takes the blkio range as is; io.weight (1..10000) is converted.
      if (has("io.bfq.weight"))
        out.push_back({"io.bfq.weight", std::to_string(*b.weight), field + ".weight"});
      else if (has("io.weight"))
        out.push_back({"io.weight", std::to_string(blkio_weight_to_io_weight(*b.weight)), field + ".weight"});
      else
        throw Error(field + ".weight: this cgroup has neither io.bfq.weight nor io.weight (no BFQ scheduler and no "
                            "io cost controller in this kernel)");
    }
    for (size_t i = 0; i < b.weight_device.size(); ++i) {
      const auto& wd = b.weight_device[i];
      std::string f = index_field(field + ".weightDevice", i);
      if (wd.leaf_weight) throw Error(f + ".leafWeight: not supported by cgroup v2 (it has no leaf weights)");
      if (!files.bfq_per_device)
        throw Error(f + ": per-device weights need io.bfq.weight with per-device entries (BFQ, Linux 5.4 or later), "
                        "which this host lacks");
      out.push_back({"io.bfq.weight", wd.device.to_string() + " " + std::to_string(*wd.weight), f + ".weight"});
    }
    if (has_throttles(b) && !has("io.max"))
      throw Error(field + ": this cgroup has no io.max (the kernel lacks block I/O throttling)");
    for (const auto& t : throttle_lists(b))
      for (size_t i = 0; i < t.list->size(); ++i) {
        const auto& td = (*t.list)[i];
        // v1 takes 0 as "no limit"; io.max says so with "max".
        std::string rate = td.rate == 0 ? "max" : std::to_string(td.rate);
        out.push_back({"io.max", td.device.to_string() + " " + t.v2_key + "=" + rate,
                       index_field(field + "." + t.key, i)});
      }
    return out;
  }

  // v1: runc's detectWeightFilenames, blkio.weight while the kernel has it.
  const char* weight_file = has("blkio.weight") ? "blkio.weight" : has("blkio.bfq.weight") ? "blkio.bfq.weight" : nullptr;
  const char* weight_device_file = has("blkio.weight") ? "blkio.weight_device" : "blkio.bfq.weight_device";
  auto need_weight = [&](const std::string& f) {
    if (!weight_file)
      throw Error(f + ": this cgroup has neither blkio.weight nor blkio.bfq.weight (no CFQ or BFQ scheduler in this "
                      "kernel)");
  };
  auto need_leaf = [&](const std::string& f, const char* file) {
    if (!has(file)) throw Error(f + ": this kernel has no " + file + " (leaf weights went with CFQ in Linux 5.0)");
  };
  if (b.weight) {
    need_weight(field + ".weight");
    out.push_back({weight_file, std::to_string(*b.weight), field + ".weight"});
  }
  if (b.leaf_weight) {
    need_leaf(field + ".leafWeight", "blkio.leaf_weight");
    out.push_back({"blkio.leaf_weight", std::to_string(*b.leaf_weight), field + ".leafWeight"});
  }
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const auto& wd = b.weight_device[i];
    std::string f = index_field(field + ".weightDevice", i);
    if (wd.weight) {
      need_weight(f + ".weight");
      out.push_back({weight_device_file, wd.device.to_string() + " " + std::to_string(*wd.weight), f + ".weight"});
    }
    if (wd.leaf_weight) {
      need_leaf(f + ".leafWeight", "blkio.leaf_weight_device");
      out.push_back({"blkio.leaf_weight_device", wd.device.to_string() + " " + std::to_string(*wd.leaf_weight),
                     f + ".leafWeight"});
    }
  }
  if (has_throttles(b) && !has("blkio.throttle.read_bps_device"))
    throw Error(field + ": this cgroup has no blkio.throttle.* files (the kernel lacks block I/O throttling)");
  for (const auto& t : throttle_lists(b))
    for (size_t i = 0; i < t.list->size(); ++i) {
      const auto& td = (*t.list)[i];
      out.push_back({t.v1_file, td.device.to_string() + " " + std::to_string(td.rate), index_field(field + "." + t.key, i)});
    }
  return out;
}

void check_block_devices(const spec::BlockIoResources& b, const std::string& field, const std::string& sys_root) {
  auto check = [&](const spec::BlockDeviceId& d, const std::string& f) {
    std::string dir = sys_root + "/dev/block/" + d.to_string();
    if (!path_exists(dir))
      throw Error(f + ": no block device " + d.to_string() + " on this host (" + dir + " does not exist)", ENODEV);
    if (path_exists(dir + "/partition"))
      throw Error(f + ": block device " + d.to_string() + " is a partition; I/O limits apply to whole disks", ENODEV);
  };
  for (size_t i = 0; i < b.weight_device.size(); ++i)
    check(b.weight_device[i].device, index_field(field + ".weightDevice", i));
  for (const auto& t : throttle_lists(b))
    for (size_t i = 0; i < t.list->size(); ++i) check((*t.list)[i].device, index_field(field + "." + t.key, i));
}

namespace {

nlohmann::json entry(const std::string& device, const std::string& op, uint64_t value) {
  auto colon = device.find(':');
  // runc's BlkioEntry leaves zero fields out (omitempty).
  nlohmann::json e = nlohmann::json::object();
  uint64_t major = std::stoull(device.substr(0, colon));
  uint64_t minor = std::stoull(device.substr(colon + 1));
  if (major) e["major"] = major;
  if (minor) e["minor"] = minor;
  if (!op.empty()) e["op"] = op;
  if (value) e["value"] = value;
  return e;
}

bool is_device(const std::string& s) {
  auto colon = s.find(':');
  return colon != std::string::npos && colon > 0 && colon + 1 < s.size() &&
         s.find_first_not_of("0123456789:") == std::string::npos;
}

uint64_t number(const std::string& text, const std::string& path) {
  try {
    size_t used;
    uint64_t v = std::stoull(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error(path + ": expected a number, read \"" + text.substr(0, 40) + "\"");
}

// v1 "MAJ:MIN Op value" lines, with a closing "Total value" line.
nlohmann::json v1_entries(const std::string& text, const std::string& path) {
  nlohmann::json out = nlohmann::json::array();
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    std::string dev, op, value;
    l >> dev >> op >> value;
    if (dev.empty() || (dev == "Total" && value.empty())) continue;
    if (!is_device(dev) || value.empty()) throw Error(path + ": unexpected line \"" + line + "\"");
    out.push_back(entry(dev, op, number(value, path)));
  }
  return out;
}

}  // namespace

nlohmann::json blkio_stats(const std::string& dir, bool v2, const ReadControlFile& read) {
  nlohmann::json out = nlohmann::json::object();
  if (v2) {
    // io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=..",
    // mapped onto v1's tables as runc does.
    std::string path = dir + "/io.stat";
    auto text = read(path);
    if (!text) return out;
    nlohmann::json bytes = nlohmann::json::array(), ios = nlohmann::json::array();
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) {
      std::istringstream l(line);
      std::string dev;
      l >> dev;
      if (!is_device(dev)) continue;
      for (std::string kv; l >> kv;) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) continue;
        std::string key = kv.substr(0, eq);
        uint64_t value = number(kv.substr(eq + 1), path);
        if (key == "rbytes") bytes.push_back(entry(dev, "Read", value));
        else if (key == "wbytes") bytes.push_back(entry(dev, "Write", value));
        else if (key == "rios") ios.push_back(entry(dev, "Read", value));
        else if (key == "wios") ios.push_back(entry(dev, "Write", value));
      }
    }
    if (!bytes.empty()) out["ioServiceBytesRecursive"] = bytes;
    if (!ios.empty()) out["ioServicedRecursive"] = ios;
    return out;
  }
  // The throttle files count every bio, whatever the device's scheduler;
  // BFQ's and CFQ's only the I/O they scheduled. So throttle first (runc
  // prefers BFQ's, which reads as no I/O on this host's mq-deadline disks).
  static const std::pair<const char*, const char*> kSources[] = {
      {"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive"},
      {"blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced"},
      {"blkio.bfq.io_service_bytes_recursive", "blkio.bfq.io_serviced_recursive"},
      {"blkio.io_service_bytes_recursive", "blkio.io_serviced_recursive"},
  };
  for (const auto& [bytes_file, ios_file] : kSources) {
    auto bytes = read(dir + "/" + bytes_file);
    if (!bytes) continue;
    auto ios = read(dir + "/" + ios_file);
    auto b = v1_entries(*bytes, dir + "/" + bytes_file);
    if (!b.empty()) out["ioServiceBytesRecursive"] = b;
    if (ios) {
      auto s = v1_entries(*ios, dir + "/" + ios_file);
      if (!s.empty()) out["ioServicedRecursive"] = s;
    }
    break;
  }
  return out;
}

}  // namespace capsa::cgroup
