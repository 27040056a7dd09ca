// raftmq: the command-line client. `raftmq <subcommand> [--flags]`; `raftmq help` lists them.
// Subcommands live in cmd_*.cc and register themselves (tools/cli.h).
#include "common/logging.h"
#include "tools/cli.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using rmq::tools::subcommands;
  auto usage = [] {
    std::fprintf(stderr, "usage: raftmq <subcommand> [--namesrv=host:port] [--json] [flags]\n\n");
    for (const auto& s : subcommands()) {
      std::fprintf(stderr, "  %-20s %s\n", s.name.c_str(), s.help.c_str());
    }
    std::fprintf(stderr, "\n`raftmq <subcommand> --help` shows every flag.\n");
  };
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0) {
    usage();
    return argc < 2 ? rmq::tools::kExitUsage : rmq::tools::kExitOk;
  }
  const std::string cmd = argv[1];
  // Drop the subcommand so gflags sees only flags.
  std::vector<char*> args;
  args.push_back(argv[0]);
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  int n = static_cast<int>(args.size());
  char** av = args.data();
  gflags::SetUsageMessage("raftmq " + cmd + " [flags]");
  gflags::ParseCommandLineFlags(&n, &av, true);
  std::vector<std::string> rest(av + 1, av + n);
  rmq::common::LoggingOptions lo;
  lo.level = "warn";
  rmq::common::init_logging(lo);
  for (const auto& s : subcommands()) {
    if (s.name == cmd) return s.run(rest);
  }
  std::fprintf(stderr, "raftmq: unknown subcommand '%s'\n\n", cmd.c_str());
  usage();
  return rmq::tools::kExitUsage;
}
