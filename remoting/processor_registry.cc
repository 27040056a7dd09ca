#include "remoting/processor_registry.h"

#include "common/logging.h"

#include <exception>

namespace rmq::remoting {

bool Responder::respond(RemotingCommand response) const {
  if (oneway_) return false;
  auto conn = conn_.lock();
  if (!conn) return false;
  response.opaque = opaque_;
  response.serialize_type = serialize_;
  response.mark_response();
  return conn->send(std::move(response));
}

void ProcessorRegistry::register_processor(int32_t code,
                                           std::shared_ptr<RequestProcessor> processor,
                                           std::shared_ptr<common::Executor> executor) {
  table_[code] = Entry{std::move(processor), std::move(executor)};
}

void ProcessorRegistry::set_default_processor(std::shared_ptr<RequestProcessor> processor,
                                              std::shared_ptr<common::Executor> executor) {
  default_ = Entry{std::move(processor), std::move(executor)};
}

void ProcessorRegistry::dispatch(const ConnectionPtr& conn, RemotingCommand request) const {
  const Responder responder(conn, request.opaque, request.is_oneway(), request.serialize_type);
  auto it = table_.find(request.code);
  const Entry& entry = it != table_.end() ? it->second : default_;
  if (!entry.processor || !entry.executor) {
    const std::string remark = " request type " + std::to_string(request.code) + " not supported";
    common::logger("remoting")->warn("{}: {}", conn->remote_address(), remark);
    responder.respond(
        RemotingCommand::response_to(request, ResponseCode::kRequestCodeNotSupported, remark));
    return;
  }
  if (entry.processor->reject_request()) {
    responder.respond(
        RemotingCommand::response_to(request, ResponseCode::kSystemBusy,
                                     "[REJECTREQUEST]system busy, start flow control for a while"));
    return;
  }
  RequestContext ctx{conn, conn->remote_address(), conn->id()};
  const int32_t code = request.code;
  const int32_t opaque = request.opaque;
  auto task = [processor = entry.processor, ctx = std::move(ctx), responder,
               req = std::move(request)]() mutable {
    const int32_t req_code = req.code;
    try {
      processor->process(ctx, std::move(req), responder);
    } catch (const std::exception& e) {
      common::logger("remoting")->error("processor for code {} threw: {}", req_code, e.what());
      RemotingCommand resp;
      resp.code = static_cast<int32_t>(ResponseCode::kSystemError);
      resp.remark = std::string("processor error: ") + e.what();
      responder.respond(std::move(resp));
    } catch (...) {
      common::logger("remoting")
          ->error("processor for code {} threw a non-std exception", req_code);
      RemotingCommand resp;
      resp.code = static_cast<int32_t>(ResponseCode::kSystemError);
      resp.remark = "processor error";
      responder.respond(std::move(resp));
    }
  };
  if (!entry.executor->execute(std::move(task))) {
    RemotingCommand busy;
    busy.code = static_cast<int32_t>(ResponseCode::kSystemBusy);
    busy.opaque = opaque;
    busy.remark = "[OVERLOAD]system busy, start flow control for a while";
    responder.respond(std::move(busy));
    common::logger("remoting")
        ->warn("executor for code {} is full; answered SYSTEM_BUSY to {}", code,
               conn->remote_address());
  }
}

}  // namespace rmq::remoting
