#include "common/properties.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace rmq::common {

void Properties::set(std::string key, std::string value, int line) {
  entries_.insert_or_assign(std::move(key), PropertyEntry{std::move(value), line});
}

const PropertyEntry* Properties::find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string Properties::get(std::string_view key, std::string_view fallback) const {
  const PropertyEntry* e = find(key);
  return e ? e->value : std::string(fallback);
}

std::string Properties::location(const PropertyEntry& entry) const {
  if (entry.line <= 0) return source_;
  return source_ + ":" + std::to_string(entry.line);
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\f'; }

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads 4 hex digits at s[pos]; false when fewer remain or one is not hex.
bool read_hex4(std::string_view s, size_t pos, uint32_t* out) {
  if (s.size() < pos + 4) return false;
  uint32_t v = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    const char c = s[i];
    uint32_t d = 0;
    if (c >= '0' && c <= '9')
      d = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<uint32_t>(c - 'A' + 10);
    else
      return false;
    v = v << 4 | d;
  }
  *out = v;
  return true;
}

// Resolves the escapes of one key or value; false on a malformed \uXXXX.
bool unescape(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out->push_back(s[i]);
      continue;
    }
    if (++i == s.size()) break;  // a lone trailing backslash is dropped, as Java does
    switch (s[i]) {
      case 't':
        out->push_back('\t');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'u': {
        uint32_t cp = 0;
        if (!read_hex4(s, i + 1, &cp)) return false;
        i += 4;
        uint32_t lo = 0;
        if (cp >= 0xD800 && cp < 0xDC00 && s.substr(i + 1, 2) == "\\u" &&
            read_hex4(s, i + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        } else if (cp >= 0xD800 && cp < 0xE000) {
          cp = 0xFFFD;  // lone surrogate
        }
        append_utf8(*out, cp);
        break;
      }
      default:
        out->push_back(s[i]);
    }
  }
  return true;
}

// Splits one logical line (escapes unresolved) into key and value and stores them.
Status parse_logical_line(std::string_view line, int line_no, Properties& props) {
  size_t i = 0;
  while (i < line.size() && line[i] != '=' && line[i] != ':' && !is_space(line[i])) {
    i += line[i] == '\\' ? size_t{2} : size_t{1};
  }
  i = std::min(i, line.size());
  const std::string_view raw_key = line.substr(0, i);
  while (i < line.size() && is_space(line[i])) ++i;
  if (i < line.size() && (line[i] == '=' || line[i] == ':')) ++i;
  while (i < line.size() && is_space(line[i])) ++i;
  std::string key;
  std::string value;
  if (!unescape(raw_key, &key) || !unescape(line.substr(i), &value)) {
    return Status::invalid_argument(props.source() + ":" + std::to_string(line_no) +
                                    ": malformed \\uXXXX escape");
  }
  props.set(std::move(key), std::move(value), line_no);
  return Status::ok();
}

}  // namespace

Result<Properties> parse_properties(std::string_view text, std::string source) {
  Properties props(std::move(source));
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::string logical;  // the logical line being assembled across continuations
  bool continuing = false;
  int start_line = 0;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // Natural lines end in \n, \r or \r\n.
    size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    std::string_view line = text.substr(pos, end - pos);
    pos = end;
    if (pos < text.size() && text[pos] == '\r') ++pos;
    if (pos < text.size() && text[pos] == '\n') ++pos;
    ++line_no;

    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    if (!continuing) {
      if (line.empty() || line.front() == '#' || line.front() == '!') continue;
      start_line = line_no;
      logical.clear();
    }
    size_t backslashes = 0;
    while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\') ++backslashes;
    continuing = backslashes % 2 == 1;
    if (continuing) line.remove_suffix(1);
    logical.append(line);
    if (!continuing) RMQ_RETURN_IF_ERROR(parse_logical_line(logical, start_line, props));
  }
  if (continuing) RMQ_RETURN_IF_ERROR(parse_logical_line(logical, start_line, props));
  return props;
}

Result<Properties> load_properties_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    return Status::io_error("cannot open config file '" + path + "': " + std::strerror(errno));
  }
  std::string text;
  char buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0) text.append(buf, n);
  if (std::ferror(f.get())) {
    return Status::io_error("cannot read config file '" + path + "': " + std::strerror(errno));
  }
  return parse_properties(text, path);
}

std::string format_property(std::string_view key, std::string_view value) {
  std::string out;
  auto append = [&out](std::string_view s, bool is_key) {
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\f':
          out += "\\f";
          break;
        case '=':
        case ':':
        case '#':
        case '!':
          // Separators end a key; # and ! would start a comment at the beginning of the line.
          if (is_key && (c == '=' || c == ':' || i == 0)) out.push_back('\\');
          out.push_back(c);
          break;
        case ' ':
          // Spaces end a key; leading spaces of a value would be skipped.
          if (is_key || i == 0) out.push_back('\\');
          out.push_back(c);
          break;
        default:
          out.push_back(c);
      }
    }
  };
  append(key, true);
  out.push_back('=');
  append(value, false);
  return out;
}

}  // namespace rmq::common
