// Helpers for tests and benchmarks that run real processes on loopback: free ports, fork+exec
// with the output sent to a log file, bounded waits for exit.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rmq::testutil {

// `n` distinct free loopback ports (bound to port 0 together, then released).
std::vector<uint16_t> free_ports(int n);
inline uint16_t free_port() { return free_ports(1).at(0); }

// fork + exec of args[0]; stdout and stderr are appended to `log_path`; the child is killed when
// this process dies. Returns the child's pid (-1 on failure).
pid_t spawn(const std::vector<std::string>& args, const std::string& log_path);

// Waits up to `limit` for `pid` to exit; its wait status, or nullopt on timeout.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds limit);

}  // namespace rmq::testutil
