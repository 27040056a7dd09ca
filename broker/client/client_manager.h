// ClientManager: the broker's table of live producers and consumers, fed by HEART_BEAT and
// UNREGISTER_CLIENT and emptied by connection close and expiry (Java's ProducerManager and
// ConsumerManager in one). Clients are keyed by (group, clientId); each remembers the connection
// its last heartbeat came on, so a client that reconnects moves to its new connection and a close
// of the old one does not remove it. Time comes from the injected Clock. Thread-safe (one mutex).
#pragma once

#include "common/clock.h"
#include "common/thread_annotations.h"
#include "remoting/protocol/heartbeat.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rmq::remoting {
class Connection;
}

namespace rmq::broker {

// The broker keeps the heartbeat's own model (remoting/protocol/heartbeat.h).
using remoting::protocol::ConsumeFromWhere;
using remoting::protocol::ConsumerData;
using remoting::protocol::ConsumeType;
using remoting::protocol::HeartbeatData;
using remoting::protocol::MessageModel;
using remoting::protocol::SubscriptionData;

// Who sent a heartbeat: the connection and the request header's language/version.
struct ClientChannel {
  uint64_t connection_id = 0;
  std::string remote_address;  // "ip:port"
  std::weak_ptr<remoting::Connection> connection;
  std::string language;  // e.g. "JAVA", "CPP"
  int32_t version = 0;
};

// One registered client as GET_CONSUMER_CONNECTION_LIST reports it.
struct ClientConnectionInfo {
  std::string client_id;
  std::string client_addr;
  std::string language;
  int32_t version = 0;
  uint64_t connection_id = 0;
  common::TimePoint last_update{};
};

struct ConsumerGroupInfo {
  std::string group;
  // From the group's most recent heartbeat.
  ConsumeType consume_type = ConsumeType::kConsumePassively;
  MessageModel message_model = MessageModel::kClustering;
  ConsumeFromWhere consume_from_where = ConsumeFromWhere::kConsumeFromLastOffset;
  std::vector<ClientConnectionInfo> connections;  // sorted by client id
  // topic -> the subscription with the highest subVersion among the members.
  std::map<std::string, SubscriptionData> subscriptions;
};

class ClientManager {
 public:
  static constexpr common::Duration kDefaultExpiry = std::chrono::seconds(120);

  explicit ClientManager(common::Clock& clock) : clock_(clock) {}
  ClientManager(const ClientManager&) = delete;
  ClientManager& operator=(const ClientManager&) = delete;

  // Registers every producer and consumer group of `hb`. Returns the consumer groups whose
  // consumer id set or subscriptions changed (sorted), i.e. those to send
  // NOTIFY_CONSUMER_IDS_CHANGED to.
  std::vector<std::string> register_heartbeat(const HeartbeatData& hb, const ClientChannel& ch);
  void register_producer(const std::string& group, const std::string& client_id,
                         const ClientChannel& ch);
  // Returns true when the group gained a member or its subscriptions (topic -> subString)
  // changed. Refreshes the client's last-update time either way.
  bool register_consumer(const ConsumerData& data, const std::string& client_id,
                         const ClientChannel& ch);

  // UNREGISTER_CLIENT: an empty group name is skipped. Returns true when the consumer group lost
  // the member.
  bool unregister(const std::string& client_id, const std::string& producer_group,
                  const std::string& consumer_group);
  // Removes every client whose current connection is `connection_id`. Returns the consumer groups
  // whose membership changed (sorted).
  std::vector<std::string> on_connection_closed(uint64_t connection_id);
  // Removes clients with no heartbeat for longer than `timeout`. Returns changed consumer groups.
  std::vector<std::string> scan_expired(common::Duration timeout = kDefaultExpiry);

  // Sorted client ids of a consumer group; empty for an unknown group.
  std::vector<std::string> consumer_ids(const std::string& group) const;
  std::optional<SubscriptionData> find_subscription(const std::string& group,
                                                    const std::string& topic) const;
  std::optional<ConsumerGroupInfo> consumer_group_info(const std::string& group) const;
  // The connections of a group's consumers (for NOTIFY_CONSUMER_IDS_CHANGED), by client id.
  std::vector<std::weak_ptr<remoting::Connection>> connections_of(const std::string& group) const;
  std::vector<std::string> all_consumer_groups() const;  // sorted
  std::vector<std::string> producer_groups() const;      // sorted

 private:
  struct ClientEntry {
    ClientChannel channel;
    common::TimePoint last_update{};
  };
  struct ConsumerEntry {
    ClientEntry client;
    std::vector<SubscriptionData> subscriptions;
  };
  struct ConsumerGroup {
    ConsumeType consume_type = ConsumeType::kConsumePassively;
    MessageModel message_model = MessageModel::kClustering;
    ConsumeFromWhere consume_from_where = ConsumeFromWhere::kConsumeFromLastOffset;
    std::map<std::string, ConsumerEntry> clients;  // client id ->
  };

  // topic -> highest-subVersion subscription over the group's members.
  static std::map<std::string, SubscriptionData> merged_subscriptions(const ConsumerGroup& g);
  static std::map<std::string, std::string> subscription_view(const ConsumerGroup& g);
  bool register_consumer_locked(const ConsumerData& data, const std::string& client_id,
                                const ClientChannel& ch) REQUIRES(mu_);
  // Removes the clients matching `pred` from every table; returns changed consumer groups.
  template <typename Pred>
  std::vector<std::string> remove_if_locked(Pred pred) REQUIRES(mu_);

  common::Clock& clock_;
  mutable common::Mutex mu_;
  std::map<std::string, std::map<std::string, ClientEntry>> producers_ GUARDED_BY(mu_);
  std::map<std::string, ConsumerGroup> consumers_ GUARDED_BY(mu_);
};

}  // namespace rmq::broker
