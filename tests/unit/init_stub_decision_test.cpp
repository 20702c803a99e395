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

TEST(InitStubDecision, ANewPidNamespaceWithoutHooksInsideSuffices) {
  EXPECT_TRUE(init_stub_suffices(edited([](nlohmann::json&) {})));
  // Hooks that run in the runtime's namespaces do not matter.
  EXPECT_TRUE(init_stub_suffices(edited([](nlohmann::json& j) {
    j["hooks"]["prestart"] = {{{"path", "/bin/true"}}};
    j["hooks"]["createRuntime"] = {{{"path", "/bin/true"}}};
    j["hooks"]["poststart"] = {{{"path", "/bin/true"}}};
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

TEST(InitStubDecision, HooksInsideTheContainerNeedTheSealedCopy) {
  EXPECT_FALSE(init_stub_suffices(
      edited([](nlohmann::json& j) { j["hooks"]["createContainer"] = {{{"path", "/bin/true"}}}; })));
  EXPECT_FALSE(init_stub_suffices(
      edited([](nlohmann::json& j) { j["hooks"]["startContainer"] = {{{"path", "/bin/true"}}}; })));
}

}  // namespace
}  // namespace capsa::container
