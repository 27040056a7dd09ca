#include "remoting/protocol/fastjson.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace rmq::remoting::protocol {
namespace {

using common::Json;
using common::Result;
using common::Status;

constexpr int kMaxNesting = 64;

Status bad_member(const std::string& where, std::string_view key, std::string_view why) {
  return invalid_body(where + "." + std::string(key), why);
}

// Walks fastjson text in which object keys may be JSON objects. It only delimits values; each
// delimited piece is then parsed by common::Json.
class SpanReader {
 public:
  SpanReader(std::string_view text, std::string where) : text_(text), where_(std::move(where)) {}

  // Calls fn(key_text, value_text) for each member of the object starting at the cursor.
  Status for_each_member(const std::function<Status(std::string_view, std::string_view)>& fn) {
    if (!consume('{')) return fail("expected '{'");
    if (consume('}')) return Status::ok();
    for (;;) {
      RMQ_ASSIGN_OR_RETURN(const std::string_view key, next_value());
      if (!consume(':')) return fail("expected ':'");
      RMQ_ASSIGN_OR_RETURN(const std::string_view value, next_value());
      RMQ_RETURN_IF_ERROR(fn(key, value));
      if (consume('}')) return Status::ok();
      if (!consume(',')) return fail("expected ',' or '}'");
    }
  }

  Status expect_end() {
    skip_space();
    return pos_ == text_.size() ? Status::ok() : fail("trailing characters");
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Status fail(std::string_view why) const {
    return invalid_body(where_, std::string(why) + " at offset " + std::to_string(pos_));
  }

  Status skip_quoted() {
    for (++pos_; pos_ < text_.size(); ++pos_) {
      if (text_[pos_] == '\\') {
        ++pos_;
      } else if (text_[pos_] == '"') {
        ++pos_;
        return Status::ok();
      }
    }
    return fail("unterminated string");
  }

  // The text of one value: a quoted string, a balanced {...}/[...], or a bare token.
  Result<std::string_view> next_value() {
    skip_space();
    if (pos_ >= text_.size()) return fail("unexpected end of input");
    const size_t begin = pos_;
    const char first = text_[pos_];
    if (first == '"') {
      RMQ_RETURN_IF_ERROR(skip_quoted());
    } else if (first == '{' || first == '[') {
      int nesting = 0;
      do {
        if (pos_ >= text_.size()) return fail("unbalanced brackets");
        const char c = text_[pos_];
        if (c == '"') {
          RMQ_RETURN_IF_ERROR(skip_quoted());
          continue;
        }
        if (c == '{' || c == '[') {
          if (++nesting > kMaxNesting) return fail("nested too deeply");
        } else if (c == '}' || c == ']') {
          --nesting;
        }
        ++pos_;
      } while (nesting > 0);
    } else {
      constexpr std::string_view kStop = ",:{}[] \t\r\n\"";
      while (pos_ < text_.size() && kStop.find(text_[pos_]) == std::string_view::npos) ++pos_;
      if (pos_ == begin) return fail("expected a value");
    }
    return text_.substr(begin, pos_ - begin);
  }

  std::string_view text_;
  std::string where_;
  size_t pos_ = 0;
};

// "MessageQueue [topic=t, brokerName=b, queueId=0]" (Java's toString, the map key of writers that
// do not emit object keys).
Result<MessageQueue> message_queue_from_java_string(std::string_view s, const std::string& where) {
  constexpr std::string_view kHead = "MessageQueue [topic=";
  constexpr std::string_view kBroker = ", brokerName=";
  constexpr std::string_view kQueue = ", queueId=";
  const Status error = invalid_body(where, "not a MessageQueue key: \"" + std::string(s) + "\"");
  if (!s.starts_with(kHead) || !s.ends_with(']')) return error;
  const std::string_view inner = s.substr(kHead.size(), s.size() - kHead.size() - 1);
  const size_t b = inner.find(kBroker);
  const size_t q = inner.rfind(kQueue);
  if (b == std::string_view::npos || q == std::string_view::npos || q < b) return error;
  MessageQueue mq;
  mq.topic = std::string(inner.substr(0, b));
  mq.broker_name = std::string(inner.substr(b + kBroker.size(), q - b - kBroker.size()));
  const std::string_view id = inner.substr(q + kQueue.size());
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), mq.queue_id);
  if (ec != std::errc() || end != id.data() + id.size() || mq.queue_id < 0 || mq.topic.empty()) {
    return error;
  }
  return mq;
}

// A Map<MessageQueue, X> key: a JSON object (fastjson) or a quoted MessageQueue.toString().
Result<MessageQueue> message_queue_from_key(std::string_view key_text, const std::string& where) {
  RMQ_ASSIGN_OR_RETURN(const Json key, parse_json(key_text, where));
  if (key.is_string()) return message_queue_from_java_string(key.text(), where);
  return message_queue_from_json(key, where);
}

}  // namespace

Status invalid_body(const std::string& where, std::string_view why) {
  return Status::invalid_argument(where + ": " + std::string(why));
}

void append_int(std::string& out, int64_t v) { out += std::to_string(v); }

void append_bool(std::string& out, bool v) { out += v ? "true" : "false"; }

void append_string(std::string& out, std::string_view s) { common::append_json_string(out, s); }

void append_java_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  const std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  out += s;
  if (s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void ObjectWriter::member(std::string_view key) {
  if (!first_) out_ += ',';
  first_ = false;
  out_ += '"';
  out_ += key;
  out_ += "\":";
}

ObjectWriter& ObjectWriter::str(std::string_view key, std::string_view value) {
  member(key);
  common::append_json_string(out_, value);
  return *this;
}

ObjectWriter& ObjectWriter::num(std::string_view key, int64_t value) {
  member(key);
  append_int(out_, value);
  return *this;
}

ObjectWriter& ObjectWriter::boolean(std::string_view key, bool value) {
  member(key);
  append_bool(out_, value);
  return *this;
}

void append_message_queue(std::string& out, const MessageQueue& mq) {
  ObjectWriter(out)
      .str("brokerName", mq.broker_name)
      .num("queueId", mq.queue_id)
      .str("topic", mq.topic)
      .end();
}

Result<Json> parse_json(std::string_view text, std::string_view where) {
  Json::ParseOptions options;
  options.max_depth = kMaxNesting;
  options.allow_unquoted_int_keys = true;
  auto parsed = Json::parse(text, options);
  if (!parsed.ok()) {
    return invalid_body(std::string(where), "bad JSON: " + std::string(parsed.status().message()));
  }
  return parsed;
}

Result<Json> parse_json_object(common::ByteView body, std::string_view where) {
  RMQ_ASSIGN_OR_RETURN(Json root, parse_json(common::as_string_view(body), where));
  if (!root.is_object()) return invalid_body(std::string(where), "not a JSON object");
  return root;
}

Status read_int64(const Json& obj, std::string_view key, const std::string& where, int64_t* out,
                  int64_t lo, int64_t hi) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  const std::optional<int64_t> n = v->as_int();
  if (!n || *n < lo || *n > hi) {
    return bad_member(where, key, "expected an integer, got " + v->dump());
  }
  *out = *n;
  return Status::ok();
}

Status read_string(const Json& obj, std::string_view key, const std::string& where,
                   std::string* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (!v->is_string()) return bad_member(where, key, "expected a string, got " + v->dump());
  *out = v->text();
  return Status::ok();
}

Status read_text(const Json& obj, std::string_view key, const std::string& where,
                 std::string* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_array() || v->is_object()) return bad_member(where, key, "expected a string");
  *out = v->to_plain_string();
  return Status::ok();
}

Status read_bool(const Json& obj, std::string_view key, const std::string& where, bool* out) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_bool()) {
    *out = v->as_bool();
    return Status::ok();
  }
  if (v->is_string() && (v->text() == "true" || v->text() == "false")) {
    *out = v->text() == "true";
    return Status::ok();
  }
  return bad_member(where, key, "expected a boolean, got " + v->dump());
}

Result<const std::vector<Json>*> read_array(const Json& obj, std::string_view key,
                                            const std::string& where) {
  static const std::vector<Json> kEmpty;
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return &kEmpty;
  if (!v->is_array()) return bad_member(where, key, "expected an array");
  return &v->items();
}

Result<MessageQueue> message_queue_from_json(const Json& v, const std::string& where) {
  if (!v.is_object()) return invalid_body(where, "expected a MessageQueue object");
  MessageQueue mq;
  int32_t queue_id = -1;
  RMQ_RETURN_IF_ERROR(read_string(v, "topic", where, &mq.topic));
  RMQ_RETURN_IF_ERROR(read_string(v, "brokerName", where, &mq.broker_name));
  RMQ_RETURN_IF_ERROR(read_int(v, "queueId", where, &queue_id, 0));
  if (mq.topic.empty() || queue_id < 0)
    return invalid_body(where, "MessageQueue without topic or queueId");
  mq.queue_id = queue_id;
  return mq;
}

Result<std::set<MessageQueue>> read_message_queue_set(const Json& obj, std::string_view key,
                                                      const std::string& where) {
  RMQ_ASSIGN_OR_RETURN(const std::vector<Json>* items, read_array(obj, key, where));
  std::set<MessageQueue> out;
  const std::string w = where + "." + std::string(key);
  for (const Json& item : *items) {
    RMQ_ASSIGN_OR_RETURN(MessageQueue mq, message_queue_from_json(item, w));
    out.insert(std::move(mq));
  }
  return out;
}

Status read_offset_table(common::ByteView body, const std::string& what,
                         const std::function<Status(const MessageQueue&, const Json&)>& on_entry,
                         const std::function<Status(const std::string&, const Json&)>& on_other) {
  SpanReader top(common::as_string_view(body), what);
  const Status st = top.for_each_member([&](std::string_view k, std::string_view v) -> Status {
    RMQ_ASSIGN_OR_RETURN(const Json name, parse_json(k, what));
    if (!name.is_string()) return invalid_body(what, "member name is not a string");
    if (name.text() != "offsetTable") {
      RMQ_ASSIGN_OR_RETURN(const Json value, parse_json(v, what + "." + name.text()));
      return on_other ? on_other(name.text(), value) : Status::ok();
    }
    if (v == "null") return Status::ok();
    const std::string where = what + ".offsetTable";
    SpanReader table(v, where);
    return table.for_each_member([&](std::string_view mk, std::string_view mv) -> Status {
      RMQ_ASSIGN_OR_RETURN(const MessageQueue mq, message_queue_from_key(mk, where + " key"));
      RMQ_ASSIGN_OR_RETURN(const Json value, parse_json(mv, where + "[" + to_string(mq) + "]"));
      return on_entry(mq, value);
    });
  });
  return st.is_ok() ? top.expect_end() : st;
}

}  // namespace rmq::remoting::protocol
