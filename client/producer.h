// Producer: sends messages to the brokers of a topic's route (RocketMQ DefaultMQProducer): queues
// chosen round robin or by a selector (ordered sends), sync / async / oneway, batches
// (SEND_BATCH_MESSAGE, 320), and retries on another queue (another broker when there is one)
// after a retryable error, refreshing the route at once after "not the leader" or a connection
// failure instead of waiting for the 30 s poll. With send_latency_fault_enable, brokers that were
// slow or failed are skipped for a while (client/latency_fault.h). Async sends never block the
// calling thread on a NameServer: when the route must be fetched first, the attempt moves to the
// producer's own thread. Thread-safe after start().
#pragma once

#include "client/latency_fault.h"
#include "client/route.h"
#include "common/clock.h"
#include "common/result.h"
#include "remoting/client.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  std::string msg_id;    // the broker's offsetMsgId (a batch: comma-joined, one per message)
  std::string uniq_key;  // UNIQ_KEY (a batch: comma-joined, as Java's batch msgId)
  std::string broker_name;
  std::string broker_addr;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int64_t raft_term = 0;
  int64_t raft_index = 0;
  std::string durability;
  int attempts = 1;
  // send_batch only: one entry per message, in the batch's order; message i has queue offset
  // queue_offset + i.
  std::vector<std::string> msg_ids;
  std::vector<std::string> uniq_keys;
};

struct ProducerOptions {
  std::string namesrv = "127.0.0.1:9876";
  std::string group = "raftmq_producer";
  int retries = 2;  // extra attempts after the first
  common::Duration timeout = std::chrono::seconds(3);
  size_t io_threads = 2;
  // RocketMQ's sendLatencyFaultEnable: skip brokers that were slow or failed for a while.
  bool send_latency_fault_enable = false;
  common::Duration route_max_age = std::chrono::seconds(30);  // cached routes older are refetched
};

// The properties string a message is sent with: TAGS, KEYS, DELAY, UNIQ_KEY, WAIT=true, then the
// user's properties ("k\x01v\x02" each).
std::string send_properties(const Message& msg, std::string_view uniq_key);
// RocketMQ's MessageBatch body (PROTOCOL.md §6.4): per message [4 TOTALSIZE][4 MAGICCODE=0]
// [4 BODYCRC=0][4 FLAG=0][4 body length][body][2 properties length][properties], big-endian, with
// send_properties(msgs[i], uniq_keys[i]). InvalidArgument for an empty batch, differing or empty
// topics, a retry topic, a delay level (Java rejects both), properties over 32767 bytes, or a
// uniq_keys size that differs from msgs.
[[nodiscard]] common::Result<std::string> encode_batch_body(
    const std::vector<Message>& msgs, const std::vector<std::string>& uniq_keys);

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
  // Java's send(Collection<Message>): the messages (same topic, no delay) in one request
  // (SEND_BATCH_MESSAGE) to one queue, stored with consecutive offsets; retried as send().
  common::Result<SendResult> send_batch(const std::vector<Message>& msgs);
  void send_batch_async(const std::vector<Message>& msgs, SendCallback cb);

  RouteCache& routes() { return routes_; }
  remoting::Client& remoting() { return client_; }
  const LatencyFaultTolerance& fault_tolerance() const { return faults_; }

 private:
  struct Outgoing;
  struct Attempt;
  // `may_block`: false on the caller's (possibly an I/O) thread: a route that is missing or stale
  // moves the attempt to retry_pool_ instead of a synchronous NameServer call.
  void attempt_async(std::shared_ptr<Attempt> a, bool may_block);
  void start_async(std::shared_ptr<Attempt> a);
  // `route`: the route to use (null: look it up, fetching it when missing or stale).
  common::Result<std::pair<QueueRef, std::string>> pick(
      const Message& msg, const Selector& sel, const std::string& avoid_broker, bool refresh,
      std::shared_ptr<const TopicRoute> route = nullptr);
  std::string next_uniq();
  void prepare(const Message& msg, Outgoing* out);
  common::Status prepare_batch(const std::vector<Message>& msgs, Outgoing* out);
  common::Result<SendResult> send_sync(const Message& msg, const Outgoing& out,
                                       const Selector& selector);
  remoting::RemotingCommand build(const Outgoing& out, int32_t queue_id) const;
  common::Result<SendResult> interpret(const common::Result<remoting::RemotingCommand>& r,
                                       const QueueRef& q, const std::string& addr,
                                       const Outgoing& out, bool* retry, bool* refresh) const;
  // Feeds the fault table (when enabled) with an attempt that started at `started`.
  void note_attempt(const std::string& broker, common::TimePoint started, bool ok, bool retryable);

  ProducerOptions options_;
  common::Clock& clock_;
  remoting::Client client_;
  RouteCache routes_;
  LatencyFaultTolerance faults_;
  std::atomic<uint64_t> round_robin_{0};
  std::atomic<uint64_t> uniq_counter_{0};
  std::string uniq_prefix_;
  std::unique_ptr<common::ThreadPool> retry_pool_;  // async attempts that may fetch a route
};

}  // namespace rmq::client
