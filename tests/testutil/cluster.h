// LocalCluster: one raftmq-namesrv and a DLedger broker group (default three raftmq-broker nodes)
// as real processes on 127.0.0.1, for end-to-end tests with real clients. Each node gets its own
// broker.conf, store directory and log file under the base directory; ports are picked free.
// Not thread-safe: drive it from the test thread.
#pragma once

#include "common/json.h"
#include "common/result.h"
#include "common/status.h"
#include "remoting/client.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rmq::testutil {

struct LocalClusterOptions {
  std::string namesrv_bin;
  std::string broker_bin;
  std::filesystem::path base_dir;  // created if missing; configs, stores and logs go under it
  int brokers = 3;                 // members of the one DLedger group
  std::string cluster_name = "DefaultCluster";
  std::string broker_name = "broker-a";  // also the dLegerGroup
  // "key=value" lines appended to every broker.conf (e.g. "deleteWhen=04").
  std::vector<std::string> extra_broker_config;
  // Classic master/slave mode instead of DLedger (enableDLegerCommitLog=false) when set to
  // "SYNC_MASTER" or "ASYNC_MASTER": node 0 is the master (brokerId 0, that brokerRole, an
  // haListenPort of its own), every other node a SLAVE with brokerId i. leader() is then node 0.
  std::string classic_master_role;
  // How long start() and restart() wait for the processes to answer.
  std::chrono::milliseconds start_timeout{30'000};
};

class LocalCluster {
 public:
  explicit LocalCluster(LocalClusterOptions options);
  ~LocalCluster();  // stop_all(), then SIGKILL for anything still running
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Writes the configs, starts the namesrv and every broker, and waits until the namesrv answers,
  // every broker answers GET_BROKER_RUNTIME_INFO and one of them is an active leader that the
  // namesrv lists as brokerId 0. The error names the step and the log to read. A process that
  // exits 3 (its port was taken after it was picked) makes it start over on new ports, at most
  // three times in all.
  common::Status start();

  int size() const { return static_cast<int>(nodes_.size()); }
  std::string namesrv_addr() const;       // "127.0.0.1:<port>"
  std::string broker_addr(int i) const;   // client-facing "127.0.0.1:<listenPort>" of node i
  std::string metrics_addr(int i) const;  // "127.0.0.1:<metricsPort>" of node i (GET /metrics)
  std::string namesrv_metrics_addr() const;
  std::string node_id(int i) const;   // "n1", "n2", ...
  std::string log_path(int i) const;  // --log_file of node i
  std::string out_path(int i) const;  // stdout and stderr of node i
  std::string namesrv_log_path() const;
  std::string conf_path(int i) const;
  std::filesystem::path store_dir(int i) const;
  bool running(int i) const { return nodes_.at(i).pid > 0; }
  pid_t pid(int i) const { return nodes_.at(i).pid; }  // -1 when not running
  pid_t namesrv_pid() const { return namesrv_pid_; }
  // Classic mode: "127.0.0.1:<haListenPort>" of the master (node 0).
  std::string ha_addr(int i) const;
  // For failure messages: the tails of node i's stdout/stderr and log (or of the namesrv's output
  // for i = -1), about `max_bytes` of each.
  std::string read_log(int i, size_t max_bytes = 16 * 1024) const;

  // SIGKILL node i and reap it. No-op when it is not running.
  void kill9(int i);
  // SIGTERM node i and wait for it; error when it does not exit 0 in time (then it is killed).
  common::Status stop(int i, std::chrono::milliseconds limit = std::chrono::seconds(20));
  // Starts node i again with the same config and store; waits until it answers runtime info.
  common::Status restart(int i);
  // SIGTERM to every running process (brokers, then the namesrv), then waits; error lists the
  // ones that did not exit 0.
  common::Status stop_all(std::chrono::milliseconds limit = std::chrono::seconds(20));

  // GET_BROKER_RUNTIME_INFO (28) of node i: the KVTable's "table" as a map.
  common::Result<std::map<std::string, std::string>> runtime_info(
      int i, std::chrono::milliseconds timeout = std::chrono::seconds(2));
  // One number of runtime_info(i); -1 when node i does not answer or lacks `key`.
  int64_t runtime_int(int i, const std::string& key);
  // Classic mode: the master (node 0) has written something and slave `s` holds all of it and has
  // dispatched it (runtime info commitLogMaxOffset, dispatchBehindBytes). Checks once.
  bool slave_caught_up(int s);
  // HA_STATUS (raftmq code 20012) of node i: the JSON answer; an empty object when there is none.
  common::Json ha_status(int i);
  // The running node that calls itself LEADER in runtime info (raftRole), the one with the highest
  // raftTerm if several do (a deposed leader may not know yet). nullopt when none does.
  std::optional<int> leader();
  // Waits until leader() names a node whose brokerActive is "true" (when reported) and which the
  // namesrv lists as brokerId 0 of the group (GET_BROKER_CLUSTER_INFO); that node, or nullopt.
  std::optional<int> wait_leader(std::chrono::milliseconds limit = std::chrono::seconds(30));
  // brokerId-0 address of the group per the namesrv's cluster info, or nullopt.
  std::optional<std::string> namesrv_master_addr();

  // GET_ROUTEINFO_BY_TOPIC (105) from the namesrv: the parsed TopicRouteData.
  common::Result<common::Json> route(const std::string& topic);
  // UPDATE_AND_CREATE_TOPIC (17) to the leader (retried on a leader change), then waits until the
  // namesrv's route for `topic` lists the group with `queues` read queues.
  common::Status create_topic(const std::string& topic, int queues = 4,
                              std::chrono::milliseconds limit = std::chrono::seconds(30));

  // The remoting client used for all of the above; tests may send their own requests with it.
  remoting::Client& client() { return *client_; }

 private:
  struct Node {
    std::string id;  // n1..nN
    uint16_t port = 0;
    uint16_t raft_port = 0;
    uint16_t metrics_port = 0;
    pid_t pid = -1;
  };
  void pick_ports();
  common::Status start_once();
  common::Status write_broker_conf(int i) const;
  common::Status spawn_broker(int i);
  common::Status wait_runtime_info(int i, std::chrono::milliseconds limit);
  common::Status stop_pid(pid_t& pid, const std::string& what, std::chrono::milliseconds limit);

  LocalClusterOptions options_;
  uint16_t namesrv_port_ = 0;
  uint16_t namesrv_metrics_port_ = 0;
  pid_t namesrv_pid_ = -1;
  std::vector<Node> nodes_;
  std::unique_ptr<remoting::Client> client_;
};

// How many slaves an HA_STATUS answer (LocalCluster::ha_status) lists as streaming.
size_t streaming_slaves(const common::Json& ha_status);

// Builds a LocalCluster from `options` with base_dir <options.base_dir>/try<N> and starts it, up to
// three times (a cluster that fails to start is stopped first). The last cluster built, with its
// start() status in *status.
std::unique_ptr<LocalCluster> start_cluster(LocalClusterOptions options, common::Status* status);

}  // namespace rmq::testutil
