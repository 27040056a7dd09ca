// Small helpers every broker processor uses: response construction, header field readers with
// Java's error wording, and the durability label of send responses.
#pragma once

#include "broker/broker_context.h"
#include "remoting/remoting_command.h"
#include "remoting/request_code.h"
#include "remoting/response_code.h"

#include <optional>
#include <string>
#include <string_view>

namespace rmq::broker {

constexpr int32_t code(remoting::ResponseCode c) { return static_cast<int32_t>(c); }
constexpr int32_t code(remoting::RequestCode c) { return static_cast<int32_t>(c); }

inline remoting::RemotingCommand reply(const remoting::RemotingCommand& req, int32_t c,
                                       std::optional<std::string> remark = std::nullopt) {
  return remoting::RemotingCommand::response_to(req, c, std::move(remark));
}
inline remoting::RemotingCommand reply(const remoting::RemotingCommand& req,
                                       remoting::ResponseCode c,
                                       std::optional<std::string> remark = std::nullopt) {
  return remoting::RemotingCommand::response_to(req, c, std::move(remark));
}
// A response for a request of which only the opaque is kept (answers from callbacks).
remoting::RemotingCommand reply_opaque(int32_t opaque, int32_t c,
                                       std::optional<std::string> remark = std::nullopt);

// Reads required header fields; the first missing or malformed one becomes `error()`, a
// SYSTEM_ERROR response worded as Java's ("the custom field <topic> is null").
class HeaderReader {
 public:
  explicit HeaderReader(const remoting::RemotingCommand& req) : req_(req) {}
  std::string str(std::string_view key);
  std::optional<std::string> opt_str(std::string_view key) const;
  int64_t int64(std::string_view key);
  int32_t int32(std::string_view key);
  std::optional<int64_t> opt_int(std::string_view key);
  bool flag(std::string_view key, bool def) const;
  bool failed() const { return error_.has_value(); }
  remoting::RemotingCommand error() const { return *error_; }

 private:
  const remoting::RemotingCommand& req_;
  std::optional<remoting::RemotingCommand> error_;
};

// "majority-fsync", "majority-memory", "local-fsync" or "local-memory".
std::string durability(const BrokerContext& ctx);

// Properties string edits ("k\x01v\x02..."): replace or remove one key.
void set_property(std::string& props, std::string_view key, std::string_view value);
void remove_property(std::string& props, std::string_view key);

}  // namespace rmq::broker
