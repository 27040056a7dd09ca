// BrokerContext: what the request processors share, built and owned by the BrokerController
// (references only; every part outlives the processors). Also the few decisions every processor
// makes the same way: may this node take writes, the store host of stored messages, the broker's
// current permission.
#pragma once

#include "broker/broker_config.h"
#include "broker/broker_stats.h"
#include "common/clock.h"
#include "store/message.h"

#include <atomic>
#include <functional>
#include <string>

namespace rmq::store {
class MessageStore;
}  // namespace rmq::store

namespace rmq::broker::ha {
class ClassicHa;
}  // namespace rmq::broker::ha

namespace rmq::broker {

class ClientManager;
class ConsumerOffsetManager;
class DLedgerCommitLog;
class MetadataLog;
class PullRequestHoldService;
class RebalanceLockManager;
class ScheduleMessageService;
class SubscriptionGroupManager;
class TopicConfigManager;

struct BrokerContext {
  const BrokerConfig& config;
  common::Clock& clock;
  store::MessageStore& store;
  DLedgerCommitLog* dledger = nullptr;  // null in local mode
  MetadataLog& meta_log;
  TopicConfigManager& topics;
  SubscriptionGroupManager& groups;
  ConsumerOffsetManager& offsets;
  ClientManager& clients;
  RebalanceLockManager& locks;
  PullRequestHoldService& hold;
  BrokerStats& stats;
  store::HostAddress store_host;  // brokerIP1:listenPort
  std::string broker_addr;        // the same as text
  std::atomic<int32_t> permission{6};
  std::vector<int64_t> delay_levels_ms;
  std::function<void()> register_now;  // re-register with the NameServers (async)
  // Sends NOTIFY_CONSUMER_IDS_CHANGED to the group's consumers (async, oneway).
  std::function<void(const std::string& group)> notify_consumers_changed;
  std::function<std::string()> config_dump;    // effective config as "key=value" lines
  ha::ClassicHa* ha = nullptr;                 // classic master/slave mode only
  ScheduleMessageService* schedule = nullptr;  // delay-level progress (GET_ALL_DELAY_OFFSET)

  // Leader (DLedger) or the local node; sends, offset commits and metadata need it.
  bool writable_node() const;
  // Why not, for the remark of SERVICE_NOT_AVAILABLE ("not the leader; leader is n2 at ...").
  std::string not_writable_reason() const;
  // 0 for the leader/local node, the node id for a follower (its brokerId in routes).
  int64_t broker_id() const;
  int64_t raft_term() const;
  // DLedger mode: the broker id (node id) of a follower consumers may read from; 0 if none.
  // Classic mode: a connected slave's brokerId on a master; 0 if none.
  int64_t follower_for_reads() const;
  // Other nodes hold this log (DLedger, or classic master/slave): reads may be sent to them.
  bool replicated() const { return dledger != nullptr || ha != nullptr; }
};

}  // namespace rmq::broker
