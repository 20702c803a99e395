#include "common/cli_main.h"

namespace capsa {

void add_log_flags(CLI::App& app, LogFlags& flags) {
  app.add_option("--log", flags.file, "log file (default: stderr)");
  app.add_option("--log-format", flags.format, "log format: text or json")->capture_default_str();
  app.add_flag("--debug", flags.debug, "enable debug logging");
}

int run_main(CLI::App& app, int argc, char** argv, const LogFlags& log, const std::function<int()>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are parse "errors" that exit 0.
    return app.exit(e) == 0 ? 0 : 1;
  }
  try {
    setup_logging(log.file, parse_log_format(log.format, "--log-format"), log.debug);
    return body();
  } catch (const std::exception& e) {
    report_fatal(e.what());
    return 1;
  }
}

}  // namespace capsa
