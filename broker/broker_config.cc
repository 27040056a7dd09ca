#include "broker/broker_config.h"

#include <charconv>
#include <set>

namespace rmq::broker {

using common::Result;
using common::Status;

common::ConfigSchema make_broker_schema(BrokerConfig& c) {
  common::ConfigSchema s("broker");
  s.add_string("brokerClusterName", &c.broker_cluster_name).help("Cluster this group belongs to.");
  s.add_string("brokerName", &c.broker_name)
      .help("Name of the broker group (shared by its nodes).");
  s.add_int("brokerId", &c.broker_id).range(0, 1024).help("Classic mode: 0 = master.");
  s.add_string("brokerIP1", &c.broker_ip1)
      .help("IPv4 address advertised to clients (routes, stored STOREHOST, msgIds).");
  s.add_string("bindAddress", &c.bind_address).help("Address the client port binds to.");
  s.add_int("listenPort", &c.listen_port).range(0, 65535).help("Client port (0: any free).");
  s.add_int("metricsPort", &c.metrics_port)
      .range(-2, 65535)
      .help("Prometheus GET /metrics HTTP port: -2 = listenPort+2, -1 = off, 0 = any free port.");
  s.add_string("namesrvAddr", &c.namesrv_addr).help("NameServers, 'host:port;host:port'.");
  s.add_string("storePathRootDir", &c.store_path_root_dir).help("Data directory of this node.");
  s.add_int("mappedFileSizeCommitLog", &c.mapped_file_size_commit_log)
      .range(64 * 1024, 1ll << 34)
      .help("Size of one commit log (entry log) segment.");
  s.add_int("mappedFileSizeConsumeQueue", &c.mapped_file_size_consume_queue)
      .range(20 * 16, 1ll << 31)
      .help("Size of one consume queue file (a multiple of 20).");
  s.add_string("flushDiskType", &c.flush_disk_type)
      .help("ASYNC_FLUSH (ack from page cache) or SYNC_FLUSH (ack after fdatasync).");
  s.add_int("maxMessageSize", &c.max_message_size)
      .range(1024, 64 * 1024 * 1024)
      .help("Largest message body accepted.");
  s.add_int("fileReservedTime", &c.file_reserved_time_hours)
      .range(1, 24 * 365)
      .help("Hours commit log segments are kept (local mode).");
  s.add_int("diskMaxUsedSpaceRatio", &c.disk_max_used_space_ratio)
      .range(10, 95)
      .help("Disk use (percent) above which old segments are removed early.");
  s.add_int("maxHashSlotNum", &c.max_hash_slot_num)
      .range(16, 50'000'000)
      .help("Hash slots of one index file (key lookups).");
  s.add_int("maxIndexNum", &c.max_index_num)
      .range(16, 200'000'000)
      .help("Entries of one index file.");
  s.add_bool("enableDLegerCommitLog", &c.enable_dledger)
      .help("true: a Raft group replicates the commit log; false: one local node.");
  s.add_string("dLegerGroup", &c.dledger_group).help("Raft group name.");
  s.add_string("dLegerPeers", &c.dledger_peers).help("Raft peers 'n1-host:port;n2-host:port;...'.");
  s.add_string("dLegerSelfId", &c.dledger_self_id).help("This node's id among dLegerPeers.");
  s.add_int("raftTickMs", &c.raft_tick_ms)
      .range(5, 10000)
      .help("One Raft tick; heartbeats go every tick.");
  s.add_int("raftElectionTicks", &c.raft_election_ticks)
      .range(3, 1000)
      .help("Election timeout in ticks (randomized in [n, 2n)).");
  s.add_string("preferredLeaderId", &c.preferred_leader_id)
      .help("Node that takes leadership back when it is healthy ('' = none).");
  s.add_bool("autoCreateTopicEnable", &c.auto_create_topic_enable)
      .help("Create unknown topics on first send (TBW102 route).");
  s.add_bool("autoCreateSubscriptionGroup", &c.auto_create_subscription_group)
      .help("Create unknown consumer groups on first use.");
  s.add_int("defaultTopicQueueNums", &c.default_topic_queue_nums)
      .range(1, 1024)
      .help("Queues of an auto-created topic.");
  s.add_int("brokerPermission", &c.broker_permission)
      .range(0, 7)
      .help("Broker permission bits: 4 read, 2 write.");
  s.add_int("sendMessageThreadPoolNums", &c.send_message_thread_pool_nums)
      .range(0, 256)
      .help("Send executor threads; 0 runs sends on the I/O thread (no hand-off).");
  s.add_int("pullMessageThreadPoolNums", &c.pull_message_thread_pool_nums).range(1, 256);
  s.add_int("adminBrokerThreadPoolNums", &c.admin_broker_thread_pool_nums).range(1, 256);
  s.add_int("clientManageThreadPoolNums", &c.client_manage_thread_pool_nums).range(1, 256);
  s.add_int("serverSelectorThreads", &c.server_selector_threads)
      .range(1, 64)
      .help("Remoting I/O threads.");
  s.add_int("serverThreadPoolQueueCapacity", &c.thread_pool_queue_capacity)
      .range(1, 10'000'000)
      .help("Requests queued per executor before SYSTEM_BUSY.");
  s.add_bool("longPollingEnable", &c.long_polling_enable)
      .help(
          "Hold pulls that find nothing until a message arrives or the client's suspend time "
          "ends.");
  s.add_duration_ms("shortPollingTimeMills", &c.short_polling_time)
      .range(1, 60000)
      .help("Hold time of a pull when long polling is off.");
  s.add_string("messageDelayLevel", &c.message_delay_level).help("The delay levels (1-based).");
  s.add_duration_ms("registerNameServerPeriod", &c.register_name_server_period)
      .range(100, 600000)
      .help("Registration period with the NameServers (and on every role change).");
  s.add_duration_ms("channelExpiredTimeout", &c.channel_expired_timeout)
      .range(1000, 3600000)
      .help("A client silent this long is dropped.");
  s.add_bool("slaveReadEnable", &c.slave_read_enable)
      .help("Suggest a follower to consumers far behind (suggestWhichBrokerId).");
  s.add_int("accessMessageInMemoryMaxRatio", &c.access_message_in_memory_max_ratio).range(1, 100);
  for (const char* k : {"rocketmqHome",
                        "brokerRole",
                        "deleteWhen",
                        "brokerIP2",
                        "haListenPort",
                        "storePathCommitLog",
                        "storePathConsumeQueue",
                        "storePathIndex",
                        "storeCheckpoint",
                        "abortFile",
                        "flushIntervalCommitLog",
                        "transientStorePoolEnable",
                        "traceTopicEnable",
                        "aclEnable",
                        "enablePropertyFilter",
                        "isEnableBatchPush",
                        "namesrvAddrs",
                        "dLegerSelfIds",
                        "sendMessageThreadPoolQueueCapacity",
                        "useReentrantLockWhenPutMessage",
                        "waitTimeMillsInSendQueue"}) {
    s.add_ignored(k, "not used by raftmq");
  }
  return s;
}

Result<uint32_t> parse_node_id(std::string_view text) {
  if (text.size() < 2 || text[0] != 'n') {
    return Status::invalid_argument("node id '" + std::string(text) +
                                    "' is not of the form n<number>");
  }
  uint32_t id = 0;
  auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id == 0) {
    return Status::invalid_argument("node id '" + std::string(text) +
                                    "' is not n followed by a number >= 1");
  }
  return id;
}

Result<std::vector<PeerAddress>> parse_dledger_peers(std::string_view text) {
  std::vector<PeerAddress> out;
  std::set<uint32_t> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    start = end + 1;
    if (part.empty()) {
      if (end == text.size()) break;
      continue;
    }
    // "n1-host-name:port": the id ends at the first '-', the port after the last ':'.
    const size_t dash = part.find('-');
    const size_t colon = part.rfind(':');
    if (dash == std::string_view::npos || colon == std::string_view::npos || colon < dash + 2) {
      return Status::invalid_argument("dLegerPeers: '" + std::string(part) +
                                      "' is not of the form n<id>-<host>:<port>");
    }
    PeerAddress peer;
    RMQ_ASSIGN_OR_RETURN(peer.id, parse_node_id(part.substr(0, dash)));
    peer.host = std::string(part.substr(dash + 1, colon - dash - 1));
    uint32_t port = 0;
    std::string_view port_text = part.substr(colon + 1);
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Status::invalid_argument("dLegerPeers: bad port in '" + std::string(part) + "'");
    }
    peer.port = static_cast<uint16_t>(port);
    if (!ids.insert(peer.id).second) {
      return Status::invalid_argument("dLegerPeers: node id n" + std::to_string(peer.id) +
                                      " appears twice");
    }
    out.push_back(std::move(peer));
    if (end == text.size()) break;
  }
  if (out.empty()) return Status::invalid_argument("dLegerPeers is empty");
  return out;
}

Status validate(const BrokerConfig& c) {
  if (c.flush_disk_type != "ASYNC_FLUSH" && c.flush_disk_type != "SYNC_FLUSH") {
    return Status::invalid_argument("flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH, not '" +
                                    c.flush_disk_type + "'");
  }
  if (c.broker_ip1.empty())
    return Status::invalid_argument("brokerIP1 (advertised address) is empty");
  if (c.broker_name.empty()) return Status::invalid_argument("brokerName is empty");
  if (split_namesrv_addr(c.namesrv_addr).empty()) {
    return Status::invalid_argument("namesrvAddr is empty");
  }
  if (c.enable_dledger) {
    RMQ_ASSIGN_OR_RETURN(auto peers, parse_dledger_peers(c.dledger_peers));
    RMQ_ASSIGN_OR_RETURN(uint32_t self, parse_node_id(c.dledger_self_id));
    bool found = false;
    for (const auto& p : peers) found = found || p.id == self;
    if (!found) {
      return Status::invalid_argument("dLegerSelfId " + c.dledger_self_id +
                                      " is not among dLegerPeers");
    }
    if (!c.preferred_leader_id.empty()) {
      RMQ_ASSIGN_OR_RETURN(uint32_t pref, parse_node_id(c.preferred_leader_id));
      bool known = false;
      for (const auto& p : peers) known = known || p.id == pref;
      if (!known) {
        return Status::invalid_argument("preferredLeaderId " + c.preferred_leader_id +
                                        " is not among dLegerPeers");
      }
    }
  }
  return Status::ok();
}

int32_t effective_metrics_port(const BrokerConfig& c) {
  if (c.metrics_port != kMetricsPortAuto) return c.metrics_port;
  if (c.listen_port == 0 || c.listen_port + 2 > 65535) return 0;
  return c.listen_port + 2;
}

std::vector<std::string> split_namesrv_addr(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

}  // namespace rmq::broker
