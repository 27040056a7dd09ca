#include "broker/processor/processor_util.h"

#include "broker/ha/classic_ha.h"
#include "store/message.h"

namespace rmq::broker {

using remoting::RemotingCommand;
using remoting::ResponseCode;

RemotingCommand reply_opaque(int32_t opaque, int32_t c, std::optional<std::string> remark) {
  RemotingCommand r;
  r.code = c;
  r.opaque = opaque;
  r.remark = std::move(remark);
  r.mark_response();
  return r;
}

std::string HeaderReader::str(std::string_view key) {
  const std::string* v = req_.ext(key);
  if (v == nullptr) {
    if (!error_) {
      error_ = reply(req_, ResponseCode::kSystemError,
                     "the custom field <" + std::string(key) + "> is null");
    }
    return {};
  }
  return *v;
}

std::optional<std::string> HeaderReader::opt_str(std::string_view key) const {
  const std::string* v = req_.ext(key);
  if (v == nullptr) return std::nullopt;
  return *v;
}

std::optional<int64_t> HeaderReader::opt_int(std::string_view key) {
  const std::string* v = req_.ext(key);
  if (v == nullptr) return std::nullopt;
  auto n = req_.ext_int(key);
  if (!n && !error_) {
    error_ = reply(req_, ResponseCode::kSystemError,
                   "the custom field <" + std::string(key) + "> is not a number: '" + *v + "'");
  }
  return n;
}

int64_t HeaderReader::int64(std::string_view key) {
  if (req_.ext(key) == nullptr) {
    if (!error_) {
      error_ = reply(req_, ResponseCode::kSystemError,
                     "the custom field <" + std::string(key) + "> is null");
    }
    return 0;
  }
  return opt_int(key).value_or(0);
}

int32_t HeaderReader::int32(std::string_view key) {
  const int64_t v = int64(key);
  if (v < INT32_MIN || v > INT32_MAX) {
    if (!error_) {
      error_ = reply(req_, ResponseCode::kSystemError,
                     "the custom field <" + std::string(key) + "> is out of range");
    }
    return 0;
  }
  return static_cast<int32_t>(v);
}

bool HeaderReader::flag(std::string_view key, bool def) const {
  return req_.ext_bool(key).value_or(def);
}

std::string durability(const BrokerContext& ctx) {
  const bool sync = ctx.config.flush_disk_type == "SYNC_FLUSH";
  if (ctx.dledger != nullptr) return sync ? "majority-fsync" : "majority-memory";
  // SYNC_MASTER: a slave holds the bytes too (in its memory) when the answer is SUCCESS.
  if (ctx.ha != nullptr && ctx.ha->sync_master()) return sync ? "slave-fsync" : "slave-memory";
  return sync ? "local-fsync" : "local-memory";
}

void remove_property(std::string& props, std::string_view key) {
  std::string out;
  out.reserve(props.size());
  for (const auto& [k, v] : store::parse_properties(props)) {
    if (k == key) continue;
    store::append_property(out, k, v);
  }
  props = std::move(out);
}

void set_property(std::string& props, std::string_view key, std::string_view value) {
  remove_property(props, key);
  store::append_property(props, key, value);
}

}  // namespace rmq::broker
