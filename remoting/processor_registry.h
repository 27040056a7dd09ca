// ProcessorRegistry: request code -> (processor, executor), plus a default pair, as RocketMQ's
// processorTable. dispatch() runs on an I/O thread and never blocks: unknown codes are answered
// REQUEST_CODE_NOT_SUPPORTED (3), a full executor or a rejecting processor SYSTEM_BUSY (2), and an
// exception escaping a processor SYSTEM_ERROR (1).
// Registration happens before the endpoint starts; dispatch() is then thread-safe (read-only).
#pragma once

#include "common/executor.h"
#include "remoting/connection.h"
#include "remoting/request_processor.h"

#include <memory>
#include <unordered_map>

namespace rmq::remoting {

class ProcessorRegistry {
 public:
  void register_processor(int32_t code, std::shared_ptr<RequestProcessor> processor,
                          std::shared_ptr<common::Executor> executor);
  void register_processor(RequestCode code, std::shared_ptr<RequestProcessor> processor,
                          std::shared_ptr<common::Executor> executor) {
    register_processor(static_cast<int32_t>(code), std::move(processor), std::move(executor));
  }
  void set_default_processor(std::shared_ptr<RequestProcessor> processor,
                             std::shared_ptr<common::Executor> executor);

  void dispatch(const ConnectionPtr& conn, RemotingCommand request) const;

 private:
  struct Entry {
    std::shared_ptr<RequestProcessor> processor;
    std::shared_ptr<common::Executor> executor;
  };
  std::unordered_map<int32_t, Entry> table_;
  Entry default_;
};

}  // namespace rmq::remoting
