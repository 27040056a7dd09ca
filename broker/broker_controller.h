// BrokerController: one broker node, the composition root (RocketMQ BrokerController). Builds the
// metadata store, the message store over a local or a Raft-replicated commit log, the metadata
// log and the managers fed by it, the client tables, long polling, the delay-level service, the
// remoting server with one executor per kind of request (send, pull, client, consumer, admin),
// and the NameServer registrar. Raft role changes are handled on their own thread: a new leader
// registers as brokerId 0 as soon as it accepts writes and starts delivering delayed messages; a
// deposed one stops and re-registers as a follower.
// Lifecycle: construct, start(), stop() (also in the destructor); from one thread.
#pragma once

#include "broker/broker_config.h"
#include "broker/broker_context.h"
#include "common/clock.h"
#include "common/status.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace rmq::common {
class ThreadPool;
}  // namespace rmq::common
namespace rmq::remoting {
class Server;
}  // namespace rmq::remoting
namespace rmq::store {
class FileSystem;
class MessageStore;
class MetaStore;
}  // namespace rmq::store

namespace rmq::broker {

class AdminProcessor;
class NamesrvRegistrar;
class ScheduleMessageService;

class BrokerController {
 public:
  BrokerController(BrokerConfig config, common::Clock& clock);
  ~BrokerController();
  BrokerController(const BrokerController&) = delete;
  BrokerController& operator=(const BrokerController&) = delete;

  // InvalidArgument for a bad configuration, IOError when a port or directory is unusable.
  [[nodiscard]] common::Status start();
  void stop();

  uint16_t port() const;
  // The bound /metrics port; 0 when disabled (metricsPort=-1) or not started.
  uint16_t metrics_port() const;
  const BrokerConfig& config() const { return config_; }
  BrokerContext& context() { return *ctx_; }
  AdminProcessor& admin() { return *admin_; }

 private:
  struct Parts;
  common::Status build();
  common::Status start_parts();
  void on_role_change(bool leader);
  void housekeeping_loop();
  std::string registration_body() const;

  BrokerConfig config_;
  common::Clock& clock_;
  std::unique_ptr<Parts> parts_;
  std::unique_ptr<BrokerContext> ctx_;
  std::shared_ptr<AdminProcessor> admin_;
  bool started_ = false;  // start() succeeded
  bool live_ = false;     // some part may be running: stop() has work to do

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread housekeeping_;
};

}  // namespace rmq::broker
