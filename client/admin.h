// Admin: the admin calls behind the `raftmq` CLI (mqadmin's commands, PROTOCOL.md §3.3) over a
// remoting::Client: NameServer lookups (tried in list order until one answers), then requests to
// the brokers they name. Errors name the address that failed and why: the transport error
// (connection refused, timeout) or the response code and remark. Holds no state besides its
// options; thread-safe as the Client is. The Client must be started and outlive the Admin.
#pragma once

#include "client/admin_json.h"
#include "client/message_codec.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"
#include "remoting/client.h"
#include "remoting/protocol/admin_body.h"
#include "remoting/protocol/route_data.h"
#include "remoting/remoting_command.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rmq::client {

// raftmq's own broker request codes (broker/processor/admin_processor.h has the same numbers).
inline constexpr int32_t kRaftStatusRequestCode = remoting::kRaftmqCodeBase + 10;
inline constexpr int32_t kTransferLeaderRequestCode = remoting::kRaftmqCodeBase + 11;
inline constexpr int32_t kHaStatusRequestCode = remoting::kRaftmqCodeBase + 12;

// brokerPermission values for wipe_write_perm / add_write_perm (4 READ, 2 WRITE).
inline constexpr int32_t kPermReadOnly = 4;
inline constexpr int32_t kPermReadWrite = 6;

struct AdminOptions {
  common::Duration timeout = std::chrono::seconds(5);  // per request
};

class Admin {
 public:
  // `namesrv_addrs`: "host:port;host:port" (',' also separates).
  Admin(remoting::Client& client, std::string_view namesrv_addrs, AdminOptions options = {});

  const std::vector<std::string>& namesrv_addrs() const { return namesrvs_; }

  // ---- NameServer ----
  // GET_BROKER_CLUSTER_INFO (106).
  [[nodiscard]] common::Result<remoting::protocol::ClusterInfo> cluster_info();
  // GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
  [[nodiscard]] common::Result<std::vector<std::string>> topic_list();
  // GET_ROUTEINFO_BY_TOPIC (105); NotFound for code 17.
  [[nodiscard]] common::Result<remoting::protocol::TopicRouteData> topic_route(
      const std::string& topic);

  // ---- one broker ----
  // GET_BROKER_RUNTIME_INFO (28): the KVTable.
  [[nodiscard]] common::Result<std::map<std::string, std::string>> broker_runtime_info(
      const std::string& addr);
  // GET_BROKER_CONFIG (26): the broker's configuration.
  [[nodiscard]] common::Result<std::map<std::string, std::string>> get_broker_config(
      const std::string& addr);
  // UPDATE_BROKER_CONFIG (25), body "key=value\n" (our broker accepts brokerPermission only).
  [[nodiscard]] common::Status update_broker_config(const std::string& addr, const std::string& key,
                                                    const std::string& value);
  // raftmq RAFT_STATUS (20010): role, term, indexes, peers, timeline (JSON).
  [[nodiscard]] common::Result<common::Json> raft_status(const std::string& addr);
  // raftmq HA_STATUS (20012), classic master/slave mode: role, offsets; a master adds each slave's
  // acked offset and lag, a slave its master and connection (JSON).
  [[nodiscard]] common::Result<common::Json> ha_status(const std::string& addr);
  // raftmq TRANSFER_LEADER (20011) to the leader at `addr`; `target` is a node id ("n2").
  [[nodiscard]] common::Status transfer_leader(const std::string& addr, const std::string& target);

  // ---- topics ----
  // 105, then GET_TOPIC_STATS_INFO (202) to each master of the route; merged.
  [[nodiscard]] common::Result<remoting::protocol::TopicStatsTable> topic_stats(
      const std::string& topic);
  // UPDATE_AND_CREATE_TOPIC (17) to `target`: an address ("host:port") or a cluster name (every
  // master of the cluster, found with 106). Returns the addresses that took the change.
  [[nodiscard]] common::Result<std::vector<std::string>> update_topic(const std::string& topic,
                                                                      int32_t read_queue_nums,
                                                                      int32_t write_queue_nums,
                                                                      int32_t perm,
                                                                      const std::string& target);
  // DELETE_TOPIC_IN_BROKER (215) to every master of `cluster`, then DELETE_TOPIC_IN_NAMESRV
  // (216) to every NameServer. Returns the addresses that took the change.
  [[nodiscard]] common::Result<std::vector<std::string>> delete_topic(const std::string& topic,
                                                                      const std::string& cluster);

  // ---- subscription groups and consumers ----
  // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) to `target` (address or cluster, as update_topic).
  [[nodiscard]] common::Result<std::vector<std::string>> update_sub_group(
      const SubscriptionGroupConfig& config, const std::string& target);
  // DELETE_SUBSCRIPTIONGROUP (207, header groupName) to `target`.
  [[nodiscard]] common::Result<std::vector<std::string>> delete_sub_group(
      const std::string& group, const std::string& target);
  // GET_CONSUME_STATS (208) to the masters that serve the group (the route of %RETRY%<group>, or
  // every master when that topic has no route), merged; brokers answering
  // SUBSCRIPTION_GROUP_NOT_EXIST (26) are skipped; NotFound if all do. `topic` narrows it.
  [[nodiscard]] common::Result<remoting::protocol::ConsumeStats> consumer_progress(
      const std::string& group, const std::string& topic = "");
  // GET_CONSUMER_CONNECTION_LIST (203) to those masters until one answers; NotFound when the
  // group is not online (206).
  [[nodiscard]] common::Result<remoting::protocol::ConsumerConnection> consumer_connection(
      const std::string& group);
  // INVOKE_BROKER_TO_RESET_OFFSET (222; topic, group, timestamp, isForce=true) to every master of
  // the topic's route; the new offsets. timestamp_ms -1 means "to the end".
  [[nodiscard]] common::Result<std::map<remoting::protocol::MessageQueue, int64_t>>
  reset_offset_by_time(const std::string& topic, const std::string& group, int64_t timestamp_ms);

  // ---- messages ----
  // VIEW_MESSAGE_BY_ID (33) to the store host inside the offsetMsgId.
  [[nodiscard]] common::Result<MessageExt> query_msg_by_id(const std::string& msg_id);
  // 105, then QUERY_MESSAGE (12; maxNum 64, whole time range) to each master; brokers answering
  // QUERY_NOT_FOUND (22) add nothing.
  [[nodiscard]] common::Result<std::vector<MessageExt>> query_msg_by_key(const std::string& topic,
                                                                         const std::string& key);
  // As query_msg_by_key with _UNIQUE_KEY_QUERY=true (the producer's UNIQ_KEY / client msgId).
  [[nodiscard]] common::Result<std::vector<MessageExt>> query_msg_by_unique_key(
      const std::string& topic, const std::string& uniq_key);

  // ---- broker write permission (UPDATE_BROKER_CONFIG brokerPermission on every node) ----
  [[nodiscard]] common::Result<std::vector<std::string>> wipe_write_perm(
      const std::string& broker_name);
  [[nodiscard]] common::Result<std::vector<std::string>> add_write_perm(
      const std::string& broker_name);

 private:
  // One request; transport errors carry the address and request name.
  common::Result<remoting::RemotingCommand> invoke(const std::string& addr,
                                                   const remoting::RemotingCommand& request);
  // As invoke(), but a non-SUCCESS response becomes an error too.
  common::Result<remoting::RemotingCommand> invoke_ok(const std::string& addr,
                                                      const remoting::RemotingCommand& request);
  // Each NameServer in turn until one responds (any code); *answered gets its address.
  common::Result<remoting::RemotingCommand> invoke_namesrv(const remoting::RemotingCommand& request,
                                                           std::string* answered);
  // `target` as an address, or the masters of a cluster.
  common::Result<std::vector<std::string>> resolve_masters(const std::string& target);
  // Masters serving a consumer group (see consumer_progress).
  common::Result<std::vector<std::string>> group_masters(const std::string& group);
  // Sends `request` to every address; all must succeed. The addresses done, or an error listing
  // each failure (and what did succeed).
  common::Result<std::vector<std::string>> invoke_all(const std::vector<std::string>& addrs,
                                                      const remoting::RemotingCommand& request,
                                                      std::string_view what);
  common::Result<std::vector<MessageExt>> query_messages(const std::string& topic,
                                                         const std::string& key, bool unique);
  common::Result<std::vector<std::string>> set_broker_permission(const std::string& broker_name,
                                                                 int32_t perm);

  remoting::Client& client_;
  std::vector<std::string> namesrvs_;
  AdminOptions options_;
};

// Describes a non-SUCCESS response: "<addr>: GET_ROUTEINFO_BY_TOPIC(105) failed: code 17
// TOPIC_NOT_EXIST: <remark>", as a Status whose code follows the response code (17/22/24/26/206
// NotFound, 2 Busy, 14 Unavailable, 13/29 InvalidArgument, 16 Aborted, others Internal).
common::Status response_error(const std::string& addr, int32_t request_code,
                              const remoting::RemotingCommand& response);

}  // namespace rmq::client
