// Logging set-up shared by capsa and capsad. With a log file the lines follow
// runc's (logrus) shapes, because containerd's shim parses them back:
//   text: time="..." level=error msg="..."
//   json: {"level":"error","msg":"...","time":"..."}
#pragma once

#include <string>

namespace capsa {

enum class LogFormat { Text, Json };

// Throws capsa::Error for an unknown format name (names the flag).
LogFormat parse_log_format(const std::string& name, const std::string& flag);

// log_file empty: human-readable lines on stderr (warnings and up, or debug).
void setup_logging(const std::string& log_file, LogFormat format, bool debug);

// The error that ends a command: printed on stderr, and logged to the log
// file when there is one.
void report_fatal(const std::string& msg);

}  // namespace capsa
