// When create may run from the host's capsa binary and finish through the
// init stub, and when it must run from the sealed copy (container/init_stub.h).
#include <functional>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "container/init_stub.h"
#include "spec/default_spec.h"
#include "spec/parse.h"

namespace capsa::container {
namespace {

spec::Spec edited(const std::function<void(nlohmann::json&)>& edit) {
  auto j = nlohmann::json::parse(spec::default_spec_json());
  edit(j);
  return spec::parse_spec(j.dump(), "config.json");
}

nlohmann::json& pid_ns(nlohmann::json& j) {
  for (auto& ns : j["linux"]["namespaces"])
    if (ns["type"] == "pid") return ns;
  throw std::runtime_error("the default config has no pid namespace");
}

TEST(InitStubDecision, ANewPidNamespaceWithoutHooksBeforeStartSuffices) {
  EXPECT_TRUE(init_stub_suffices(edited([](nlohmann::json&) {})));
  // Hooks that run once the program does, in the runtime's namespaces, do not matter.
  EXPECT_TRUE(init_stub_suffices(edited([](nlohmann::json& j) {
    j["hooks"]["poststart"] = {{{"path", "/bin/true"}}};
    j["hooks"]["poststop"] = {{{"path", "/bin/true"}}};
  })));
}

TEST(InitStubDecision, APidNamespaceSharedOrJoinedNeedsTheSealedCopy) {
  EXPECT_FALSE(init_stub_suffices(edited([](nlohmann::json& j) {
    auto& ns = j["linux"]["namespaces"];
    for (size_t i = 0; i < ns.size(); ++i)
      if (ns[i]["type"] == "pid") ns.erase(i);
  })));
  EXPECT_FALSE(init_stub_suffices(edited([](nlohmann::json& j) { pid_ns(j)["path"] = "/proc/1/ns/pid"; })));
}

TEST(InitStubDecision, AUserNamespaceJoinedByPathNeedsTheSealedCopy) {
  EXPECT_TRUE(init_stub_suffices(edited([](nlohmann::json& j) {
    j["linux"]["namespaces"].push_back({{"type", "user"}});
    j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  })));
  EXPECT_FALSE(init_stub_suffices(
      edited([](nlohmann::json& j) { j["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}}); })));
}

TEST(InitStubDecision, ANonRootUserWhoseExecNeedsMoreThanAmbientCapabilitiesNeedsTheSealedCopy) {
  auto as = [](uint32_t uid, nlohmann::json effective, nlohmann::json ambient) {
    return edited([&](nlohmann::json& j) {
      j["process"]["user"]["uid"] = uid;
      j["process"]["capabilities"]["effective"] = effective;
      j["process"]["capabilities"]["ambient"] = ambient;
    });
  };
  EXPECT_TRUE(init_stub_suffices(as(0, {"CAP_DAC_OVERRIDE"}, nlohmann::json::array())));
  EXPECT_TRUE(init_stub_suffices(as(1000, nlohmann::json::array(), nlohmann::json::array())));
  EXPECT_TRUE(init_stub_suffices(as(1000, {"CAP_NET_BIND_SERVICE"}, {"CAP_NET_BIND_SERVICE"})));
  EXPECT_FALSE(init_stub_suffices(as(1000, {"CAP_DAC_OVERRIDE"}, nlohmann::json::array())));
}

TEST(InitStubDecision, HooksGivenTheInitBeforeStartNeedTheSealedCopy) {
  EXPECT_FALSE(
      init_stub_suffices(edited([](nlohmann::json& j) { j["hooks"]["prestart"] = {{{"path", "/bin/true"}}}; })));
  EXPECT_FALSE(
      init_stub_suffices(edited([](nlohmann::json& j) { j["hooks"]["createRuntime"] = {{{"path", "/bin/true"}}}; })));
  EXPECT_FALSE(init_stub_suffices(
      edited([](nlohmann::json& j) { j["hooks"]["createContainer"] = {{{"path", "/bin/true"}}}; })));
  EXPECT_FALSE(init_stub_suffices(
      edited([](nlohmann::json& j) { j["hooks"]["startContainer"] = {{{"path", "/bin/true"}}}; })));
}

}  // namespace
}  // namespace capsa::container
