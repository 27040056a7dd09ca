// PullMessageProcessor: PULL_MESSAGE (11) (RocketMQ PullMessageProcessor) with long polling.
// Validates group, topic, queue and subscription, reads up to maxMsgNums whole stored messages
// whose tags code passes the subscription, and maps the store's outcome to the response code and
// nextBeginOffset of PROTOCOL.md §5.2; every response carries nextBeginOffset, minOffset,
// maxOffset and suggestWhichBrokerId as strings. A pull that finds nothing is parked in the
// PullRequestHoldService (when the client allows suspending) and re-run on arrival or deadline.
// Followers serve pulls of committed data (slave reads); the leader suggests a follower to a
// consumer far behind when slaveReadEnable is on.
#pragma once

#include "broker/broker_context.h"
#include "common/executor.h"
#include "remoting/request_processor.h"

#include <memory>

namespace rmq::broker {

class PullMessageProcessor final : public remoting::RequestProcessor,
                                   public std::enable_shared_from_this<PullMessageProcessor> {
 public:
  explicit PullMessageProcessor(BrokerContext& ctx) : ctx_(ctx) {}
  // The executor parked pulls re-run on. Set before serving.
  void set_executor(std::shared_ptr<common::Executor> e) { executor_ = std::move(e); }
  void process(const remoting::RequestContext& rc, remoting::RemotingCommand request,
               remoting::Responder responder) override;

 private:
  void pull(std::shared_ptr<const remoting::RemotingCommand> req, remoting::Responder responder,
            bool allow_suspend);

  BrokerContext& ctx_;
  std::shared_ptr<common::Executor> executor_;
};

}  // namespace rmq::broker
