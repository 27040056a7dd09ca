#include "broker/broker_config.h"

#include <arpa/inet.h>
#include <charconv>
#include <optional>

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
  s.add_string("bindAddress", &c.bind_address)
      .help("IP address the client, Raft and metrics ports bind to (0.0.0.0: all).");
  s.add_int("listenPort", &c.listen_port).range(0, 65535).help("Client port (0: any free).");
  s.add_int("metricsPort", &c.metrics_port)
      .range(-2, 65535)
      .help("Prometheus GET /metrics HTTP port: -2 = listenPort+2, -1 = off, 0 = any free port.");
  s.add_string("namesrvAddr", &c.namesrv_addr).help("NameServers, 'host:port;host:port'.");
  s.add_string("storePathRootDir", &c.store_path_root_dir).help("Data directory of this node.");
  s.add_int("mappedFileSizeCommitLog", &c.mapped_file_size_commit_log)
      .range(64 * 1024, 1ll << 34)
      .help("Size of one commit log (entry log) segment.");
  s.add_int("commitLogCacheWindow", &c.commit_log_cache_window)
      .range(0, 1ll << 40)
      .help(
          "Bytes of the commit log (entry log) kept in the page cache behind the flushed end; "
          "older pages go back to the kernel and are read from disk if needed. 0: all (the "
          "kernel's LRU decides).");
  s.add_int("mappedFileSizeConsumeQueue", &c.mapped_file_size_consume_queue)
      .range(20 * 16, 1ll << 31)
      .help("Size of one consume queue file (a multiple of 20).");
  s.add_enum("flushDiskType", &c.flush_disk_type, {"ASYNC_FLUSH", "SYNC_FLUSH"})
      .help("ASYNC_FLUSH (ack from page cache) or SYNC_FLUSH (ack after fdatasync).");
  s.add_enum("brokerRole", &c.broker_role, {"ASYNC_MASTER", "SYNC_MASTER", "SLAVE"})
      .help(
          "Classic master/slave mode (enableDLegerCommitLog=false): SYNC_MASTER acks once a "
          "slave holds a message, ASYNC_MASTER at once. DLedger mode takes the role from Raft.");
  s.add_int("haListenPort", &c.ha_listen_port)
      .range(-2, 65535)
      .help("Classic master: port slaves replicate from; -2 = listenPort+1, 0 = any free port.");
  s.add_string("haMasterAddress", &c.ha_master_address)
      .help("Classic slave: the master's HA host:port ('' = learned from the NameServer).");
  s.add_duration_ms("haSendHeartbeatInterval", &c.ha_send_heartbeat_interval)
      .range(100, 600000)
      .help("Classic master: heartbeat to an idle slave this often.");
  s.add_duration_ms("haHousekeepingInterval", &c.ha_housekeeping_interval)
      .range(1000, 3600000)
      .help("Classic HA: a peer silent this long is disconnected.");
  s.add_int("haTransferBatchSize", &c.ha_transfer_batch_size)
      .range(4096, 16 * 1024 * 1024)
      .help("Classic master: most log bytes sent to a slave in one frame.");
  s.add_int("haSlaveFallbehindMax", &c.ha_slave_fallbehind_max)
      .range(1024, 1ll << 40)
      .help("SYNC_MASTER: a slave further behind than this answers SLAVE_NOT_AVAILABLE at once.");
  s.add_duration_ms("syncFlushTimeout", &c.sync_flush_timeout)
      .range(1, 600000)
      .help("Wait for a sync flush and for a SYNC_MASTER's slave before answering a timeout.");
  s.add_int("maxMessageSize", &c.max_message_size)
      .range(1024, 64 * 1024 * 1024)
      .help("Largest message body accepted.");
  s.add_int("fileReservedTime", &c.file_reserved_time_hours)
      .range(1, 24 * 365)
      .help("Hours commit log segments are kept (local mode).");
  s.add_int("diskMaxUsedSpaceRatio", &c.disk_max_used_space_ratio)
      .range(10, 95)
      .help("Disk use (percent) above which old segments are removed early (local mode).");
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
  s.add_int("raftIdleSpinMicros", &c.raft_idle_spin_micros)
      .range(0, 10000)
      .help(
          "DLedger mode: the node thread (Raft and client connections) polls this long for the "
          "next message before it sleeps, backing off while other threads want the CPU; saves "
          "the wake-ups that dominate latency at low load. 0: sleep at once.");
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
  s.add_bool("clientIoOnRaftThread", &c.client_io_on_raft_thread)
      .help(
          "DLedger mode: serve client connections on the Raft node's thread (no hand-off per "
          "send); false: on serverSelectorThreads threads of their own.");
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
  // TEST ONLY (jepsen/): a deliberately broken broker for the harness to catch. Never set it.
  s.add_bool("testOnlyAckBeforeCommit", &c.test_only_ack_before_commit)
      .help(
          "TEST ONLY, DANGEROUS: DLedger sends are acknowledged once the leader appended them, "
          "before a majority holds them (acknowledged messages can be lost).");
  for (const char* k :
       {"rocketmqHome", "deleteWhen", "brokerIP2", "storePathCommitLog", "storePathConsumeQueue",
        "storePathIndex", "storeCheckpoint", "abortFile", "flushIntervalCommitLog",
        "transientStorePoolEnable", "traceTopicEnable", "aclEnable", "enablePropertyFilter",
        "isEnableBatchPush", "namesrvAddrs", "dLegerSelfIds", "sendMessageThreadPoolQueueCapacity",
        "useReentrantLockWhenPutMessage", "waitTimeMillsInSendQueue"}) {
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

namespace {

bool is_ipv4(const std::string& text) {
  in_addr a{};
  return inet_pton(AF_INET, text.c_str(), &a) == 1;
}

bool is_ip(const std::string& text) {
  in6_addr a{};
  return is_ipv4(text) || inet_pton(AF_INET6, text.c_str(), &a) == 1;
}

// A host name (labels of letters, digits, '-' and '_' between dots, none empty or starting or
// ending with '-'; '_' because container names may use it) or an IPv4 address.
bool is_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  bool numeric = true;
  size_t start = 0;
  while (start <= host.size()) {
    size_t end = host.find('.', start);
    if (end == std::string_view::npos) end = host.size();
    const std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char ch : label) {
      const bool digit = ch >= '0' && ch <= '9';
      const bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
      if (!digit && !alpha && ch != '-' && ch != '_') return false;
      numeric = numeric && digit;
    }
    start = end + 1;
  }
  // All digits and dots: it has to be a real IPv4 address (not 999.1.1.1 or 10.1).
  return !numeric || is_ipv4(std::string(host));
}

std::optional<uint16_t> parse_port(std::string_view text) {
  uint32_t port = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

std::string lower(std::string s) {
  for (char& ch : s) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  return s;
}

Status peers_error(std::string_view part, std::string_view why) {
  return Status::invalid_argument("dLegerPeers: '" + std::string(part) + "': " + std::string(why) +
                                  " (expected n<id>-<host>:<port>;...)");
}

std::string ids_of(const std::vector<PeerAddress>& peers) {
  std::string out;
  for (const auto& p : peers) out += (out.empty() ? "n" : ", n") + std::to_string(p.id);
  return out;
}

// An id key (dLegerSelfId, preferredLeaderId) that must name one of `peers`.
Status check_member(std::string_view key, const std::string& value,
                    const std::vector<PeerAddress>& peers, uint32_t* id) {
  if (value.empty()) {
    return Status::invalid_argument(std::string(key) + " is empty (expected one of " +
                                    ids_of(peers) + " from dLegerPeers)");
  }
  auto parsed = parse_node_id(value);
  if (!parsed.ok()) {
    return Status::invalid_argument(std::string(key) + ": " +
                                    std::string(parsed.status().message()));
  }
  for (const auto& p : peers) {
    if (p.id == *parsed) {
      *id = p.id;
      return Status::ok();
    }
  }
  return Status::invalid_argument(std::string(key) + " " + value + " is not among dLegerPeers (" +
                                  ids_of(peers) + ")");
}

// The ports of listen_ports(); `peers` and `self` only in DLedger mode.
std::vector<ListenPort> ports_of(const BrokerConfig& c, const std::vector<PeerAddress>& peers,
                                 uint32_t self) {
  std::vector<ListenPort> out;
  for (const auto& p : peers) {
    if (p.id == self) {
      out.push_back(
          {"dLegerPeers", "dLegerPeers (Raft port of n" + std::to_string(self) + ")", p.port});
    }
  }
  if (c.listen_port > 0) {
    out.push_back({"listenPort", "listenPort", static_cast<uint16_t>(c.listen_port)});
  }
  if (const int32_t ha = effective_ha_listen_port(c); ha > 0) {
    out.push_back(
        {"haListenPort",
         c.ha_listen_port == kHaListenPortAuto ? "haListenPort (listenPort+1)" : "haListenPort",
         static_cast<uint16_t>(ha)});
  }
  const int32_t metrics = effective_metrics_port(c);
  if (metrics > 0) {
    out.push_back(
        {"metricsPort",
         c.metrics_port == kMetricsPortAuto ? "metricsPort (listenPort+2)" : "metricsPort",
         static_cast<uint16_t>(metrics)});
  }
  return out;
}

}  // namespace

Result<std::vector<PeerAddress>> parse_dledger_peers(std::string_view text) {
  if (text.empty()) {
    return Status::invalid_argument(
        "dLegerPeers is empty (expected n1-host:port;n2-host:port;...; "
        "enableDLegerCommitLog=false runs one local node without it)");
  }
  // One trailing ';' is accepted, as DLedger's Java split drops it; any other empty entry is not.
  if (text.back() == ';') text.remove_suffix(1);
  std::vector<PeerAddress> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(start, end - start);
    start = end + 1;
    if (part.empty()) {
      return Status::invalid_argument("dLegerPeers: entry " + std::to_string(out.size() + 1) +
                                      " is empty (two ';' in a row or a leading ';')");
    }
    // "n1-host-name:port": the id ends at the first '-', the port starts after the last ':'.
    const size_t dash = part.find('-');
    if (dash == std::string_view::npos) return peers_error(part, "no '-' after the node id");
    PeerAddress peer;
    auto id = parse_node_id(part.substr(0, dash));
    if (!id.ok()) return peers_error(part, id.status().message());
    peer.id = *id;
    const size_t colon = part.rfind(':');
    if (colon == std::string_view::npos || colon < dash) {
      return peers_error(part, "no ':<port>' after the host");
    }
    const std::string_view host = part.substr(dash + 1, colon - dash - 1);
    if (host.empty()) return peers_error(part, "empty host");
    if (!is_host(host)) {
      return peers_error(part,
                         "host '" + std::string(host) + "' is not a host name or an IPv4 address");
    }
    peer.host = std::string(host);
    const std::string_view port_text = part.substr(colon + 1);
    const auto port = parse_port(port_text);
    if (!port) {
      return peers_error(part,
                         "port '" + std::string(port_text) + "' is not a number in [1, 65535]");
    }
    peer.port = *port;
    for (const auto& other : out) {
      if (other.id == peer.id) {
        return Status::invalid_argument("dLegerPeers: node id n" + std::to_string(peer.id) +
                                        " appears twice");
      }
      if (lower(other.host) == lower(peer.host) && other.port == peer.port) {
        return Status::invalid_argument("dLegerPeers: n" + std::to_string(other.id) + " and n" +
                                        std::to_string(peer.id) + " have the same address " +
                                        peer.address());
      }
    }
    out.push_back(std::move(peer));
    if (end == text.size()) break;
  }
  return out;
}

Status validate(const BrokerConfig& c) {
  if (c.flush_disk_type != "ASYNC_FLUSH" && c.flush_disk_type != "SYNC_FLUSH") {
    return Status::invalid_argument("flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH, not '" +
                                    c.flush_disk_type + "'");
  }
  if (c.broker_role != "ASYNC_MASTER" && c.broker_role != "SYNC_MASTER" &&
      c.broker_role != "SLAVE") {
    return Status::invalid_argument("brokerRole must be ASYNC_MASTER, SYNC_MASTER or SLAVE, not '" +
                                    c.broker_role + "'");
  }
  if (c.broker_ip1.empty()) {
    return Status::invalid_argument("brokerIP1 (the address advertised to clients) is empty");
  }
  if (!is_ipv4(c.broker_ip1)) {
    return Status::invalid_argument("brokerIP1 '" + c.broker_ip1 +
                                    "' is not an IPv4 address (clients decode IPv4 store hosts)");
  }
  if (c.broker_ip1 == "0.0.0.0") {
    return Status::invalid_argument(
        "brokerIP1 0.0.0.0 is not an address clients can connect to (set the host's address)");
  }
  if (!is_ip(c.bind_address)) {
    return Status::invalid_argument("bindAddress '" + c.bind_address +
                                    "' is not an IP address (0.0.0.0 binds every interface)");
  }
  if (c.broker_name.empty()) return Status::invalid_argument("brokerName is empty");
  const auto namesrvs = split_namesrv_addr(c.namesrv_addr);
  if (namesrvs.empty()) return Status::invalid_argument("namesrvAddr is empty");
  for (const auto& a : namesrvs) {
    const size_t colon = a.rfind(':');
    if (colon == std::string::npos || !is_host(std::string_view(a).substr(0, colon)) ||
        !parse_port(std::string_view(a).substr(colon + 1))) {
      return Status::invalid_argument("namesrvAddr: '" + a +
                                      "' is not host:port (expected host:port;host:port)");
    }
  }
  if (!c.enable_dledger && c.broker_role == "SLAVE" && c.broker_id == 0) {
    return Status::invalid_argument(
        "brokerId 0 is the master's: a SLAVE needs brokerId >= 1 (brokerRole=SLAVE)");
  }
  if (!c.enable_dledger && c.broker_role != "SLAVE" && c.broker_id != 0) {
    return Status::invalid_argument("brokerId " + std::to_string(c.broker_id) +
                                    " with brokerRole=" + c.broker_role +
                                    ": a master has brokerId 0");
  }
  if (!c.ha_master_address.empty()) {
    const size_t colon = c.ha_master_address.rfind(':');
    if (colon == std::string::npos ||
        !is_host(std::string_view(c.ha_master_address).substr(0, colon)) ||
        !parse_port(std::string_view(c.ha_master_address).substr(colon + 1))) {
      return Status::invalid_argument("haMasterAddress: '" + c.ha_master_address +
                                      "' is not host:port");
    }
  }
  std::vector<PeerAddress> peers;
  uint32_t self = 0;
  if (c.enable_dledger) {
    RMQ_ASSIGN_OR_RETURN(peers, parse_dledger_peers(c.dledger_peers));
    RMQ_RETURN_IF_ERROR(check_member("dLegerSelfId", c.dledger_self_id, peers, &self));
    if (!c.preferred_leader_id.empty()) {
      uint32_t pref = 0;
      RMQ_RETURN_IF_ERROR(check_member("preferredLeaderId", c.preferred_leader_id, peers, &pref));
    }
  }
  const auto ports = ports_of(c, peers, self);
  for (size_t i = 0; i < ports.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (ports[i].port == ports[j].port) {
        return Status::invalid_argument(ports[i].what + " " + std::to_string(ports[i].port) +
                                        " is also " + ports[j].what +
                                        ": every port of a node must be different");
      }
    }
  }
  return Status::ok();
}

std::vector<ListenPort> listen_ports(const BrokerConfig& c) {
  std::vector<PeerAddress> peers;
  uint32_t self = 0;
  if (c.enable_dledger) {
    auto parsed = parse_dledger_peers(c.dledger_peers);
    auto id = parse_node_id(c.dledger_self_id);
    if (parsed.ok() && id.ok()) {
      peers = std::move(*parsed);
      self = *id;
    }
  }
  return ports_of(c, peers, self);
}

int32_t effective_metrics_port(const BrokerConfig& c) {
  if (c.metrics_port != kMetricsPortAuto) return c.metrics_port;
  if (c.listen_port == 0 || c.listen_port + 2 > 65535) return 0;
  return c.listen_port + 2;
}

int32_t effective_ha_listen_port(const BrokerConfig& c) {
  if (c.enable_dledger || c.broker_role == "SLAVE") return -1;
  if (c.ha_listen_port != kHaListenPortAuto) return c.ha_listen_port;
  if (c.listen_port == 0 || c.listen_port + 1 > 65535) return 0;
  return c.listen_port + 1;
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
