#include "tests/testutil/process.h"

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <initializer_list>
#include <netinet/in.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace rmq::testutil {

std::vector<uint16_t> free_ports(int n) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) break;
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ports.push_back(ntohs(addr.sin_port));
    fds.push_back(fd);
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

namespace {

// In the child of fork_exec(): `path` opened with `flags` as descriptor `target`.
struct Redirect {
  const char* path;
  int flags;
  int target;
};

// fork + exec of args[0] with the redirects applied; the child is killed when this process dies
// and exits 127 when a redirect or the exec fails. The child's pid, -1 on failure.
pid_t fork_exec(const std::vector<std::string>& args, std::initializer_list<Redirect> redirects) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    for (const Redirect& r : redirects) {
      const int fd = ::open(r.path, r.flags, 0644);
      if (fd < 0) ::_exit(127);
      ::dup2(fd, r.target);
      ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

pid_t spawn(const std::vector<std::string>& args, const std::string& log_path) {
  constexpr int kAppend = O_WRONLY | O_CREAT | O_APPEND;
  return fork_exec(args, {{log_path.c_str(), kAppend, 1}, {log_path.c_str(), kAppend, 2}});
}

pid_t spawn_captured(const std::vector<std::string>& args, const std::string& out_path,
                     const std::string& err_path) {
  constexpr int kWrite = O_WRONLY | O_CREAT | O_TRUNC;
  return fork_exec(
      args,
      {{"/dev/null", O_RDONLY, 0}, {out_path.c_str(), kWrite, 1}, {err_path.c_str(), kWrite, 2}});
}

std::string Finished::describe() const {
  std::string how;
  if (timed_out) {
    how = "did not exit (killed)";
  } else if (WIFEXITED(status)) {
    how = "exit " + std::to_string(WEXITSTATUS(status));
  } else {
    how = "signal " + std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : -1);
  }
  return cmd + "\n" + how + " after " + std::to_string(took.count()) + " ms\n--- stdout ---\n" +
         out + "--- stderr ---\n" + err;
}

Finished run_captured(const std::vector<std::string>& args, const std::string& out_path,
                      const std::string& err_path, std::chrono::milliseconds limit) {
  Finished r;
  for (const auto& a : args) r.cmd += (r.cmd.empty() ? "" : " ") + a;
  const auto t0 = std::chrono::steady_clock::now();
  r.pid = spawn_captured(args, out_path, err_path);
  if (r.pid < 0) {
    r.err = "fork failed";
    return r;
  }
  auto st = wait_exit(r.pid, limit);
  r.took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  if (!st) {
    r.timed_out = true;
    ::kill(r.pid, SIGKILL);
    int ws = 0;
    ::waitpid(r.pid, &ws, 0);
    st = ws;
  }
  r.status = *st;
  if (!r.timed_out && WIFEXITED(r.status)) r.code = WEXITSTATUS(r.status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

char process_state(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

bool pause_process(pid_t pid) {
  if (::kill(pid, SIGSTOP) != 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (process_state(pid) != 'T') {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string read_tail(const std::string& path, size_t max_bytes) {
  std::string s = read_file(path);
  if (s.size() > max_bytes) s = "...\n" + s.substr(s.size() - max_bytes);
  return s;
}

std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  // Polls; a test helper, not production code.
  for (auto waited = std::chrono::milliseconds(0); waited <= limit;
       waited += std::chrono::milliseconds(5)) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

}  // namespace rmq::testutil
