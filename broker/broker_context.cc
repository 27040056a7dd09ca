#include "broker/broker_context.h"

#include "broker/ha/classic_ha.h"
#include "broker/replication/dledger_commit_log.h"

namespace rmq::broker {

bool BrokerContext::writable_node() const {
  if (ha != nullptr && ha->is_slave()) return false;
  return dledger == nullptr || dledger->writable();
}

std::string BrokerContext::not_writable_reason() const {
  if (ha != nullptr && ha->is_slave()) return ha->not_writable_reason();
  if (dledger == nullptr) return "service not available now";
  return dledger->not_writable_reason();
}

int64_t BrokerContext::broker_id() const {
  if (dledger == nullptr) return config.broker_id;
  return dledger->is_leader() ? 0 : static_cast<int64_t>(dledger->options().self.value());
}

int64_t BrokerContext::raft_term() const { return dledger == nullptr ? 0 : dledger->term(); }

int64_t BrokerContext::follower_for_reads() const {
  if (ha != nullptr) return ha->slave_for_reads();
  if (dledger == nullptr) return 0;
  const auto leader = dledger->node().leader_id();
  for (const auto& [id, addr] : dledger->options().peers) {
    if (id != leader) return static_cast<int64_t>(id.value());
  }
  return 0;
}

}  // namespace rmq::broker
