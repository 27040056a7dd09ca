// Producer: sends messages to the brokers of a topic's route (RocketMQ DefaultMQProducer): queues
// chosen round robin or by a selector (ordered sends), sync / async / oneway, and retries on
// another queue (another broker when there is one) after a retryable error, refreshing the route
// at once after "not the leader" or a connection failure instead of waiting for the 30 s poll.
// Thread-safe after start().
#pragma once

#include "client/route.h"
#include "common/clock.h"
#include "common/result.h"
#include "remoting/client.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rmq::common {
class ThreadPool;
}  // namespace rmq::common

namespace rmq::client {

struct Message {
  std::string topic;
  std::string tags;
  std::string keys;  // space-separated
  std::string body;
  int delay_level = 0;
  std::vector<std::pair<std::string, std::string>> properties;  // extra user properties
};

struct SendResult {
  std::string msg_id;  // the broker's offsetMsgId
  std::string uniq_key;
  std::string broker_name;
  std::string broker_addr;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int64_t raft_term = 0;
  int64_t raft_index = 0;
  std::string durability;
  int attempts = 1;
};

struct ProducerOptions {
  std::string namesrv = "127.0.0.1:9876";
  std::string group = "raftmq_producer";
  int retries = 2;  // extra attempts after the first
  common::Duration timeout = std::chrono::seconds(3);
  size_t io_threads = 2;
};

class Producer {
 public:
  using SendCallback = std::function<void(common::Result<SendResult>)>;
  // Picks a queue index in [0, n) for a message (e.g. by a sharding key).
  using Selector = std::function<size_t(const Message&, size_t n)>;

  Producer(ProducerOptions options, common::Clock& clock);
  ~Producer();
  void start();
  void shutdown();

  common::Result<SendResult> send(const Message& msg, const Selector& selector = nullptr);
  void send_async(const Message& msg, SendCallback cb, const Selector& selector = nullptr);
  common::Status send_oneway(const Message& msg);
  // One attempt to one queue (no retry).
  common::Result<SendResult> send_to(const Message& msg, const QueueRef& queue);

  RouteCache& routes() { return routes_; }
  remoting::Client& remoting() { return client_; }

 private:
  struct Attempt;
  void attempt_async(std::shared_ptr<Attempt> a);
  common::Result<std::pair<QueueRef, std::string>> pick(const Message& msg, const Selector& sel,
                                                        const std::string& avoid_broker,
                                                        bool refresh);
  remoting::RemotingCommand build(const Message& msg, int32_t queue_id, std::string* uniq) const;
  common::Result<SendResult> interpret(const common::Result<remoting::RemotingCommand>& r,
                                       const QueueRef& q, const std::string& addr,
                                       const std::string& uniq, bool* retry, bool* refresh) const;

  ProducerOptions options_;
  common::Clock& clock_;
  remoting::Client client_;
  RouteCache routes_;
  std::atomic<uint64_t> round_robin_{0};
  mutable std::atomic<uint64_t> uniq_counter_{0};  // build() is const
  std::string uniq_prefix_;
  std::unique_ptr<common::ThreadPool> retry_pool_;  // async retries (may refresh routes)
};

}  // namespace rmq::client
