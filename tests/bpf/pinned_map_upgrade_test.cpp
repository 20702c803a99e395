// A capsad over maps that a capsad of another version pinned, with other
// layouts (bpf/pinned_map_upgrade): the maps are carried over or replaced,
// the running container stays governed, and a map whose entries do not fit
// fails the start with every old pin left in place.
#include <bpf/bpf.h>
#include <dirent.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bpf/libbpf_util.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "policy.h"
#include "policy_fixture.h"
#include "telemetry.h"

namespace capsa::test {
namespace {

class PinnedMapUpgrade : public PolicyFixture {
protected:
  std::string map_path(const std::string& name) const {
    return pin_root_ + "/" CAPSA_PIN_MAPS_DIR "/" + name;
  }
  bpf_map_info info_of(const std::string& name) const {
    bpf_map_info info{};
    UniqueFd fd(bpf_obj_get(map_path(name).c_str()));
    __u32 len = sizeof info;
    if (!fd || bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) ADD_FAILURE() << name << ": " << errno_text(errno);
    return info;
  }
  // Pins, in name's place, a map as another capsad version would have made
  // it; returns its fd.
  UniqueFd pin_as_other_version(const std::string& name, bpf_map_type type, uint32_t key_size, uint32_t value_size,
                                uint32_t max_entries, uint32_t flags = 0) {
    make_dirs(pin_root_ + "/" CAPSA_PIN_MAPS_DIR, 0700);
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
    UniqueFd fd(bpf_map_create(type, name.c_str(), key_size, value_size, max_entries, &opts));
    EXPECT_TRUE(fd) << name << ": " << errno_text(errno);
    std::string tmp = map_path(name) + "__test";
    EXPECT_EQ(bpf_obj_pin(fd.get(), tmp.c_str()), 0) << errno_text(errno);
    EXPECT_EQ(::rename(tmp.c_str(), map_path(name).c_str()), 0) << errno_text(errno);
    return fd;
  }
  std::vector<std::string> maps_dir_entries() const {
    std::vector<std::string> names;
    if (DIR* d = ::opendir((pin_root_ + "/" CAPSA_PIN_MAPS_DIR).c_str())) {
      while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') names.push_back(e->d_name);
      ::closedir(d);
    }
    return names;
  }
  std::string log() const { return read_file_or_empty(capsad_->log_path()); }
  // capsad's warning about one map, or empty.
  std::string warning_about(const std::string& name) const {
    std::string text = log();
    auto at = text.find(map_path(name) + " was made by another capsad version");
    if (at == std::string::npos) return {};
    return text.substr(at, text.find('\n', at) - at);
  }
};

// The per-CPU counters as an earlier layout: syscalls, execs and the low
// half of forks (20 bytes, each CPU's slot rounded up to 24).
constexpr size_t kOldCountersSize = 20;
constexpr uint64_t kSyscalls = 1000000000, kExecs = 7000;
constexpr uint32_t kForks = 99;
constexpr uint64_t kRefused = 123456;

std::vector<capsa_counters> counters_of(int fd, uint64_t cgroup_id) {
  int cpus = bpf::possible_cpus();
  std::vector<capsa_counters> out(cpus);
  if (bpf_map_lookup_elem(fd, &cgroup_id, out.data()) != 0) out.clear();  // 32 bytes: no padding per CPU
  return out;
}

TEST_F(PinnedMapUpgrade, MapsOfAnotherLayoutAreCarriedOverOrReplacedAndTheContainerStaysGoverned) {
  write_policy("net.yaml", policy_yaml("net", deny_port(9921)));
  start_capsad();
  Bundle b({"/bin/sh", "-c",
            "while true; do nc -l -p 9921 >/dev/null; done & while true; do nc -l -p 9922 >/dev/null; done & "
            "sleep 600"});
  std::string id = start_container(b, "upgrade");
  ASSERT_TRUE(eventually([&] { return connect_in(id, 9922).exit_code == 0; }, 5000)) << "the listener never answered";
  ASSERT_NE(connect_in(id, 9921).exit_code, 0);
  capsad_->kill_hard();
  auto state = nlohmann::json::parse(read_file_or_empty(root_.path() + "/" + id + "/state.json"), nullptr, false);
  const uint64_t cgid = state.is_object() ? state.value("cgroup_id", uint64_t{0}) : 0;
  ASSERT_NE(cgid, 0u) << "no cgroup id in the container's state";

  // pol_bindings as it was before the copies' home: {policy_id, flags}.
  UniqueFd bindings(bpf_obj_get(map_path("pol_bindings").c_str()));
  auto old_bindings = pin_as_other_version("pol_bindings", BPF_MAP_TYPE_HASH, 8, 8,
                                           CAPSA_POLICY_MAX_BINDINGS + CAPSA_POLICY_MAX_COPIES);
  size_t bound = 0;
  bpf::for_each_entry_as<uint64_t, capsa_binding>(
      bindings.get(),
      [&](uint64_t key, const capsa_binding& v) {
        ASSERT_EQ(bpf_map_update_elem(old_bindings.get(), &key, &v, BPF_NOEXIST), 0);  // its first 8 bytes
        ++bound;
      },
      "pol_bindings");
  ASSERT_GE(bound, 1u);
  // pol_net (an LPM trie, listed through the kernel's generic batch
  // lookup) with one entry less room: same entries, another layout.
  UniqueFd net(bpf_obj_get(map_path("pol_net").c_str()));
  auto old_net = pin_as_other_version("pol_net", BPF_MAP_TYPE_LPM_TRIE, sizeof(capsa_net_key),
                                      sizeof(capsa_net_value), CAPSA_POLICY_MAX_RULES - 1, BPF_F_NO_PREALLOC);
  size_t rules = 0;
  bpf::for_each_entry_as<capsa_net_key, capsa_net_value>(
      net.get(),
      [&](const capsa_net_key& k, const capsa_net_value& v) {
        ASSERT_EQ(bpf_map_update_elem(old_net.get(), &k, &v, BPF_NOEXIST), 0) << errno_text(errno);
        ++rules;
      },
      "pol_net");
  ASSERT_GE(rules, 1u);
  // counters per CPU, 20 bytes in slots of 24, re-laid at 32.
  const int cpus = bpf::possible_cpus();
  auto old_counters = pin_as_other_version("counters", BPF_MAP_TYPE_PERCPU_HASH, 8, kOldCountersSize,
                                           CAPSA_MAX_CONTAINERS);
  {
    const size_t slot = 24;
    std::vector<char> buf(slot * cpus);
    for (int i = 0; i < cpus; ++i) {
      uint64_t syscalls = kSyscalls + i, execs = kExecs + i;
      std::memcpy(buf.data() + i * slot, &syscalls, 8);
      std::memcpy(buf.data() + i * slot + 8, &execs, 8);
      std::memcpy(buf.data() + i * slot + 16, &kForks, 4);
    }
    ASSERT_EQ(bpf_map_update_elem(old_counters.get(), &cgid, buf.data(), BPF_NOEXIST), 0) << errno_text(errno);
  }
  // An array whose value grew from 32 to 64 bits.
  auto old_refused = pin_as_other_version("copies_refused", BPF_MAP_TYPE_ARRAY, 4, 4, 1);
  {
    uint32_t zero = 0, refused = kRefused;
    ASSERT_EQ(bpf_map_update_elem(old_refused.get(), &zero, &refused, BPF_ANY), 0) << errno_text(errno);
  }
  // copy_counts with another key: nothing to carry, an empty map replaces it.
  pin_as_other_version("copy_counts", BPF_MAP_TYPE_HASH, 4, 8, CAPSA_MAX_CONTAINERS + 1);

  ASSERT_TRUE(capsad_->start()) << capsad_->error();
  EXPECT_NE(connect_in(id, 9921).exit_code, 0) << "the upgraded capsad let a denied connect through";
  auto carried = [](size_t n) { return std::to_string(n) + (n == 1 ? " entry carried over" : " entries carried over"); };
  EXPECT_NE(warning_about("pol_bindings").find("value 8 B"), std::string::npos) << log();
  EXPECT_NE(warning_about("pol_bindings").find(carried(bound)), std::string::npos) << log();
  EXPECT_EQ(info_of("pol_bindings").value_size, sizeof(capsa_binding));
  EXPECT_NE(warning_about("pol_net").find(carried(rules)), std::string::npos) << log();
  EXPECT_EQ(info_of("pol_net").max_entries, uint32_t{CAPSA_POLICY_MAX_RULES});

  EXPECT_NE(warning_about("counters").find(carried(1)), std::string::npos) << log();
  EXPECT_EQ(info_of("counters").value_size, sizeof(capsa_counters));
  UniqueFd new_counters(bpf_obj_get(map_path("counters").c_str()));
  auto after = counters_of(new_counters.get(), cgid);
  ASSERT_EQ(after.size(), size_t(cpus));
  for (int i = 0; i < cpus; ++i) {
    // Each CPU's own, counted on from there (the container may exec meanwhile).
    EXPECT_EQ(after[i].syscalls / 1000, (kSyscalls + i) / 1000) << "cpu " << i;
    EXPECT_GE(after[i].execs, kExecs + i) << "cpu " << i;
    EXPECT_LT(after[i].execs, kExecs + 1000) << "cpu " << i;
    EXPECT_GE(after[i].forks, kForks) << "cpu " << i;
    EXPECT_LT(after[i].forks, kForks + 1000) << "cpu " << i;
    EXPECT_LT(after[i].exits, 1000u) << "cpu " << i;
  }
  UniqueFd new_refused(bpf_obj_get(map_path("copies_refused").c_str()));
  uint32_t zero = 0;
  uint64_t refused = 0;
  ASSERT_EQ(bpf_map_lookup_elem(new_refused.get(), &zero, &refused), 0) << errno_text(errno);
  EXPECT_EQ(refused, kRefused);

  EXPECT_NE(warning_about("copy_counts").find("replaced by an empty one (the key changed)"), std::string::npos)
      << log();
  EXPECT_EQ(info_of("copy_counts").key_size, 8u);
  for (const auto& name : maps_dir_entries()) EXPECT_EQ(name.find("__upgrade"), std::string::npos) << name;

  // The new capsad's programs judge with the new maps: an update reaches
  // the container, and a restart finds every map as it needs it.
  write_policy("net.yaml", policy_yaml("net", ""));
  EXPECT_TRUE(eventually([&] { return connect_in(id, 9921).exit_code == 0; }, 5000)) << status().dump(2);
  capsad_->kill_hard();
  const size_t logged = log().size();  // the log is appended to
  ASSERT_TRUE(capsad_->start()) << capsad_->error();
  EXPECT_EQ(log().find("was made by another capsad version", logged), std::string::npos) << log().substr(logged);
}

TEST_F(PinnedMapUpgrade, EntriesThatDoNotFitFailTheStartAndLeaveEveryOldPin) {
  // pol_bindings carries over (and is pinned aside first); pol_copy_counts
  // holds one entry more than this capsad's, which fails the start.
  auto bindings = pin_as_other_version("pol_bindings", BPF_MAP_TYPE_HASH, 8, 8, 64);
  for (uint64_t k = 1; k <= 3; ++k) {
    uint64_t v = 0;
    ASSERT_EQ(bpf_map_update_elem(bindings.get(), &k, &v, BPF_NOEXIST), 0) << errno_text(errno);
  }
  const uint32_t max = CAPSA_POLICY_MAX_BINDINGS + 1;
  auto counts = pin_as_other_version("pol_copy_counts", BPF_MAP_TYPE_HASH, 8, 8, max + 1);
  for (uint64_t k = 1; k <= max + 1; ++k) {
    int64_t v = 1;
    ASSERT_EQ(bpf_map_update_elem(counts.get(), &k, &v, BPF_NOEXIST), 0) << k << ": " << errno_text(errno);
  }
  uint32_t bindings_id = info_of("pol_bindings").id, counts_id = info_of("pol_copy_counts").id;
  // A temporary pin a capsad killed mid-upgrade left: removed at start.
  ASSERT_EQ(bpf_obj_pin(counts.get(), (map_path("pol_exec") + "__upgrade").c_str()), 0) << errno_text(errno);

  EXPECT_FALSE(capsad_->start());
  EXPECT_NE(capsad_->error().find("carry entry " + std::to_string(max + 1) + " of pinned BPF map " +
                                  map_path("pol_copy_counts")),
            std::string::npos)
      << capsad_->error();
  EXPECT_NE(capsad_->error().find("capsad --unpin"), std::string::npos) << capsad_->error();
  EXPECT_EQ(info_of("pol_bindings").id, bindings_id);
  EXPECT_EQ(info_of("pol_copy_counts").id, counts_id);
  for (const auto& name : maps_dir_entries()) EXPECT_EQ(name.find("__upgrade"), std::string::npos) << name;
}

}  // namespace
}  // namespace capsa::test
