// PullConsumer: RocketMQ's DefaultMQPullConsumer, where the application drives the reads: the
// queues of a topic (route), PULL_MESSAGE (11) on one queue from an offset the caller chooses
// (answered at once, or held by the broker until a message arrives: long polling), the queue's
// min / max offsets and the offset of a time (31 / 30 / 29), and the group's committed offsets:
// fetch_offset (QUERY_CONSUMER_OFFSET, 14), update_offset kept in memory, commit()
// (UPDATE_CONSUMER_OFFSET, 15) of the ones that changed. No heartbeat, no rebalance: the group is
// only the name its offsets are kept under. Pulls go where the broker last suggested for the queue
// (the answer's suggestWhichBrokerId; RocketMQ's PullAPIWrapper.pullFromWhichNodeTable), through
// RouteCache::find_broker_for_read: that broker when the route lists it, else the master / leader
// (brokerId 0), else a slave / follower. A pull that fails at the transport level marks the
// address unreachable for a while and is retried at once on another broker of the group (a slave
// while the master is down). Offset queries (14, 29-31) go to the master and fall back to a
// slave; commits (15) only go to the master: while it is unreachable they fail and the offsets
// stay in memory for the next commit().
// pull_async never blocks its caller (it may run on an I/O thread, e.g. a pull chained from a
// pull's callback): a route that must be fetched first is fetched on the consumer's own thread.
// Thread-safe after start(); callbacks run on the client's I/O threads (or the route thread).
#pragma once

#include "client/consumer_wire.h"
#include "client/message_codec.h"
#include "client/route.h"
#include "common/clock.h"
#include "common/result.h"
#include "remoting/client.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::common {
class ThreadPool;
}  // namespace rmq::common

namespace rmq::client {

// Java's PullStatus (response codes 0, 19, 20, 21).
enum class PullStatus : uint8_t { kFound, kNoNewMsg, kNoMatchedMsg, kOffsetIllegal };
std::string_view to_string(PullStatus s);  // "FOUND", "NO_NEW_MSG", ...

struct PullResult {
  PullStatus status = PullStatus::kNoNewMsg;
  int64_t next_begin_offset = 0;  // where the next pull of this queue starts
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  // kFound: the messages whose tag matches the expression (the broker filters by tag hash code,
  // the client again by the tag itself), in queue order; may be empty.
  std::vector<MessageExt> messages;
  // The broker that answered, and the one it suggests for the next pull of the queue (which the
  // consumer then uses).
  std::string broker_addr;
  int64_t broker_id = 0;
  int64_t suggest_which_broker_id = 0;
};

struct PullConsumerOptions {
  std::string namesrv = "127.0.0.1:9876";
  std::string group = "raftmq_pull_consumer";
  size_t io_threads = 1;
  common::Duration request_timeout = std::chrono::seconds(5);
  // A blocking pull: how long the broker may hold it, and the client's timeout for it.
  common::Duration suspend_timeout = std::chrono::seconds(15);
  common::Duration block_timeout = std::chrono::seconds(30);
  common::Duration route_max_age = std::chrono::seconds(30);
  // How long an address that failed at the transport level is passed over for reads.
  common::Duration unreachable_for = std::chrono::seconds(10);
};

class PullConsumer {
 public:
  using PullCallback = std::function<void(common::Result<PullResult>)>;

  PullConsumer(PullConsumerOptions options, common::Clock& clock);
  ~PullConsumer();  // shutdown()
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  void start();
  // Commits the changed offsets (errors are logged), then stops; pending callbacks run (with an
  // Aborted error) before it returns.
  void shutdown();

  // The topic's readable queues, from a freshly fetched route.
  [[nodiscard]] common::Result<std::vector<QueueRef>> fetch_queues(const std::string& topic);

  // One pull of up to `max_nums` messages from `offset`, answered at once.
  [[nodiscard]] common::Result<PullResult> pull(const QueueRef& q, int64_t offset, int32_t max_nums,
                                                std::string_view expression = "*");
  // As pull(), but the broker holds the request (up to suspend_timeout) while there is nothing
  // new at `offset`, answering as soon as a message arrives (Java's pullBlockIfNotFound).
  [[nodiscard]] common::Result<PullResult> pull_block_if_not_found(
      const QueueRef& q, int64_t offset, int32_t max_nums, std::string_view expression = "*");
  // Either of the two, answered through `cb` (exactly once). Errors: the transport's, or a
  // response code other than 0/19/20/21 (Unavailable, with the code and remark).
  void pull_async(const QueueRef& q, int64_t offset, int32_t max_nums, std::string_view expression,
                  bool block, PullCallback cb);

  // GET_MIN_OFFSET (31), GET_MAX_OFFSET (30: the next offset to be written), and
  // SEARCH_OFFSET_BY_TIMESTAMP (29: the first offset stored at or after `timestamp_ms`).
  [[nodiscard]] common::Result<int64_t> min_offset(const QueueRef& q);
  [[nodiscard]] common::Result<int64_t> max_offset(const QueueRef& q);
  [[nodiscard]] common::Result<int64_t> search_offset(const QueueRef& q, int64_t timestamp_ms);

  // The group's committed offset of `q` on the broker; -1 when it has none (QUERY_NOT_FOUND).
  [[nodiscard]] common::Result<int64_t> fetch_offset(const QueueRef& q);
  // Remembers `offset` (the next one to consume) for the next commit().
  void update_offset(const QueueRef& q, int64_t offset);
  // The offset last given to update_offset (-1 if none).
  int64_t local_offset(const QueueRef& q) const;
  // UPDATE_CONSUMER_OFFSET to the master for every queue whose offset changed since its last
  // commit; every queue is tried, the error names each failure. A failed one stays pending.
  [[nodiscard]] common::Status commit();

  // The brokerId the next pull of `q` asks for (the last suggestWhichBrokerId; 0 at first).
  int64_t suggested_broker(const QueueRef& q) const;
  // Sets it, as RocketMQ's PullAPIWrapper.updatePullFromWhichNode (e.g. to read a follower).
  void set_suggested_broker(const QueueRef& q, int64_t broker_id);

  const std::string& group() const { return options_.group; }
  RouteCache& routes() { return routes_; }

 private:
  struct Tracked {
    int64_t offset = -1;
    int64_t committed = -1;
  };

  // Where the next pull of q goes (find_broker_for_read with q's suggestion), fetching the route
  // when missing or stale (`refresh`: always).
  common::Result<BrokerPick> read_broker(const QueueRef& q, bool refresh = false);
  // The same from the cached route only (even stale: a refresh is started in the background);
  // none found when there is no cached route.
  BrokerPick cached_read_broker(const QueueRef& q);
  void refresh_later(const std::string& topic);
  remoting::RemotingCommand pull_request(const QueueRef& q, int64_t offset, int32_t max_nums,
                                         const TagFilter& filter, bool block) const;
  common::Result<PullResult> interpret(const remoting::RemotingCommand& r, const QueueRef& q,
                                       const BrokerPick& from, const TagFilter& filter);
  void send_pull(const BrokerPick& to, const QueueRef& q, int64_t offset, int32_t max_nums,
                 const std::shared_ptr<const TagFilter>& filter, bool block, bool retried,
                 PullCallback cb);
  common::Status transport_error(const common::Status& st, const QueueRef& q,
                                 const std::string& addr) const;
  common::Result<int64_t> offset_request(const QueueRef& q, int32_t code, int64_t timestamp_ms);
  common::Result<PullResult> pull_sync(const QueueRef& q, int64_t offset, int32_t max_nums,
                                       std::string_view expression, bool block);

  const PullConsumerOptions options_;
  common::Clock& clock_;
  remoting::Client client_;
  RouteCache routes_;
  std::unique_ptr<common::ThreadPool> route_pool_;  // route fetches for pull_async
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  std::map<QueueRef, Tracked> offsets_;    // GUARDED_BY(mu_)
  std::map<QueueRef, int64_t> suggested_;  // GUARDED_BY(mu_): the next pull's brokerId
  std::set<std::string> refreshing_;       // GUARDED_BY(mu_): topics being fetched in background
};

}  // namespace rmq::client
