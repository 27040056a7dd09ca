// The `raftmq` CLI's shared pieces: the flags every subcommand may read, output helpers (aligned
// tables by default, one JSON document with --json) and the subcommand table. Each subcommand is
// a function returning the process exit code (0 ok, 1 failed, 2 bad usage).
#pragma once

#include <gflags/gflags.h>

#include <functional>
#include <string>
#include <vector>

DECLARE_string(namesrv);
DECLARE_bool(json);
DECLARE_string(topic);
DECLARE_string(group);
DECLARE_int32(count);

namespace rmq::tools {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct Subcommand {
  std::string name;
  std::string help;
  std::function<int(const std::vector<std::string>& args)> run;
};

// Registered by each cmd_*.cc (static initialisation of a table in cli.cc).
std::vector<Subcommand>& subcommands();
struct Register {
  Register(std::string name, std::string help,
           std::function<int(const std::vector<std::string>&)> run);
};

// Prints rows as an aligned table with a header line.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);
// "raftmq <cmd>: <message>" to stderr; returns kExitFailed.
int fail(const std::string& cmd, const std::string& message);

}  // namespace rmq::tools
