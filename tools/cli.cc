#include "tools/cli.h"

#include <algorithm>
#include <cstdio>

DEFINE_string(namesrv, "127.0.0.1:9876", "NameServer address(es), 'host:port;host:port'");
DEFINE_bool(json, false, "print JSON instead of a table");
DEFINE_string(topic, "", "topic");
DEFINE_string(group, "", "consumer group");
DEFINE_int32(count, 1, "number of messages");

namespace rmq::tools {

std::vector<Subcommand>& subcommands() {
  static std::vector<Subcommand> table;
  return table;
}

Register::Register(std::string name, std::string help,
                   std::function<int(const std::vector<std::string>&)> run) {
  subcommands().push_back(Subcommand{std::move(name), std::move(help), std::move(run)});
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], r[c].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string& v = c < cells.size() ? cells[c] : std::string();
      out += v;
      if (c + 1 < width.size()) out += std::string(width[c] - v.size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line(header);
  for (const auto& r : rows) line(r);
}

int fail(const std::string& cmd, const std::string& message) {
  std::fprintf(stderr, "raftmq %s: %s\n", cmd.c_str(), message.c_str());
  return kExitFailed;
}

}  // namespace rmq::tools
