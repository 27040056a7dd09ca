#include "remoting/remoting_command.h"

#include <charconv>

namespace rmq::remoting {

const std::string* ExtFields::find(std::string_view key) const {
  // Search from the back so a later duplicate wins, as in a Java HashMap filled in order.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

void ExtFields::set(std::string_view key, std::string value) {
  for (auto& e : entries_) {
    if (e.first == key) {
      e.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::string(key), std::move(value));
}

bool ExtFields::erase(std::string_view key) {
  const auto before = entries_.size();
  std::erase_if(entries_, [&](const Entry& e) { return e.first == key; });
  return entries_.size() != before;
}

RemotingCommand RemotingCommand::request(RequestCode code) {
  return request(static_cast<int32_t>(code));
}

RemotingCommand RemotingCommand::request(int32_t code) {
  RemotingCommand cmd;
  cmd.code = code;
  return cmd;
}

RemotingCommand RemotingCommand::response_to(const RemotingCommand& req, ResponseCode code,
                                             std::optional<std::string> remark) {
  return response_to(req, static_cast<int32_t>(code), std::move(remark));
}

RemotingCommand RemotingCommand::response_to(const RemotingCommand& req, int32_t code,
                                             std::optional<std::string> remark) {
  RemotingCommand cmd;
  cmd.code = code;
  cmd.opaque = req.opaque;
  cmd.flag = kFlagResponse;
  cmd.serialize_type = req.serialize_type;
  cmd.remark = std::move(remark);
  return cmd;
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}
}  // namespace

std::optional<int64_t> parse_ext_int(const std::string& value) {
  std::string_view s = trim(value);
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;  // "+-5" is not a number
  }
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
}

std::optional<bool> parse_ext_bool(const std::string& value) {
  const std::string_view s = trim(value);
  auto iequals = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if ((a[i] | 0x20) != b[i]) return false;
    }
    return true;
  };
  if (iequals(s, "true")) return true;
  if (iequals(s, "false")) return false;
  return std::nullopt;
}

std::optional<int64_t> RemotingCommand::ext_int(std::string_view key) const {
  const std::string* v = ext(key);
  if (v == nullptr) return std::nullopt;
  return parse_ext_int(*v);
}

std::optional<bool> RemotingCommand::ext_bool(std::string_view key) const {
  const std::string* v = ext(key);
  if (v == nullptr) return std::nullopt;
  return parse_ext_bool(*v);
}

std::string RemotingCommand::describe() const {
  std::string out = "code=" + std::to_string(code);
  const std::string_view name = is_response() ? response_code_name(code) : request_code_name(code);
  if (!name.empty()) {
    out += '(';
    out += name;
    out += ')';
  }
  out += " opaque=" + std::to_string(opaque) + " flag=" + std::to_string(flag) +
         " lang=" + language + " version=" + std::to_string(version) +
         " ext=" + std::to_string(ext_fields.size()) + " body=" + std::to_string(body.size());
  if (remark) out += " remark=\"" + *remark + "\"";
  return out;
}

}  // namespace rmq::remoting
