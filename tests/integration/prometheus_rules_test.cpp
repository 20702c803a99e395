// The Prometheus rules shipped in dashboards/prometheus pass promtool's
// checks (syntax, PromQL, templates of annotations).
#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_env.h"

namespace capsa::test {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

TEST(PrometheusRules, PromtoolAcceptsTheRulesFile) {
  ASSERT_TRUE(path_exists(kPromtool)) << kPromtool << " missing: tools/install-deps.sh installs Debian's prometheus";
  std::string rules = std::string(CAPSA_SOURCE_DIR) + "/dashboards/prometheus/capsa-rules.yml";
  auto r = run_command({kPromtool, "check", "rules", rules});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SUCCESS"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace capsa::test
