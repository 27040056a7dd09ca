// RequestProcessor: handles the requests of one or more request codes (NettyRequestProcessor).
// process() runs on the executor registered for the code; it answers through the Responder, now
// or later from any thread, so a handler waiting on replication holds no thread. The Responder
// refers to its connection weakly: answering after the peer left is a no-op.
#pragma once

#include "remoting/remoting_command.h"

#include <functional>
#include <memory>
#include <string>

namespace rmq::remoting {

class Connection;

class Responder {
 public:
  Responder() = default;
  Responder(std::weak_ptr<Connection> conn, int32_t opaque, bool oneway,
            SerializeType serialize_type = SerializeType::kJson)
      : conn_(std::move(conn)), opaque_(opaque), oneway_(oneway), serialize_(serialize_type) {}

  // Sends `response` with the request's opaque, serialize type and the RESPONSE flag. Dropped for
  // oneway requests or a connection that is gone. Returns true if it was queued for writing.
  bool respond(RemotingCommand response) const;
  bool is_oneway() const { return oneway_; }

 private:
  std::weak_ptr<Connection> conn_;
  int32_t opaque_ = 0;
  bool oneway_ = false;
  SerializeType serialize_ = SerializeType::kJson;
};

struct RequestContext {
  std::weak_ptr<Connection> connection;
  std::string remote_address;  // "ip:port" of the peer
  uint64_t connection_id = 0;
};

class RequestProcessor {
 public:
  virtual ~RequestProcessor() = default;
  virtual void process(const RequestContext& ctx, RemotingCommand request, Responder responder) = 0;
  // RocketMQ's rejectRequest(): true when the processor cannot take work now (answered with
  // SYSTEM_BUSY before queueing).
  virtual bool reject_request() const { return false; }
};

// Adapts a function that answers synchronously; returning nullopt sends nothing.
class FunctionProcessor final : public RequestProcessor {
 public:
  using Fn = std::function<std::optional<RemotingCommand>(const RequestContext&, RemotingCommand&)>;
  explicit FunctionProcessor(Fn fn) : fn_(std::move(fn)) {}
  void process(const RequestContext& ctx, RemotingCommand request, Responder responder) override {
    if (auto response = fn_(ctx, request)) responder.respond(std::move(*response));
  }

 private:
  Fn fn_;
};

}  // namespace rmq::remoting
