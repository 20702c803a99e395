#include "common/logging.h"

#include <errno.h>

#include <cstdio>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "state/container_state.h"

namespace capsa {

namespace {

bool g_file_logging = false;

const char* logrus_level(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warning";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "fatal";
    default: return "info";
  }
}

std::string quote_text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

class LogrusFileSink : public spdlog::sinks::base_sink<std::mutex> {
public:
  LogrusFileSink(const std::string& path, LogFormat format) : format_(format) {
    file_ = std::fopen(path.c_str(), "ae");
    if (!file_) throw_sys("--log: open " + path);
  }
  ~LogrusFileSink() override {
    if (file_) std::fclose(file_);
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text(msg.payload.data(), msg.payload.size());
    std::string line;
    if (format_ == LogFormat::Json) {
      line = nlohmann::json{{"level", logrus_level(msg.level)}, {"msg", text}, {"time", state::now_rfc3339nano()}}
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = "time=\"" + state::now_rfc3339nano() + "\" level=" + logrus_level(msg.level) + " msg=" + quote_text(text);
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), file_);
  }
  void flush_() override { std::fflush(file_); }

private:
  LogFormat format_;
  std::FILE* file_ = nullptr;
};

}  // namespace

LogFormat parse_log_format(const std::string& name, const std::string& flag) {
  if (name == "text") return LogFormat::Text;
  if (name == "json") return LogFormat::Json;
  throw Error(flag + ": unknown log format \"" + name + "\" (expected text or json)");
}

void setup_logging(const std::string& log_file, LogFormat format, bool debug) {
  std::shared_ptr<spdlog::logger> logger;
  if (log_file.empty()) {
    logger = std::make_shared<spdlog::logger>("capsa", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%l: %v");
    logger->set_level(debug ? spdlog::level::debug : spdlog::level::warn);
  } else {
    logger = std::make_shared<spdlog::logger>("capsa", std::make_shared<LogrusFileSink>(log_file, format));
    logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
    logger->flush_on(spdlog::level::trace);
    g_file_logging = true;
  }
  spdlog::set_default_logger(logger);
}

void report_fatal(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg.c_str());
  if (g_file_logging) spdlog::error("{}", msg);
}

}  // namespace capsa
