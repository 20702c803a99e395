#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "cli.h"
#include "common/error.h"

namespace capsa::cli {

namespace {

struct Row {
  nlohmann::json state;
  std::string owner;
};

// /etc/passwd read directly, as runc's user.LookupUid does: capsa is linked
// statically, and glibc's NSS would need its shared modules at run time.
std::string user_name(uid_t uid) {
  std::ifstream in("/etc/passwd");
  for (std::string line; std::getline(in, line);) {
    auto name_end = line.find(':');
    auto pw_end = name_end == std::string::npos ? name_end : line.find(':', name_end + 1);
    if (pw_end == std::string::npos) continue;
    auto uid_end = line.find(':', pw_end + 1);
    if (uid_end == std::string::npos) continue;
    if (line.compare(pw_end + 1, uid_end - pw_end - 1, std::to_string(uid)) == 0) return line.substr(0, name_end);
  }
  return "#" + std::to_string(uid);
}

std::string owner_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  return user_name(st.st_uid);
}

// Go's text/tabwriter with runc's settings (minwidth 12, padding 3): every
// cell but the last of a line is padded to its column's width.
void print_table(const std::vector<std::vector<std::string>>& lines) {
  std::vector<size_t> width;
  for (const auto& l : lines)
    for (size_t i = 0; i + 1 < l.size(); ++i) {
      if (width.size() <= i) width.resize(i + 1, 0);
      width[i] = std::max(width[i], std::max<size_t>(l[i].size() + 3, 12));
    }
  for (const auto& l : lines) {
    std::string out;
    for (size_t i = 0; i < l.size(); ++i) {
      out += l[i];
      if (i + 1 < l.size()) out.append(width[i] - l[i].size(), ' ');
    }
    std::printf("%s\n", out.c_str());
  }
}

}  // namespace

void add_list(CLI::App& app, Context ctx) {
  struct Opts {
    std::string format = "table";
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("list", "list containers started by capsa with the given --root");
  cmd->alias("ls");
  cmd->add_option("-f,--format", o->format, "table or json")->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "display only container ids");
  cmd->callback([o, ctx] {
    ctx.action = [o, g = &ctx.global] {
      if (o->format != "table" && o->format != "json")
        throw Error("--format: invalid format \"" + o->format + "\" (expected table or json)");
      auto store = g->store();
      std::vector<Row> rows;
      for (const auto& id : store.list_ids()) {
        auto dir = store.try_open(id, state::LockMode::Shared);
        if (!dir) continue;  // deleted meanwhile
        auto st = dir->load();
        if (!st) continue;  // still being created
        rows.push_back({state::oci_state(*st, dir->status(*st)), owner_of(dir->path())});
      }
      if (o->quiet) {
        for (const auto& r : rows) std::printf("%s\n", r.state["id"].get<std::string>().c_str());
        return 0;
      }
      if (o->format == "json") {
        nlohmann::json arr = nlohmann::json::array();
        for (auto& r : rows) {
          r.state["owner"] = r.owner;
          arr.push_back(r.state);
        }
        std::printf("%s\n", arr.dump().c_str());
        return 0;
      }
      std::vector<std::vector<std::string>> lines = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
      for (const auto& r : rows)
        lines.push_back({r.state["id"], std::to_string(r.state["pid"].get<int>()), r.state["status"],
                         r.state["bundle"], r.state["created"], r.owner});
      print_table(lines);
      return 0;
    };
  });
}

}  // namespace capsa::cli
