// PushConsumer: RocketMQ's DefaultMQPushConsumer. Heartbeats (34) to every broker of its topics,
// rebalances the group's queues (38 + an AllocateStrategy) every 20 s and at once on
// NOTIFY_CONSUMER_IDS_CHANGED (40), runs one long-polling pull chain (11, invoke_async; no thread
// per queue) per owned queue and hands the messages to a consume pool, commits "smallest offset
// not yet consumed" (15) every 5 s, on losing a queue and on shutdown, and sends failed messages
// back (36) to %RETRY%<group>, which it also subscribes to. Orderly listeners get one queue at a
// time in offset order, under a broker lock (41) renewed every 20 s and released (42) on shutdown.
// BROADCASTING: every member reads every queue; offsets stay local (memory, optionally a file).
// Reads follow the brokers' suggestWhichBrokerId per queue (RouteCache::find_broker_for_read: the
// suggested broker, else the master / leader, else a slave / follower); a pull failing at the
// transport level marks the address unreachable and goes at once to another broker of the group,
// so a group keeps being consumed from its slave while the master is down. Offsets are only
// committed to the master: while it is unreachable they stay in memory and the next commit after
// it is back carries them (offset queries, consumer lists and start offsets fall back to a slave).
// Timers follow the injected Clock. Thread-safe; start() and shutdown() once each.
#pragma once

#include "client/consumer_wire.h"
#include "client/message_codec.h"
#include "client/rebalance.h"
#include "client/route.h"
#include "common/clock.h"
#include "common/result.h"
#include "remoting/client.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rmq::common {
class ThreadPool;
}  // namespace rmq::common

namespace rmq::client {

enum class ConsumeResult : uint8_t {
  kConsumeSuccess,
  // Concurrent: send the messages back for a later retry (delay level 3 + reconsumeTimes).
  // Orderly: suspend the queue a moment and deliver the same messages again.
  kReconsumeLater,
};

// Receives a batch (at most consume_batch_size) of one queue. An exception counts as
// kReconsumeLater.
using MessageListener = std::function<ConsumeResult(const std::vector<MessageExt>&)>;

struct PushConsumerOptions {
  std::string namesrv = "127.0.0.1:9876";
  std::string group;
  std::map<std::string, std::string> subscriptions;  // topic -> "*" or "TagA || TagB"
  ConsumeFromWhere consume_from = ConsumeFromWhere::kLastOffset;
  int64_t consume_timestamp_ms = 0;  // for kTimestamp (wall-clock ms)
  MessageModel model = MessageModel::kClustering;
  AllocateStrategy allocate = AllocateStrategy::kAveragely;
  int max_reconsume_times = 16;  // then the broker moves the message to %DLQ%<group>
  // Exactly one of the two is set.
  MessageListener concurrent_listener;
  MessageListener orderly_listener;
  size_t consume_threads = 4;
  int consume_batch_size = 1;
  int pull_batch_size = 32;
  size_t max_cached_messages_per_queue = 1000;  // pull flow control
  std::string instance_name;                    // client id "ip@pid#instance"; unique if ""
  std::string client_ip;                        // "" = first non-loopback IPv4
  std::string offset_file;  // BROADCASTING: offsets kept here too ("" = memory only)
  size_t io_threads = 1;

  common::Duration heartbeat_interval = std::chrono::seconds(30);
  common::Duration rebalance_interval = std::chrono::seconds(20);
  common::Duration persist_interval = std::chrono::seconds(5);
  common::Duration lock_interval = std::chrono::seconds(20);
  common::Duration lock_expiry = std::chrono::seconds(30);  // a lock not renewed this long is lost
  common::Duration suspend_timeout = std::chrono::seconds(15);  // broker-side hold of a pull
  common::Duration pull_timeout = std::chrono::seconds(30);
  common::Duration pull_delay_on_error = std::chrono::seconds(3);
  common::Duration consume_retry_delay = std::chrono::seconds(5);  // when 36 failed
  common::Duration orderly_suspend = std::chrono::seconds(1);
  common::Duration request_timeout = std::chrono::seconds(3);
  // How long an address that failed at the transport level is passed over (reads, commits).
  common::Duration unreachable_for = std::chrono::seconds(10);
};

// One owned queue as the consumer reports it.
struct OwnedQueue {
  QueueRef queue;
  int64_t next_pull_offset = 0;
  int64_t consume_offset = 0;  // smallest offset not yet consumed
  size_t cached = 0;           // pulled, not yet consumed
  bool locked = false;         // orderly clustering only
  // Where the last pull went (brokerId 0: master / leader) and the brokerId the next one asks
  // for (the last answer's suggestWhichBrokerId).
  int64_t pull_broker_id = -1;
  std::string pull_addr;
  int64_t suggested_broker_id = 0;
};

class PushConsumer {
 public:
  PushConsumer(PushConsumerOptions options, common::Clock& clock);
  ~PushConsumer();  // shutdown()
  PushConsumer(const PushConsumer&) = delete;
  PushConsumer& operator=(const PushConsumer&) = delete;

  // Checks the options, starts the threads, sends the first heartbeat and rebalance (their
  // failures are logged and retried on the timers).
  [[nodiscard]] common::Status start();
  // Stops pulling, lets queued consume work finish, commits offsets (clustering) or saves them
  // (broadcasting), unlocks orderly queues, unregisters (35) and closes the connections.
  void shutdown();

  const std::string& client_id() const { return client_id_; }
  // The queues owned now, sorted.
  std::vector<OwnedQueue> owned_queues() const;
  // Runs a rebalance now (on the service thread) and waits for it.
  void rebalance_now();
  // Commits (or saves) every owned queue's offset now and waits.
  void persist_now();
  // BROADCASTING: the local offset table (as saved in options.offset_file).
  std::map<QueueRef, int64_t> local_offsets() const;

 private:
  struct ProcessQueue;
  using PqPtr = std::shared_ptr<ProcessQueue>;

  // The owned queues (lock order: mu_ is never held while taking a ProcessQueue's mutex).
  std::vector<PqPtr> snapshot() const;
  std::string retry_topic() const { return "%RETRY%" + options_.group; }
  // The user's subscriptions plus the retry topic (clustering).
  std::map<std::string, std::string> all_subscriptions() const;
  std::set<std::string> broker_addrs(bool masters_only);

  // Delayed tasks on the timer thread; `fn` must not block.
  void schedule(common::Duration delay, std::function<void()> fn);
  // Runs `fn` on the service thread every `interval`.
  void every(common::Duration interval, std::function<void()> fn);
  void timer_loop();
  // Work on the single service thread (heartbeat, rebalance, commits, locks, route refreshes).
  void on_service(std::function<void()> fn);
  // REQUIRES: not called on the service thread.
  void run_on_service_and_wait(std::function<void()> fn);

  // Service thread.
  void heartbeat_all();
  void rebalance();
  // False when the topic has no route (yet).
  bool rebalance_topic(const std::string& topic, const std::string& sub_string);
  common::Result<std::vector<std::string>> consumer_ids(const std::string& addr);
  // consumer_ids from the route's brokers: masters first, then slaves, unreachable ones last.
  common::Result<std::vector<std::string>> consumer_ids_of(const TopicRoute& route);
  common::Result<int64_t> compute_start_offset(const QueueRef& q);
  // The master of q's group per the route (fetched when stale) or pq->addr; "" when it is marked
  // unreachable. Service thread.
  std::string commit_addr(const PqPtr& pq);
  // The master per the cached route (else pq->addr). Any thread.
  std::string cached_master(const PqPtr& pq);
  // Fetches the topic's route again on the service thread (once at a time per topic).
  void refresh_route_later(const std::string& topic);
  void drop_queue(const PqPtr& pq);
  void persist_all();
  void commit_offset(const PqPtr& pq);
  void remember_local_offset(const PqPtr& pq);
  void lock_all();
  common::Result<std::set<QueueRef>> lock_batch(const std::string& addr,
                                                const std::vector<QueueRef>& qs);
  void unlock_batch(const std::string& addr, const std::vector<QueueRef>& qs);
  void unlock_all();
  void unregister_all();
  void load_offset_file();
  void save_offset_file();

  // I/O threads and the timer thread.
  // Where q's next pull goes: find_broker_for_read over the cached route with the queue's
  // suggestion (pq->addr as the master when there is no cached route).
  BrokerPick read_broker(const PqPtr& pq);
  void pull(const PqPtr& pq);
  void on_pull_result(const PqPtr& pq, const BrokerPick& from,
                      common::Result<remoting::RemotingCommand> r);
  void pull_later(const PqPtr& pq, common::Duration delay, bool refresh_addr);

  // Consume pool.
  void submit_consume(const PqPtr& pq, std::vector<MessageExt> batch, common::Duration delay);
  void consume_concurrently(const PqPtr& pq, std::vector<MessageExt> batch);
  ConsumeResult call_listener(const MessageListener& listener,
                              const std::vector<MessageExt>& batch);
  void trigger_orderly(const PqPtr& pq);
  void resume_orderly_later(const PqPtr& pq, common::Duration delay);
  void consume_orderly(const PqPtr& pq);
  // Asks the broker for the queue's lock again after orderly_suspend, then retriggers.
  void relock_later(const PqPtr& pq);
  common::Status send_back(const PqPtr& pq, const MessageExt& msg, int delay_level);

  const PushConsumerOptions options_;
  common::Clock& clock_;
  std::string client_id_;
  bool orderly_ = false;
  int64_t sub_version_ = 0;
  remoting::Client client_;
  RouteCache routes_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};

  std::unique_ptr<common::ThreadPool> service_;
  std::unique_ptr<common::ThreadPool> consume_;

  // Timer thread: deadline -> task.
  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::multimap<common::TimePoint, std::function<void()>> timers_;  // GUARDED_BY(timer_mu_)
  bool timer_stop_ = false;                                         // GUARDED_BY(timer_mu_)
  std::thread timer_thread_;

  mutable std::mutex mu_;
  std::map<QueueRef, PqPtr> table_;            // GUARDED_BY(mu_); changed on the service thread
  std::map<QueueRef, int64_t> local_offsets_;  // GUARDED_BY(mu_); BROADCASTING
  std::set<std::string> refreshing_;           // GUARDED_BY(mu_): route fetches queued
  common::Duration missing_route_backoff_{};   // service thread only
};

}  // namespace rmq::client
