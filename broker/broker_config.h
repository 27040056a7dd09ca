// BrokerConfig: the broker's settings, read from a RocketMQ-style broker.conf plus command-line
// overrides through common::ConfigSchema (RocketMQ's key names, so an existing broker.conf works;
// keys we do not use are accepted and listed as ignored; a key we do not know is an error).
// validate() checks what a schema cannot: the DLedger peer list, the self id, the addresses, ports
// used twice. Every error names the key. A plain value built on the main thread; `runtime` fields
// may later change through UPDATE_BROKER_CONFIG (guarded by the broker).
#pragma once

#include "common/config.h"
#include "common/result.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rmq::broker {

inline constexpr int32_t kMetricsPortAuto = -2;
inline constexpr int32_t kHaListenPortAuto = -2;

struct BrokerConfig {
  // Identity and addresses.
  std::string broker_cluster_name = "DefaultCluster";
  std::string broker_name = "broker-a";
  int64_t broker_id = 0;                 // classic mode only; DLedger mode derives it from the role
  std::string broker_ip1 = "127.0.0.1";  // advertised to clients (routes, STOREHOST, msgIds)
  std::string bind_address = "0.0.0.0";
  int32_t listen_port = 10911;
  // Prometheus GET /metrics port: kMetricsPortAuto = listenPort + 2, -1 off, 0 any free port.
  int32_t metrics_port = kMetricsPortAuto;
  std::string namesrv_addr = "127.0.0.1:9876";  // "host:port;host:port"
  // Store.
  std::string store_path_root_dir = "/tmp/raftmq/store";
  int64_t mapped_file_size_commit_log = 1024ll * 1024 * 1024;
  int64_t commit_log_cache_window = 64ll * 1024 * 1024;  // commitLogCacheWindow
  int32_t raft_idle_spin_micros = 100;                   // raftIdleSpinMicros
  int64_t mapped_file_size_consume_queue = 300000 * 20;
  std::string flush_disk_type = "ASYNC_FLUSH";  // or SYNC_FLUSH
  // Classic master/slave mode (enableDLegerCommitLog=false; broker/ha/): ASYNC_MASTER,
  // SYNC_MASTER (brokerId 0) or SLAVE (brokerId >= 1). DLedger mode takes the role from Raft.
  std::string broker_role = "ASYNC_MASTER";
  int32_t ha_listen_port = kHaListenPortAuto;  // master: -2 = listenPort+1, 0 = any free port
  std::string ha_master_address;  // slave: the master's HA host:port ("" = from the namesrv)
  std::chrono::milliseconds ha_send_heartbeat_interval{5000};
  std::chrono::milliseconds ha_housekeeping_interval{20000};
  int32_t ha_transfer_batch_size = 256 * 1024;
  int64_t ha_slave_fallbehind_max = 256ll * 1024 * 1024;
  // Sync flush waits and SYNC_MASTER slave waits (RocketMQ uses it for both).
  std::chrono::milliseconds sync_flush_timeout{5000};
  int32_t max_message_size = 4 * 1024 * 1024;
  int32_t file_reserved_time_hours = 72;
  int32_t disk_max_used_space_ratio = 75;
  int64_t max_hash_slot_num = 5'000'000;
  int64_t max_index_num = 20'000'000;
  // Mode.
  bool enable_dledger = true;  // enableDLegerCommitLog; false: local single node
  std::string dledger_group = "broker-a";
  std::string dledger_peers;  // "n1-127.0.0.1:40911;n2-...;n3-..."
  std::string dledger_self_id = "n1";
  int32_t raft_tick_ms = 20;         // fine ticks: two followers rarely time out in the same one
  int32_t raft_election_ticks = 50;  // 1-2 s with 20 ms ticks
  std::string preferred_leader_id;   // "" or "n2"
  // Topics and groups.
  bool auto_create_topic_enable = true;
  bool auto_create_subscription_group = true;
  int32_t default_topic_queue_nums = 8;
  int32_t broker_permission = 6;
  // Threads.
  int32_t send_message_thread_pool_nums = 0;  // 0: sends run on the I/O thread
  int32_t pull_message_thread_pool_nums = 8;
  int32_t admin_broker_thread_pool_nums = 4;
  int32_t client_manage_thread_pool_nums = 4;
  int32_t server_selector_threads = 3;
  // DLedger mode: client connections are read and written on the Raft node's thread (a send
  // goes from the socket into Raft and its answer back out with no thread switch);
  // serverSelectorThreads is then not used. false: on I/O threads of their own.
  bool client_io_on_raft_thread = true;
  int32_t thread_pool_queue_capacity = 10000;
  // Behaviour.
  bool long_polling_enable = true;
  std::chrono::milliseconds short_polling_time{1000};
  std::string message_delay_level = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
  std::chrono::milliseconds register_name_server_period{30000};
  std::chrono::milliseconds channel_expired_timeout{120000};
  int32_t max_trans_msg_per_pull = 32;
  // Slave reads: suggest a follower when a consumer lags by more than this share of memory.
  bool slave_read_enable = true;
  int32_t access_message_in_memory_max_ratio = 40;
  // TEST ONLY (testOnlyAckBeforeCommit): acknowledge DLedger sends at the leader's local append
  // instead of at majority commit. Breaks the durability guarantee on purpose (jepsen/ shows
  // that its checker catches it).
  bool test_only_ack_before_commit = false;
};

// Binds every key to `config`'s fields (the fields' current values are the defaults).
// REQUIRES: `config` outlives the schema.
common::ConfigSchema make_broker_schema(BrokerConfig& config);

// One DLedger peer: id "n1" -> 1.
struct PeerAddress {
  uint32_t id = 0;
  std::string host;
  uint16_t port = 0;
  std::string address() const { return host + ":" + std::to_string(port); }
};
// Parses "n1-host:port;n2-host:port". The id ends at the first '-' and the port starts after the
// last ':', so host names may contain '-' ("n1-broker-a-1.example:40911"). Strict: every entry
// needs an id, a host (a host name of letters, digits, '-', '_' and '.', or an IPv4 address; no
// IPv6) and a port in [1, 65535]; ids and host:port pairs are unique; an empty entry is an error
// except one trailing ';' (accepted, as DLedger's Java split drops it). Errors start with
// "dLegerPeers:" and quote the bad entry.
[[nodiscard]] common::Result<std::vector<PeerAddress>> parse_dledger_peers(std::string_view text);
// "n3" -> 3.
[[nodiscard]] common::Result<uint32_t> parse_node_id(std::string_view text);
// Semantic checks after the schema applied, each error one line naming the key: flushDiskType
// and brokerRole values, brokerIP1 (an IPv4 address clients can reach), bindAddress (an IP
// address), brokerName, namesrvAddr (host:port list), dLegerPeers, dLegerSelfId among the peers,
// preferredLeaderId, classic mode's brokerId for the brokerRole and haMasterAddress, and no port
// used twice among listenPort, metricsPort, haListenPort and this node's Raft port.
[[nodiscard]] common::Status validate(const BrokerConfig& config);

// A port this node binds on bindAddress, for the start-up check of main.cc and its messages.
struct ListenPort {
  std::string key;  // the config key that sets it: listenPort, metricsPort, dLegerPeers
  std::string
      what;  // how to name it: "metricsPort (listenPort+2)", "dLegerPeers (Raft port of n1)"
  uint16_t port = 0;
};
// The fixed ports `config` binds (ports 0, "any free port", and disabled metrics left out), in
// the order the broker binds them: Raft, client, metrics. REQUIRES: validate(config) is ok.
std::vector<ListenPort> listen_ports(const BrokerConfig& config);
// The port the /metrics endpoint binds: metricsPort, or listenPort + 2 when it is left at auto
// (0, any free port, when listenPort is 0 or the sum is not a port); -1 when disabled.
int32_t effective_metrics_port(const BrokerConfig& config);
// The classic master's HA port: haListenPort, or listenPort + 1 when left at auto (0, any free
// port, when listenPort is 0 or the sum is not a port); -1 when the node serves no HA port (DLedger
// mode, or a SLAVE).
int32_t effective_ha_listen_port(const BrokerConfig& config);
// The namesrv addresses of "a:1;b:2".
std::vector<std::string> split_namesrv_addr(std::string_view text);

}  // namespace rmq::broker
