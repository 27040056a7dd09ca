// ResponseTable: outstanding requests keyed by opaque (NettyRemotingAbstract.responseTable).
// Each entry completes exactly once: with the response, a timeout found by scan_timeouts() (time
// from the injected Clock), or the failure of its connection. Callbacks run on the thread that
// completes the entry, outside the table's lock. Thread-safe.
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "remoting/remoting_command.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace rmq::remoting {

using ResponseCallback = std::function<void(common::Result<RemotingCommand>)>;

class ResponseTable {
 public:
  explicit ResponseTable(common::Clock& clock) : clock_(clock) {}

  int32_t next_opaque() { return next_opaque_.fetch_add(1, std::memory_order_relaxed); }

  // Registers a request sent on connection `conn_id`, expiring `timeout` from now.
  void add(int32_t opaque, uint64_t conn_id, common::Duration timeout, ResponseCallback cb);
  // Completes with a response. False when the opaque is unknown (late, duplicate, or a reply to a
  // request that had no callback): the caller drops it.
  bool complete(int32_t opaque, RemotingCommand response);
  // Completes one entry or all entries of a connection with an error.
  void fail(int32_t opaque, const common::Status& error);
  void fail_connection(uint64_t conn_id, const common::Status& error);
  void fail_all(const common::Status& error);
  // Fails every entry past its deadline with Timeout; returns how many.
  size_t scan_timeouts();

  size_t size() const;

 private:
  struct Pending {
    uint64_t conn_id;
    common::TimePoint deadline;
    ResponseCallback cb;
  };
  std::vector<Pending> take_if(const std::function<bool(int32_t, const Pending&)>& pred);

  common::Clock& clock_;
  std::atomic<int32_t> next_opaque_{1};
  mutable std::mutex mu_;
  std::unordered_map<int32_t, Pending> pending_;  // GUARDED_BY(mu_)
};

}  // namespace rmq::remoting
