#include "common/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace rmq::common {

Json Json::boolean(bool b) {
  Json j;
  j.type_ = Type::kBool;
  j.bool_ = b;
  return j;
}

Json Json::number(int64_t v) {
  Json j;
  j.type_ = Type::kNumber;
  j.text_ = std::to_string(v);
  return j;
}

Json Json::number_double(double v) {
  Json j;
  j.type_ = Type::kNumber;
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  j.text_.assign(buf, static_cast<size_t>(n));
  return j;
}

Json Json::string(std::string s) {
  Json j;
  j.type_ = Type::kString;
  j.text_ = std::move(s);
  return j;
}

Json Json::array() {
  Json j;
  j.type_ = Type::kArray;
  return j;
}

Json Json::object() {
  Json j;
  j.type_ = Type::kObject;
  return j;
}

std::optional<int64_t> Json::as_int() const {
  if (type_ != Type::kNumber && type_ != Type::kString) return std::nullopt;
  std::string_view s = text_;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;  // "+-5" is not a number
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return v;
  // Integral doubles such as "5.0" or "1e3" are accepted when exact.
  if (auto d = as_double(); d && std::floor(*d) == *d && std::fabs(*d) < 9.2e18) {
    return static_cast<int64_t>(*d);
  }
  return std::nullopt;
}

std::optional<double> Json::as_double() const {
  if (type_ != Type::kNumber && type_ != Type::kString) return std::nullopt;
  if (text_.empty()) return std::nullopt;
  // Decimal notation only: strtod would also take hex, "inf" and "nan".
  for (const char c : text_) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return std::nullopt;
    }
  }
  char* end = nullptr;
  const double d = std::strtod(text_.c_str(), &end);
  if (end != text_.c_str() + text_.size()) return std::nullopt;
  return d;
}

std::string Json::to_plain_string() const {
  switch (type_) {
    case Type::kNull:
      return {};
    case Type::kBool:
      return bool_ ? "true" : "false";
    case Type::kNumber:
    case Type::kString:
      return text_;
    default:
      return dump();
  }
}

Json& Json::push_back(Json v) {
  if (type_ != Type::kArray) *this = array();
  items_.push_back(std::move(v));
  return items_.back();
}

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

Json* Json::find(std::string_view key) {
  return const_cast<Json*>(static_cast<const Json*>(this)->find(key));
}

Json& Json::set(std::string_view key, Json v) {
  if (type_ != Type::kObject) *this = object();
  if (Json* existing = find(key)) {
    *existing = std::move(v);
    return *existing;
  }
  members_.emplace_back(std::string(key), std::move(v));
  return members_.back().second;
}

std::string Json::get_string(std::string_view key, std::string_view fallback) const {
  const Json* v = find(key);
  if (v == nullptr || v->is_null()) return std::string(fallback);
  return v->to_plain_string();
}

int64_t Json::get_int(std::string_view key, int64_t fallback) const {
  const Json* v = find(key);
  if (v == nullptr) return fallback;
  return v->as_int().value_or(fallback);
}

bool Json::get_bool(std::string_view key, bool fallback) const {
  const Json* v = find(key);
  if (v == nullptr) return fallback;
  if (v->is_bool()) return v->as_bool();
  if (v->is_string()) {
    if (v->text() == "true") return true;
    if (v->text() == "false") return false;
  }
  return fallback;
}

bool operator==(const Json& a, const Json& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Json::Type::kNull:
      return true;
    case Json::Type::kBool:
      return a.bool_ == b.bool_;
    case Json::Type::kNumber:
    case Json::Type::kString:
      return a.text_ == b.text_;
    case Json::Type::kArray:
      return a.items_ == b.items_;
    case Json::Type::kObject:
      return a.members_ == b.members_;
  }
  return false;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void Json::dump_to(std::string& out) const {
  switch (type_) {
    case Type::kNull:
      out += "null";
      break;
    case Type::kBool:
      out += bool_ ? "true" : "false";
      break;
    case Type::kNumber:
      out += text_;
      break;
    case Type::kString:
      append_json_string(out, text_);
      break;
    case Type::kArray: {
      out.push_back('[');
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i) out.push_back(',');
        items_[i].dump_to(out);
      }
      out.push_back(']');
      break;
    }
    case Type::kObject: {
      out.push_back('{');
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, members_[i].first);
        out.push_back(':');
        members_[i].second.dump_to(out);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string Json::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

// Recursive-descent parser bounded by max_depth, so hostile nesting cannot exhaust the stack.
class JsonParser {
 public:
  JsonParser(std::string_view s, const Json::ParseOptions& o) : s_(s), opts_(o) {}

  Result<Json> run() {
    Json out;
    if (!value(out, 0)) return error();
    skip_ws();
    if (pos_ != s_.size()) {
      err_ = "trailing characters";
      return error();
    }
    return out;
  }

 private:
  Status error() const {
    return Status::invalid_argument("json: " + err_ + " at byte " + std::to_string(pos_));
  }
  bool fail(const char* why) {
    if (err_.empty()) err_ = why;
    return false;
  }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail("bad literal");
    pos_ += word.size();
    return true;
  }

  bool value(Json& out, int depth) {
    if (depth > opts_.max_depth) return fail("nesting too deep");
    skip_ws();
    if (pos_ >= s_.size()) return fail("unexpected end");
    const char c = s_[pos_];
    switch (c) {
      case '{':
        return object(out, depth);
      case '[':
        return array(out, depth);
      case '"':
        out.type_ = Json::Type::kString;
        return string(out.text_);
      case 't':
        out = Json::boolean(true);
        return literal("true");
      case 'f':
        out = Json::boolean(false);
        return literal("false");
      case 'n':
        out = Json();
        return literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number(out);
        return fail("unexpected character");
    }
  }

  bool number(Json& out) {
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    size_t digits = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_, ++digits;
    if (digits == 0) return fail("bad number");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      size_t frac = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_, ++frac;
      if (frac == 0) return fail("bad number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      size_t exp = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_, ++exp;
      if (exp == 0) return fail("bad number");
    }
    out.type_ = Json::Type::kNumber;
    out.text_.assign(s_.substr(start, pos_ - start));
    return true;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
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

  bool hex4(uint32_t* out) {
    if (s_.size() - pos_ < 4) return fail("bad \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return fail("bad \\u escape");
    }
    *out = v;
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // opening quote
    out.clear();
    while (true) {
      // Copy the run of plain characters in one go.
      const size_t run_start = pos_;
      while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\') ++pos_;
      out.append(s_.substr(run_start, pos_ - run_start));
      if (pos_ >= s_.size()) return fail("unterminated string");
      if (s_[pos_] == '"') {
        ++pos_;
        return true;
      }
      ++pos_;  // backslash
      if (pos_ >= s_.size()) return fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            uint32_t lo = 0;
            if (!hex4(&lo)) return false;
            if (lo >= 0xDC00 && lo < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              append_utf8(out, 0xFFFD);
              cp = lo;
            }
          } else if (cp >= 0xD800 && cp < 0xE000) {
            cp = 0xFFFD;  // lone surrogate
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }

  bool key(std::string& out) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '"') return string(out);
    if (opts_.allow_unquoted_int_keys && pos_ < s_.size() &&
        (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9'))) {
      Json n;
      if (!number(n)) return false;
      out = n.text_;
      return true;
    }
    return fail("expected object key");
  }

  bool object(Json& out, int depth) {
    ++pos_;
    out = Json::object();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      std::string k;
      if (!key(k)) return false;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      Json v;
      if (!value(v, depth + 1)) return false;
      out.members_.emplace_back(std::move(k), std::move(v));
      skip_ws();
      if (pos_ >= s_.size()) return fail("unterminated object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(Json& out, int depth) {
    ++pos_;
    out = Json::array();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      Json v;
      if (!value(v, depth + 1)) return false;
      out.items_.push_back(std::move(v));
      skip_ws();
      if (pos_ >= s_.size()) return fail("unterminated array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  std::string_view s_;
  const Json::ParseOptions& opts_;
  size_t pos_ = 0;
  std::string err_;
};

Result<Json> Json::parse(std::string_view text) { return parse(text, ParseOptions{}); }

Result<Json> Json::parse(std::string_view text, const ParseOptions& options) {
  return JsonParser(text, options).run();
}

}  // namespace rmq::common
