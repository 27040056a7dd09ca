#include "tests/testutil/http.h"

#include "tests/testutil/temp_dir.h"

#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rmq::testutil {

using common::Result;
using common::Status;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool on_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    const std::string dir = p.substr(start, end - start);
    if (!dir.empty() && ::access((dir + "/" + tool).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Result<std::string> http_exchange(const std::string& addr, std::string_view raw,
                                  std::chrono::milliseconds timeout) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return Status::invalid_argument("no port in " + addr);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
  if (::inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
    return Status::invalid_argument("not an IPv4 address: " + addr);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::io_error("socket: " + std::string(std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return Status::unavailable("connect " + addr + ": " + why);
  }
  size_t sent = 0;
  while (sent < raw.size()) {
    const ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Status::io_error("send to " + addr + ": " + why);
    }
    sent += static_cast<size_t>(n);
  }
  std::string out;
  char buf[16384];
  int left_ms = static_cast<int>(timeout.count());
  while (left_ms > 0) {
    pollfd p{fd, POLLIN, 0};
    const int step = std::min(left_ms, 50);
    const int r = ::poll(&p, 1, step);
    left_ms -= step;
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;  // closed (or reset) by the server
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<HttpResponse> parse_http_response(std::string_view raw) {
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return Status::invalid_argument("no complete response head in " + std::to_string(raw.size()) +
                                    " bytes");
  }
  HttpResponse r;
  std::string_view head = raw.substr(0, head_end);
  size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.substr(0, 9) != "HTTP/1.1 " || status_line.size() < 12) {
    return Status::invalid_argument("bad status line: " + std::string(status_line));
  }
  r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  while (eol != std::string_view::npos) {
    const size_t start = eol + 2;
    eol = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    const size_t c = line.find(':');
    if (c == std::string_view::npos) continue;
    std::string value(line.substr(c + 1));
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[lower(std::string(line.substr(0, c)))] = value;
  }
  const std::string_view rest = raw.substr(head_end + 4);
  auto cl = r.headers.find("content-length");
  if (cl == r.headers.end()) {
    r.body = std::string(rest);
  } else {
    const size_t len = std::stoul(cl->second);
    if (rest.size() < len) {
      return Status::invalid_argument("body cut short: " + std::to_string(rest.size()) + " of " +
                                      std::to_string(len) + " bytes");
    }
    r.body = std::string(rest.substr(0, len));
  }
  return r;
}

Result<HttpResponse> http_get(const std::string& addr, const std::string& path,
                              std::chrono::milliseconds timeout) {
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n";
  RMQ_ASSIGN_OR_RETURN(std::string raw, http_exchange(addr, req, timeout));
  return parse_http_response(raw);
}

Status promtool_check_metrics(const std::string& text) {
  if (!on_path("promtool")) {
    return Status::not_found(
        "promtool is not installed (Debian package 'prometheus', installed by "
        "scripts/install-deps)");
  }
  TempDir dir;
  const std::string in = dir.file("scrape.prom");
  std::ofstream(in, std::ios::binary) << text;
  const std::string cmd = "promtool check metrics < '" + in + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return Status::io_error("cannot run promtool");
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return Status::ok();
  return Status::invalid_argument("promtool check metrics failed (" + std::to_string(st) +
                                  "): " + out);
}

}  // namespace rmq::testutil
