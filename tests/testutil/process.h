// Helpers for tests and benchmarks that run real processes on loopback: free ports, fork+exec
// with the output sent to a log file or captured, bounded waits for exit, reading what they wrote.
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

// fork + exec of args[0] with stdin from /dev/null and stdout and stderr written over
// `out_path` and `err_path`; the child is killed when this process dies. Its pid (-1 on failure).
pid_t spawn_captured(const std::vector<std::string>& args, const std::string& out_path,
                     const std::string& err_path);

// A process run to its end by run_captured().
struct Finished {
  std::string cmd;         // the arguments, space-separated
  pid_t pid = -1;          // -1: it could not be started
  bool timed_out = false;  // did not exit within the limit, so it was killed
  int status = 0;          // wait status
  int code = -1;           // exit code; -1 when killed, ended by a signal or not started
  std::string out;
  std::string err;
  std::chrono::milliseconds took{0};
  // cmd, how it ended, then stdout and stderr.
  std::string describe() const;
};

// spawn_captured(), then waits up to `limit` (SIGKILL after it) and reads both files.
Finished run_captured(const std::vector<std::string>& args, const std::string& out_path,
                      const std::string& err_path, std::chrono::milliseconds limit);

// The whole file ("" when it cannot be read).
std::string read_file(const std::string& path);
// The file's last `max_bytes` bytes, after "...\n" when it is longer.
std::string read_tail(const std::string& path, size_t max_bytes);

// The state letter of /proc/<pid>/stat ('T' once SIGSTOP has stopped the process), '?' if unknown.
char process_state(pid_t pid);
// SIGSTOP, then waits until every thread has stopped (kill() returns before): false if it did not
// within 5 s.
bool pause_process(pid_t pid);

}  // namespace rmq::testutil
