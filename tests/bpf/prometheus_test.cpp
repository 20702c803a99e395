// capsad as Prometheus sees it: its exposition passes `promtool check
// metrics`, and a real Prometheus (Debian's, on loopback) scraping it while a
// container exercises every family has samples of each, evaluates every
// dashboard and rule expression without error, and gets data for those the
// workload drives.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include "common/file_util.h"
#include "policy_fixture.h"
#include "test_env.h"

namespace capsa::test {
namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kPromtool = "/usr/bin/promtool";
const std::string kRules = std::string(CAPSA_SOURCE_DIR) + "/dashboards/prometheus/capsa-rules.yml";

// A Prometheus server of the test's own: loopback port, storage in a temp
// dir, 1 s scrapes of one capsad under job="capsad", capsa's rules loaded.
class PrometheusProcess {
public:
  explicit PrometheusProcess(int capsad_port) {
    port_ = free_tcp_port();
    std::string config = dir_.path() + "/prometheus.yml";
    write_file_atomic(config,
                      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                      "rule_files:\n  - " + kRules + "\n"
                      "scrape_configs:\n  - job_name: capsad\n    static_configs:\n      - targets: ['127.0.0.1:" +
                          std::to_string(capsad_port) + "']\n");
    std::vector<std::string> args = {kPrometheus,
                                     "--config.file=" + config,
                                     "--storage.tsdb.path=" + dir_.path() + "/data",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    log_ = dir_.path() + "/prometheus.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execv(kPrometheus, argv.data());
      ::_exit(127);
    }
  }
  ~PrometheusProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  bool ready() {
    return eventually(
        [&] {
          try {
            http_get(port_, "/-/ready");
            return true;
          } catch (...) {
            return false;
          }
        },
        20000);
  }
  std::string log() const { return read_file_or_empty(log_); }

  // The API's answer to an instant query; on an HTTP error the JSON still
  // says why (status "error", error text).
  nlohmann::json query(const std::string& expr) {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(10);
    auto res = cli.Post("/api/v1/query", httplib::Params{{"query", expr}});
    if (!res) return {{"status", "error"}, {"error", "no answer: " + httplib::to_string(res.error())}};
    try {
      return nlohmann::json::parse(res->body);
    } catch (const std::exception& e) {
      return {{"status", "error"}, {"error", "HTTP " + std::to_string(res->status) + ": " + res->body}};
    }
  }
  // Samples the query returns now (0 on error).
  size_t samples(const std::string& expr) {
    auto r = query(expr);
    return r.value("status", "") == "success" ? r["data"]["result"].size() : 0;
  }
  nlohmann::json rules() { return nlohmann::json::parse(http_get(port_, "/api/v1/rules")); }

private:
  TempDir dir_{"capsa-prometheus"};
  std::string log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// One expression to check, and where it comes from (for messages).
struct Expr {
  std::string where;
  std::string promql;
  bool needs_data = true;
};

// Grafana's variables, as a dashboard would substitute them.
std::string substitute(std::string e, const std::string& container) {
  const std::pair<std::string, std::string> vars[] = {
      {"${container}", container}, {"$container", container}, {"${job}", ".*"},          {"$job", ".*"},
      {"$__rate_interval", "1m"},  {"$__range", "1m"},        {"$__interval", "1s"}};
  for (const auto& [from, to] : vars)
    for (size_t at; (at = e.find(from)) != std::string::npos;) e.replace(at, from.size(), to);
  return e;
}

// Panel targets (panels nested in rows included) and query variables;
// label_values(m, l) becomes the PromQL Grafana runs for it.
void dashboard_exprs(const std::string& file, const nlohmann::json& panels, std::vector<Expr>& out) {
  for (const auto& p : panels) {
    if (p.contains("panels")) dashboard_exprs(file, p["panels"], out);
    for (const auto& t : p.value("targets", nlohmann::json::array()))
      if (t.contains("expr")) out.push_back({file + " \"" + p.value("title", "") + "\"", t["expr"]});
  }
}

std::vector<Expr> all_exprs(const std::string& container) {
  std::vector<Expr> out;
  auto files = run_command({"/bin/sh", "-c", std::string("ls ") + CAPSA_SOURCE_DIR + "/dashboards/*.json"});
  std::istringstream list(files.out);
  std::regex label_values(R"(^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$)");
  for (std::string file; std::getline(list, file);) {
    auto d = nlohmann::json::parse(read_file_or_empty(file));
    dashboard_exprs(file, d["panels"], out);
    for (const auto& v : d["templating"]["list"]) {
      if (v.value("type", "") != "query") continue;
      std::string q = v["query"].is_string() ? v["query"].get<std::string>() : v["query"].value("query", "");
      std::smatch m;
      if (std::regex_match(q, m, label_values))
        out.push_back({file + " variable " + v["name"].get<std::string>(),
                       "count by (" + m[2].str() + ") (" + m[1].str() + ")"});
      else
        out.push_back({file + " variable " + v["name"].get<std::string>(), q});
    }
  }
  // Alerts the workload does not provoke: capsad is up and keeps up with
  // its ring buffers, and this host enforces every rule kind somehow (where
  // it does not, the alert has data, which is fine too).
  const std::set<std::string> quiet = {"CapsadDown",          "CapsadAbsent",           "CapsaBpfEventsLost",
                                       "CapsaPolicyEventsLost", "CapsaRingBufferFilling", "CapsaPolicyKindNotEnforced"};
  auto rules = YAML::LoadFile(kRules);
  for (const auto& g : rules["groups"])
    for (const auto& r : g["rules"]) {
      std::string name = r["record"] ? r["record"].as<std::string>() : r["alert"].as<std::string>();
      out.push_back({"rule " + name, r["expr"].as<std::string>(), !quiet.count(name)});
    }
  for (auto& e : out) e.promql = substitute(e.promql, container);
  return out;
}

class PrometheusCheck : public PolicyFixture {
protected:
  // Every family, the per-program ones included.
  std::vector<std::string> capsad_args() const override { return {"--bpf-stats"}; }
  // capsad with a policy killing `sync`, and a container that execs, forks,
  // exits, makes system calls, uses CPU and memory, and breaks that rule
  // every round (the killed `sh -c sync` is a child: the loop goes on).
  std::string start_workload() {
    write_policy("nosync.yaml",
                 policy_yaml("nosync", "  syscalls:\n    rules:\n      - name: no-sync\n        names: [sync]\n"
                                       "        action: kill\n"));
    start_capsad();
    if (HasFatalFailure()) return "";
    bundle_ = std::make_unique<Bundle>(
        std::vector<std::string>{"/bin/sh", "-c", "while true; do syscall_loop 2000; sh -c sync; sleep 0.2; done"});
    std::string id = start_container(*bundle_, "prom");
    EXPECT_TRUE(eventually(
        [&] {
          return sample_value(capsad_->metrics(), "capsa_policy_verdicts_total", "container_id=\"" + id + "\"")
              .has_value();
        },
        10000))
        << capsad_->metrics();
    return id;
  }
  std::unique_ptr<Bundle> bundle_;
};

TEST_F(PrometheusCheck, PromtoolAcceptsCapsadsExposition) {
  ASSERT_TRUE(path_exists(kPromtool)) << kPromtool << " missing: tools/install-deps.sh installs Debian's prometheus";
  std::string id = start_workload();
  ASSERT_FALSE(id.empty());
  TempDir tmp("capsa-promtool");
  std::string text = capsad_->metrics();
  write_file_atomic(tmp.path() + "/metrics.txt", text);
  auto r = run_command({"/bin/sh", "-c", std::string(kPromtool) + " check metrics < " + tmp.path() + "/metrics.txt"});
  // promtool prints lint findings and exits non-zero on any.
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\n" << text;
  EXPECT_EQ(r.out + r.err, "") << text;
}

TEST_F(PrometheusCheck, EveryFamilyDashboardQueryAndRuleWorksInARealPrometheus) {
  ASSERT_TRUE(path_exists(kPrometheus))
      << kPrometheus << " missing: tools/install-deps.sh installs Debian's prometheus";
  std::string id = start_workload();
  ASSERT_FALSE(id.empty());
  PrometheusProcess prom(capsad_->port());
  ASSERT_TRUE(prom.ready()) << prom.log();
  ASSERT_TRUE(eventually([&] { return prom.samples("capsa_policy_reloads_total{result=\"error\"}") > 0; }, 10000))
      << prom.log();
  // Rejected now that Prometheus has seen the count at 0, so the increase shows.
  write_policy("broken.yaml", "apiVersion: capsa.io/v1\nkind: Policy\nmetadata:\n  name: broken\nspec: [\n");

  // Every family capsad exports reaches Prometheus, and these in particular.
  std::string exposition = capsad_->metrics();
  std::set<std::string> families;
  std::regex type_line(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) )");
  for (std::sregex_iterator it(exposition.begin(), exposition.end(), type_line), end; it != end; ++it)
    families.insert((*it)[1]);
  for (const char* f :
       {"capsa_container_syscalls_total", "capsa_container_syscalls_by_name_total", "capsa_container_execs_total", "capsa_container_forks_total",
        "capsa_container_exits_total", "capsa_container_cpu_seconds_total", "capsa_container_memory_bytes",
        "capsa_container_pids", "capsa_policy_verdicts_total", "capsa_bpf_program_runs_total",
        "capsa_bpf_program_run_seconds_total", "capsa_bpf_ringbuf_used_bytes", "capsa_scrape_duration_seconds",
        "capsa_build_info", "process_cpu_seconds_total"})
    EXPECT_TRUE(families.count(f)) << f << " not exported:\n" << exposition;
  for (const auto& f : families)
    EXPECT_TRUE(eventually([&] { return prom.samples("count({__name__=\"" + f + "\"})") > 0; }, 10000))
        << f << " never reached Prometheus\n" << prom.log();

  // The alerts the workload provokes, once Prometheus has seen an increase.
  ASSERT_TRUE(eventually(
      [&] { return prom.samples("increase(capsa_policy_verdicts_total{action=\"kill\"}[5m]) > 0") > 0; }, 15000));
  ASSERT_TRUE(eventually(
      [&] { return prom.samples("increase(capsa_policy_reloads_total{result=\"error\"}[10m]) > 0") > 0; }, 15000))
      << read_file_or_empty(capsad_->log_path());

  auto exprs = all_exprs(id);
  EXPECT_GT(exprs.size(), 40u);
  for (const auto& e : exprs) {
    auto r = prom.query(e.promql);
    EXPECT_EQ(r.value("status", ""), "success") << e.where << ": " << e.promql << "\n" << r.dump();
    if (e.needs_data && r.value("status", "") == "success") {
      // Range selectors need two scrapes of a series: give them a few.
      EXPECT_TRUE(eventually([&] { return prom.samples(e.promql) > 0; }, 5000))
          << e.where << " returns no data: " << e.promql;
    }
  }

  // Prometheus itself evaluated every rule without error.
  ASSERT_TRUE(eventually(
      [&] {
        auto all = prom.rules();  // the range below must not outlive it
        for (const auto& g : all["data"]["groups"])
          for (const auto& r : g["rules"])
            if (r.value("lastEvaluation", "").rfind("0001", 0) == 0) return false;
        return true;
      },
      10000));
  size_t rules = 0;
  auto all = prom.rules();
  for (const auto& g : all["data"]["groups"])
    for (const auto& r : g["rules"]) {
      ++rules;
      EXPECT_EQ(r.value("health", ""), "ok") << r.dump();
    }
  size_t in_file = 0;
  for (const auto& g : YAML::LoadFile(kRules)["groups"]) in_file += g["rules"].size();
  EXPECT_EQ(rules, in_file);
}

}  // namespace
}  // namespace capsa::test
