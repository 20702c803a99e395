#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "daemon/event_log.h"
#include "test_env.h"

using namespace capsa;
using namespace capsa::test;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

capsa_event exec_event(uint32_t pid) {
  capsa_event ev{};
  ev.type = CAPSA_EVENT_EXEC;
  ev.pid = pid;
  std::snprintf(ev.comm, sizeof ev.comm, "sh");
  std::snprintf(ev.filename, sizeof ev.filename, "/bin/sh");
  return ev;
}

// Writes exec events for pids 1..100, then closes the log.
void write_100_events(const std::string& path, uint64_t max_bytes, int keep) {
  daemon::EventLog log(path, max_bytes, keep);
  for (uint32_t pid = 1; pid <= 100; ++pid) log.write(exec_event(pid), "c1");
}

}  // namespace

TEST(EventLogRotation, RotatesBySizeKeepsNFilesAndSplitsOnlyBetweenLines) {
  TempDir dir;
  std::string path = dir.path() + "/events.jsonl";
  write_100_events(path, 1000, 2);
  ASSERT_TRUE(path_exists(path + ".1"));
  ASSERT_TRUE(path_exists(path + ".2"));
  EXPECT_FALSE(path_exists(path + ".3")) << "only --events-keep rotated files stay";
  std::vector<uint32_t> pids;
  for (const auto& f : {path + ".2", path + ".1", path}) {
    auto lines = lines_of(f);
    size_t bytes = 0;
    for (const auto& l : lines) {
      auto j = nlohmann::json::parse(l);  // every line is a whole object
      pids.push_back(j.at("pid").get<uint32_t>());
      bytes += l.size() + 1;
    }
    if (f != path) {
      EXPECT_GE(bytes, 1000u) << f << " rotated before reaching the limit";
    }
  }
  // The newest events are all there, in order, with none lost between files.
  ASSERT_FALSE(pids.empty());
  EXPECT_EQ(pids.back(), 100u);
  for (size_t i = 1; i < pids.size(); ++i) EXPECT_EQ(pids[i], pids[i - 1] + 1);
}

TEST(EventLogRotation, ZeroMaxBytesNeverRotates) {
  TempDir dir;
  std::string path = dir.path() + "/events.jsonl";
  write_100_events(path, 0, 2);
  EXPECT_FALSE(path_exists(path + ".1"));
  EXPECT_EQ(lines_of(path).size(), 100u);
}
