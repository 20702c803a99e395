// capsad's catalog of the state root: what a scan reports follows the state
// files and the inits (created, running, stopped, deleted), while unchanged
// state files are parsed only once.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "daemon/container_catalog.h"
#include "state/process_probe.h"
#include "test_env.h"

namespace capsa::test {
namespace {

using daemon::ContainerCatalog;
using daemon::KnownContainer;
using state::Status;

class ContainerCatalogTest : public ::testing::Test {
protected:
  // <root>/<id>/state.json naming `pid` as the init.
  void write_state(const std::string& id, pid_t pid, std::map<std::string, std::string> annotations = {}) {
    auto st = state::read_proc_stat(pid);
    ASSERT_TRUE(st.has_value());
    state::ContainerState s;
    s.id = id;
    s.init_pid = pid;
    s.init_start_time = st->start_time;
    s.bundle = "/b";
    s.rootfs = "/b/rootfs";
    s.created = "2026-01-02T03:04:05Z";
    s.annotations = std::move(annotations);
    s.cgroup_id = 1000 + static_cast<uint64_t>(id.size());
    make_dirs(root_.path() + "/" + id);
    write_file_atomic(root_.path() + "/" + id + "/state.json", state::to_json(s).dump(2));
  }
  const KnownContainer* find(const std::vector<KnownContainer>& cs, const std::string& id) {
    for (const auto& c : cs)
      if (c.id == id) return &c;
    return nullptr;
  }

  TempDir root_{"capsa-catalog"};
  ContainerCatalog catalog_{root_.path()};
};

TEST_F(ContainerCatalogTest, ARunningInitIsRunningAndItsStateIsParsedOnce) {
  write_state("c1", ::getpid(), {{"k", "v"}});
  for (int i = 0; i < 3; ++i) {
    auto cs = catalog_.scan();
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].id, "c1");
    EXPECT_EQ(cs[0].status, Status::Running);
    EXPECT_EQ(cs[0].annotations.at("k"), "v");
    EXPECT_EQ(cs[0].cgroup, nullptr);  // no cgroup recorded
  }
  EXPECT_EQ(catalog_.state_parses(), 1u);
}

TEST_F(ContainerCatalogTest, ARewrittenStateIsSeenAtTheNextScan) {
  write_state("c1", ::getpid(), {{"k", "v1"}});
  ASSERT_EQ(catalog_.scan().at(0).annotations.at("k"), "v1");
  write_state("c1", ::getpid(), {{"k", "v2"}});
  EXPECT_EQ(catalog_.scan().at(0).annotations.at("k"), "v2");
  EXPECT_EQ(catalog_.state_parses(), 2u);
}

TEST_F(ContainerCatalogTest, CreatedUntilTheExecFifoIsGone) {
  write_state("c1", ::getpid());
  std::string fifo = root_.path() + "/c1/exec.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(catalog_.scan().at(0).status, Status::Created);
  EXPECT_EQ(catalog_.scan().at(0).status, Status::Created);
  ASSERT_EQ(::unlink(fifo.c_str()), 0);
  EXPECT_EQ(catalog_.scan().at(0).status, Status::Running);
}

TEST_F(ContainerCatalogTest, AnExitedInitIsStopped) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  write_state("c1", child);
  EXPECT_EQ(catalog_.scan().at(0).status, Status::Running);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(catalog_.scan().at(0).status, Status::Stopped);
}

TEST_F(ContainerCatalogTest, DeletedAndHalfCreatedContainersAreNotListed) {
  write_state("c1", ::getpid());
  write_state("c2", ::getpid());
  make_dirs(root_.path() + "/creating");  // no state.json yet
  write_file_atomic(root_.path() + "/capsad.sock", "");  // not a directory
  auto cs = catalog_.scan();
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_TRUE(find(cs, "c1") && find(cs, "c2"));
  remove_tree(root_.path() + "/c1");
  cs = catalog_.scan();
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].id, "c2");
  // Re-created under the same id: read afresh.
  write_state("c1", ::getpid(), {{"again", "yes"}});
  cs = catalog_.scan();
  ASSERT_NE(find(cs, "c1"), nullptr);
  EXPECT_EQ(find(cs, "c1")->annotations.at("again"), "yes");
}

TEST_F(ContainerCatalogTest, AMissingRootHasNoContainers) {
  ContainerCatalog none(root_.path() + "/not-there");
  EXPECT_TRUE(none.scan().empty());
}

}  // namespace
}  // namespace capsa::test
