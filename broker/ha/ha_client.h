// HAClient: the slave's side of the classic HA channel (RocketMQ HAService.HAClient). It connects
// to the master's HA address (learned from the NameServer's register answer, or haMasterAddress),
// sends a Hello (its log end, the crc of its last bytes), then appends every data frame at the
// same physical offset (LocalCommitLog::append_raw; the store's dispatcher builds the consume
// queues) and reports its log end after each read and every report interval. A truncate frame
// cuts the store (MessageStore::truncate_to) and reconnects at once; an offset that does not
// continue the log, a silent master (housekeeping interval) or an error reconnects after the
// reconnect interval.
// Threads: one I/O thread ("rmq-ha-client"). Lifecycle: construct, start(), stop(). Thread-safe.
#pragma once

#include "common/clock.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace rmq::store {
class MessageStore;
}  // namespace rmq::store

namespace rmq::broker::ha {

struct HAClientOptions {
  int64_t broker_id = 1;
  common::Duration report_interval = std::chrono::seconds(1);
  common::Duration housekeeping_interval = std::chrono::seconds(20);  // haHousekeepingInterval
  common::Duration reconnect_interval = std::chrono::seconds(1);
};

struct HAClientStatus {
  std::string master_address;      // HA address in use ("" = none known yet)
  bool connected = false;          // streaming from the master
  int64_t max_offset = 0;          // this slave's log end
  int64_t master_max_offset = -1;  // the master's end per its last heartbeat (-1: unknown)
  int64_t last_receive_wall_ms = 0;
  uint64_t truncations = 0;
  uint64_t connections = 0;
};

class HAClient {
 public:
  HAClient(HAClientOptions options, store::MessageStore& store, common::Clock& clock);
  ~HAClient();
  HAClient(const HAClient&) = delete;
  HAClient& operator=(const HAClient&) = delete;

  void start();
  void stop();
  // "host:port" of the master's HA port; a change reconnects. "" disconnects.
  void set_master_address(const std::string& address);
  HAClientStatus status() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> started_{false};
};

}  // namespace rmq::broker::ha
