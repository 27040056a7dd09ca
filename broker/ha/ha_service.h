// HAService: the master's side of the classic HA channel (RocketMQ HAService + HAConnection +
// AcceptSocketService). It listens on haListenPort; each slave that connects sends a Hello, gets
// a start decision (stream, truncate, refuse; ha_protocol.h) and is then streamed the CommitLog's
// bytes from the mapped segments (no copy: the frame header and a view of the mapping go out in
// one gather write), in batches of at most haTransferBatchSize, with a heartbeat every
// haSendHeartbeatInterval when there is nothing to send. The slave's 8-byte reports are its
// acknowledged offset. As the LocalCommitLog's replica hook it answers every append: at once
// (ASYNC_MASTER), or (SYNC_MASTER) once a slave acknowledged the append's end
// (GroupTransferService), with FLUSH_SLAVE_TIMEOUT after syncFlushTimeout and
// SLAVE_NOT_AVAILABLE at once when no slave is connected or the nearest one is more than
// haSlaveFallbehindMax behind.
// Threads: one I/O thread ("rmq-ha") runs the acceptor, every connection and a 100 ms tick
// (heartbeats, silent slaves, expired waits). Appenders only wake idle connections (one post per
// burst). Lifecycle: construct, start(), stop() (also in the destructor). Thread-safe.
#pragma once

#include "broker/ha/group_transfer_service.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/commit_log.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rmq::store {
class LocalCommitLog;
}  // namespace rmq::store

namespace rmq::broker::ha {

struct HAServiceOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 10912;  // 0: any free port
  bool sync_master = false;
  common::Duration heartbeat_interval = std::chrono::seconds(5);      // haSendHeartbeatInterval
  common::Duration housekeeping_interval = std::chrono::seconds(20);  // haHousekeepingInterval
  uint32_t transfer_batch_size = 256 * 1024;                          // haTransferBatchSize
  common::Duration slave_wait_timeout = std::chrono::seconds(5);      // syncFlushTimeout
  int64_t slave_fallbehind_max = 256ll * 1024 * 1024;                 // haSlaveFallbehindMax
};

struct SlaveInfo {
  std::string address;  // the slave's end of the connection
  int64_t broker_id = 0;
  int64_t acked_offset = 0;  // its last report
  int64_t sent_offset = 0;   // what has been written to it
  int64_t last_report_wall_ms = 0;
};

class HAService {
 public:
  HAService(HAServiceOptions options, store::LocalCommitLog& log, common::Clock& clock);
  ~HAService();
  HAService(const HAService&) = delete;
  HAService& operator=(const HAService&) = delete;

  // Binds the port and starts the thread; IOError naming the port when it cannot listen.
  [[nodiscard]] common::Status start();
  // Closes every connection and fails every waiting append (FLUSH_SLAVE_TIMEOUT).
  void stop();
  uint16_t port() const { return port_.load(); }

  // The LocalCommitLog's replica hook (see the header comment).
  void on_append(const store::AppendResult& r, store::AppendCallback done);

  const HAServiceOptions& options() const { return options_; }
  // Slaves streaming now, in connection order.
  std::vector<SlaveInfo> slaves() const;
  // The highest offset any slave acknowledged (monotonic).
  int64_t acked_offset() const { return transfer_.acked(); }
  size_t waiting_appends() const { return transfer_.pending(); }

 private:
  class Connection;
  class Impl;
  void do_accept();
  void do_tick();

  const HAServiceOptions options_;
  store::LocalCommitLog& log_;
  common::Clock& clock_;
  GroupTransferService transfer_;
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> running_{false};
  std::unique_ptr<Impl> impl_;  // the Asio parts; kept until destruction once started
};

}  // namespace rmq::broker::ha
