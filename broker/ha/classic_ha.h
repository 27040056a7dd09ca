// ClassicHa: classic master/slave mode (enableDLegerCommitLog=false) for one broker, the part
// the BrokerController wires in. A master (SYNC_MASTER / ASYNC_MASTER) runs an HAService on
// haListenPort and answers every append through it (the LocalCommitLog's replica hook). A SLAVE
// refuses its own appends and metadata changes, runs an HAClient towards the master's HA address
// (haMasterAddress, else what the NameServer's register answer names) and a SlaveSynchronizer
// for topics, groups and offsets. No automatic failover: roles come from the configuration.
// Lifecycle: construct, attach() before the store loads, start() once the store and the remoting
// server run, stop() before the store shuts down. Thread-safe after start().
#pragma once

#include "broker/broker_config.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/meta/meta_store.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace rmq::store {
class MessageStore;
}  // namespace rmq::store

namespace rmq::broker {
struct BrokerContext;
class MetadataLog;
}  // namespace rmq::broker

namespace rmq::broker::ha {

class HAClient;
class HAService;
class SlaveSynchronizer;

class ClassicHa {
 public:
  ClassicHa(const BrokerConfig& config, store::MessageStore& store, MetadataLog& meta_log,
            common::Clock& clock);
  ~ClassicHa();

  // Before the store's load(): a master's log answers appends through the HAService; a slave's
  // log and metadata refuse local writes.
  void attach();
  // After the store started: the HA port (IOError naming haListenPort when it cannot listen) or
  // the slave's client and metadata sync.
  [[nodiscard]] common::Status start(BrokerContext& ctx);
  void stop();

  bool is_slave() const { return slave_; }
  bool sync_master() const { return config_.broker_role == "SYNC_MASTER"; }
  // A master's "brokerIP1:haPort" (registered as haServerAddr); "" for a slave.
  std::string ha_server_addr() const;
  // What a NameServer's register answer says about the group's master (slaves use it).
  void on_master_info(const std::string& master_addr, const std::string& ha_server_addr);
  // A slave: copy the master's metadata soon (a pull named a topic it does not know).
  void request_metadata_sync();
  // A slave that has messages of a topic its metadata does not know yet (the master died before
  // the next metadata sync): a read-only config with as many queues as it has, so the
  // messages can be read. nullopt on a master or without such queues.
  std::optional<store::TopicConfig> topic_from_queues(const std::string& topic) const;
  // The master's client address as last learned; "" if unknown.
  std::string master_addr() const;
  // A master: the brokerId of a slave streaming now, 0 if none (pull suggestions).
  int64_t slave_for_reads() const;
  // Why a slave refuses writes, for SERVICE_NOT_AVAILABLE remarks.
  std::string not_writable_reason() const;
  // raftmq HA_STATUS: role, offsets, per slave acked offset and lag (JSON object).
  std::string status_json() const;

 private:
  const BrokerConfig& config_;
  store::MessageStore& store_;
  MetadataLog& meta_log_;
  common::Clock& clock_;
  const bool slave_;
  std::unique_ptr<HAService> service_;  // master
  std::unique_ptr<HAClient> client_;    // slave
  std::unique_ptr<SlaveSynchronizer> sync_;
  mutable std::mutex mu_;
  std::string master_addr_;  // GUARDED_BY(mu_)
};

}  // namespace rmq::broker::ha
