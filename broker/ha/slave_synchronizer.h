// SlaveSynchronizer: a classic slave's copy of its master's metadata (RocketMQ SlaveSynchronize):
// at start, when the master's address becomes known and every `period` it asks the master for
// its topics (GET_ALL_TOPIC_CONFIG 21), subscription groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG 201),
// consumer offsets (GET_ALL_CONSUMER_OFFSET 43) and delay-level progress (GET_ALL_DELAY_OFFSET
// 45) (and soon after request()), and applies what differs from its own tables as one MetaBatch
// (MetadataLog:: apply_replicated): new and changed topics and groups, topics and groups the master
// no longer has, changed offsets. So a consumer reading from the slave while the master is down
// starts at the offsets the master had a few seconds before. One thread; sync calls with a timeout.
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "store/meta/meta_store.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace rmq::remoting {
class Client;
}  // namespace rmq::remoting

namespace rmq::broker {
struct BrokerContext;
}  // namespace rmq::broker

namespace rmq::broker::ha {

class SlaveSynchronizer {
 public:
  SlaveSynchronizer(BrokerContext& ctx, common::Duration period, common::Clock& clock);
  ~SlaveSynchronizer();

  void start();
  void stop();
  // The master's client address ("host:port"); a change syncs at once.
  void set_master_address(const std::string& address);
  // Sync soon (a pull named a topic this slave does not know yet); at most one round a second.
  void request();
  // One round now (on the caller's thread): fetch everything, apply the differences. Returns the
  // number of ops applied.
  common::Result<size_t> sync_once();
  int64_t last_sync_wall_ms() const;

  // The key under which the broker keeps delay-level progress ("level:offset,...").
  static constexpr const char* kScheduleProgressKey = "schedule.progress";

 private:
  void run();
  common::Result<std::string> fetch(const std::string& addr, int32_t code);

  BrokerContext& ctx_;
  const common::Duration period_;
  common::Clock& clock_;
  std::unique_ptr<remoting::Client> client_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string master_;              // GUARDED_BY(mu_)
  bool stop_ = true;                // GUARDED_BY(mu_)
  bool pending_ = false;            // GUARDED_BY(mu_)
  common::TimePoint last_round_{};  // GUARDED_BY(mu_)
  int64_t last_sync_ms_ = 0;        // GUARDED_BY(mu_)
  std::string last_progress_;       // GUARDED_BY(mu_): the delay progress applied last
  std::thread thread_;
};

}  // namespace rmq::broker::ha
