#include "tests/testutil/cluster.h"

#include "common/clock.h"
#include "remoting/remoting_command.h"
#include "tests/testutil/process.h"
#include "tests/testutil/wait.h"

#include <csignal>
#include <fstream>
#include <sys/wait.h>

namespace rmq::testutil {

namespace {

using namespace std::chrono_literals;
using common::Json;
using common::Result;
using common::Status;
using remoting::RemotingCommand;
using remoting::RequestCode;

constexpr int32_t kSuccess = static_cast<int32_t>(remoting::ResponseCode::kSuccess);
constexpr int32_t kHaStatusCode = remoting::kRaftmqCodeBase + 12;  // HA_STATUS
constexpr int kExitBind = 3;  // raftmq-namesrv and raftmq-broker: cannot listen on a port

std::string loopback(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

std::string describe_wait_status(int st) {
  if (WIFEXITED(st)) return "exit " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return "signal " + std::to_string(WTERMSIG(st));
  return "status " + std::to_string(st);
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream(path, std::ios::app) << line << '\n';
}

// The id-0 address of `broker_name` in a ClusterInfo or TopicRouteData brokerData object.
std::optional<std::string> master_of(const Json& broker_data) {
  const Json* addrs = broker_data.find("brokerAddrs");
  if (addrs == nullptr || !addrs->is_object()) return std::nullopt;
  const Json* master = addrs->find("0");
  if (master == nullptr || !master->is_string() || master->text().empty()) return std::nullopt;
  return master->text();
}

}  // namespace

LocalCluster::LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {
  for (int i = 0; i < options_.brokers; ++i) {
    Node n;
    n.id = "n" + std::to_string(i + 1);
    nodes_.push_back(n);
  }
  pick_ports();
  remoting::ClientOptions copts;
  copts.connect_timeout = 2s;
  client_ = std::make_unique<remoting::Client>(copts, common::SteadyClock::instance());
  client_->start();
}

LocalCluster::~LocalCluster() {
  (void)stop_all(10s);
  for (auto& n : nodes_) {
    if (n.pid > 0) kill9(static_cast<int>(&n - nodes_.data()));
  }
  if (namesrv_pid_ > 0) {
    ::kill(namesrv_pid_, SIGKILL);
    (void)wait_exit(namesrv_pid_, 5s);
  }
  client_->stop();
}

void LocalCluster::pick_ports() {
  // Every process also serves /metrics on a port of its own, so parallel clusters never clash.
  const auto ports = free_ports(2 + 3 * size());
  namesrv_port_ = ports.at(0);
  namesrv_metrics_port_ = ports.at(1);
  for (int i = 0; i < size(); ++i) {
    nodes_[i].port = ports.at(2 + i);
    nodes_[i].raft_port = ports.at(2 + size() + i);
    nodes_[i].metrics_port = ports.at(2 + 2 * size() + i);
  }
}

std::string LocalCluster::namesrv_addr() const { return loopback(namesrv_port_); }
std::string LocalCluster::broker_addr(int i) const { return loopback(nodes_.at(i).port); }
std::string LocalCluster::metrics_addr(int i) const { return loopback(nodes_.at(i).metrics_port); }
std::string LocalCluster::ha_addr(int i) const { return loopback(nodes_.at(i).raft_port); }
std::string LocalCluster::namesrv_metrics_addr() const { return loopback(namesrv_metrics_port_); }
std::string LocalCluster::node_id(int i) const { return nodes_.at(i).id; }
std::string LocalCluster::log_path(int i) const {
  return (options_.base_dir / (nodes_.at(i).id + ".log")).string();
}
std::string LocalCluster::out_path(int i) const {
  return (options_.base_dir / (nodes_.at(i).id + ".out")).string();
}
std::string LocalCluster::namesrv_log_path() const {
  return (options_.base_dir / "namesrv.log").string();
}
std::string LocalCluster::conf_path(int i) const {
  return (options_.base_dir / (nodes_.at(i).id + ".conf")).string();
}
std::filesystem::path LocalCluster::store_dir(int i) const {
  return options_.base_dir / ("store-" + nodes_.at(i).id);
}

std::string LocalCluster::read_log(int i, size_t max_bytes) const {
  if (i < 0) return read_tail(namesrv_log_path(), max_bytes);
  // stdout/stderr first (short: crashes, sanitizer reports), then the log's tail.
  return "[" + out_path(i) + "]\n" + read_tail(out_path(i), max_bytes / 4) + "[" + log_path(i) +
         "]\n" + read_tail(log_path(i), max_bytes);
}

Status LocalCluster::write_broker_conf(int i) const {
  std::string peers;
  for (const auto& n : nodes_) {
    if (!peers.empty()) peers += ';';
    peers += n.id + "-" + loopback(n.raft_port);
  }
  std::ofstream out(conf_path(i));
  out << "brokerClusterName=" << options_.cluster_name << '\n'
      << "brokerName=" << options_.broker_name << '\n'
      << "brokerIP1=127.0.0.1\n"
      << "listenPort=" << nodes_.at(i).port << '\n'
      << "metricsPort=" << nodes_.at(i).metrics_port << '\n'
      << "namesrvAddr=" << namesrv_addr() << '\n'
      << "storePathRootDir=" << store_dir(i).string() << '\n';
  if (!options_.classic_master_role.empty()) {
    // Classic master/slave: the Raft port slot is the master's HA port.
    out << "enableDLegerCommitLog=false\n"
        << "brokerRole=" << (i == 0 ? options_.classic_master_role : "SLAVE") << '\n'
        << "brokerId=" << i << '\n'
        << "haListenPort=" << nodes_.at(i).raft_port << '\n'
        << "flushDiskType=ASYNC_FLUSH\n"
        << "autoCreateTopicEnable=true\n";
    for (const auto& line : options_.extra_broker_config) out << line << '\n';
    out.close();
    if (!out) return Status::io_error("cannot write " + conf_path(i));
    return Status::ok();
  }
  out << "enableDLegerCommitLog=true\n"
      << "dLegerGroup=" << options_.broker_name << '\n'
      << "dLegerPeers=" << peers << '\n'
      << "dLegerSelfId=" << nodes_.at(i).id << '\n'
      << "flushDiskType=ASYNC_FLUSH\n"
      << "autoCreateTopicEnable=true\n"
      << "raftTickMs=50\n"
      << "raftElectionTicks=10\n";
  for (const auto& line : options_.extra_broker_config) out << line << '\n';
  out.close();
  if (!out) return Status::io_error("cannot write " + conf_path(i));
  return Status::ok();
}

Status LocalCluster::spawn_broker(int i) {
  Node& n = nodes_.at(i);
  if (n.pid > 0) return Status::invalid_argument(n.id + " is already running");
  std::error_code ec;
  std::filesystem::create_directories(store_dir(i), ec);
  if (ec) return Status::io_error("cannot create " + store_dir(i).string() + ": " + ec.message());
  append_line(log_path(i), "=== LocalCluster: starting " + n.id + " ===");
  append_line(out_path(i), "=== LocalCluster: starting " + n.id + " ===");
  n.pid = spawn({options_.broker_bin, "--config=" + conf_path(i), "--log_file=" + log_path(i)},
                out_path(i));
  if (n.pid <= 0) {
    n.pid = -1;
    return Status::io_error("cannot spawn " + options_.broker_bin);
  }
  return Status::ok();
}

Status LocalCluster::wait_runtime_info(int i, std::chrono::milliseconds limit) {
  std::string last_error = "no answer";
  bool exited_on_bind = false;
  const bool up = eventually(
      [&] {
        // An exited process will never answer: stop waiting at once.
        if (auto st = wait_exit(nodes_.at(i).pid, 0ms)) {
          last_error = nodes_.at(i).id + " exited (" + describe_wait_status(*st) + ")";
          exited_on_bind = WIFEXITED(*st) && WEXITSTATUS(*st) == kExitBind;
          nodes_.at(i).pid = -1;
          return true;
        }
        auto info = runtime_info(i, 1s);
        if (!info.ok()) last_error = info.status().to_string();
        return info.ok();
      },
      limit);
  if (up && nodes_.at(i).pid > 0) return Status::ok();
  const std::string what = nodes_.at(i).id + " at " + broker_addr(i) +
                           " does not answer runtime info: " + last_error + " (see " + log_path(i) +
                           ")";
  return exited_on_bind ? Status::already_exists(what) : Status::unavailable(what);
}

Status LocalCluster::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.base_dir, ec);
  if (ec) return Status::io_error("cannot create " + options_.base_dir.string());
  if (namesrv_pid_ > 0) return Status::invalid_argument("already started");
  // A port picked free may be taken before the process binds it (exit 3): start over with new
  // ports, at most three times. Any other failure is returned as it is.
  Status st;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) {
      (void)stop_all(10s);
      for (int i = 0; i < size(); ++i) std::filesystem::remove_all(store_dir(i), ec);
      pick_ports();
    }
    st = start_once();
    if (st.code() != common::Code::kAlreadyExists) return st;
  }
  return st;
}

Status LocalCluster::start_once() {
  namesrv_pid_ =
      spawn({options_.namesrv_bin, "--listenPort=" + std::to_string(namesrv_port_),
             "--metricsPort=" + std::to_string(namesrv_metrics_port_), "--bindAddress=127.0.0.1"},
            namesrv_log_path());
  if (namesrv_pid_ <= 0) return Status::io_error("cannot spawn " + options_.namesrv_bin);
  bool ns_bind_failed = false;
  const bool ns_up = eventually(
      [&] {
        if (auto st = wait_exit(namesrv_pid_, 0ms)) {
          ns_bind_failed = WIFEXITED(*st) && WEXITSTATUS(*st) == kExitBind;
          namesrv_pid_ = -1;
          return true;
        }
        auto r = client_->invoke_sync(
            namesrv_addr(), RemotingCommand::request(RequestCode::kGetBrokerClusterInfo), 1s);
        return r.ok() && r->code == kSuccess;
      },
      options_.start_timeout);
  if (!ns_up || namesrv_pid_ <= 0) {
    const std::string what =
        "namesrv at " + namesrv_addr() + " does not answer (see " + namesrv_log_path() + ")";
    return ns_bind_failed ? Status::already_exists(what) : Status::unavailable(what);
  }

  for (int i = 0; i < size(); ++i) {
    RMQ_RETURN_IF_ERROR(write_broker_conf(i));
    RMQ_RETURN_IF_ERROR(spawn_broker(i));
  }
  for (int i = 0; i < size(); ++i)
    RMQ_RETURN_IF_ERROR(wait_runtime_info(i, options_.start_timeout));
  if (!wait_leader(options_.start_timeout)) {
    return Status::unavailable("no active leader registered with the namesrv within " +
                               std::to_string(options_.start_timeout.count()) + " ms");
  }
  return Status::ok();
}

void LocalCluster::kill9(int i) {
  Node& n = nodes_.at(i);
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGKILL);
  (void)wait_exit(n.pid, 10s);
  n.pid = -1;
  append_line(log_path(i), "=== LocalCluster: SIGKILL " + n.id + " ===");
  append_line(out_path(i), "=== LocalCluster: SIGKILL " + n.id + " ===");
}

Status LocalCluster::stop_pid(pid_t& pid, const std::string& what,
                              std::chrono::milliseconds limit) {
  if (pid <= 0) return Status::ok();
  ::kill(pid, SIGTERM);
  auto st = wait_exit(pid, limit);
  if (!st) {
    ::kill(pid, SIGKILL);
    (void)wait_exit(pid, 5s);
    pid = -1;
    return Status::timeout(what + " did not exit within " + std::to_string(limit.count()) +
                           " ms of SIGTERM (killed)");
  }
  pid = -1;
  if (WIFEXITED(*st) && WEXITSTATUS(*st) == 0) return Status::ok();
  return Status::aborted(what + " ended with " + describe_wait_status(*st));
}

Status LocalCluster::stop(int i, std::chrono::milliseconds limit) {
  return stop_pid(nodes_.at(i).pid, nodes_.at(i).id, limit);
}

Status LocalCluster::restart(int i) {
  RMQ_RETURN_IF_ERROR(spawn_broker(i));
  return wait_runtime_info(i, options_.start_timeout);
}

Status LocalCluster::stop_all(std::chrono::milliseconds limit) {
  for (auto& n : nodes_) {
    if (n.pid > 0) ::kill(n.pid, SIGTERM);
  }
  std::string failures;
  for (int i = 0; i < size(); ++i) {
    Status s = stop(i, limit);
    if (!s.is_ok())
      failures += std::string(failures.empty() ? "" : "; ") + std::string(s.message());
  }
  Status s = stop_pid(namesrv_pid_, "namesrv", limit);
  if (!s.is_ok()) failures += std::string(failures.empty() ? "" : "; ") + std::string(s.message());
  if (failures.empty()) return Status::ok();
  return Status::aborted(failures);
}

Result<std::map<std::string, std::string>> LocalCluster::runtime_info(
    int i, std::chrono::milliseconds timeout) {
  auto resp = client_->invoke_sync(
      broker_addr(i), RemotingCommand::request(RequestCode::kGetBrokerRuntimeInfo), timeout);
  if (!resp.ok()) return resp.status();
  if (resp->code != kSuccess) {
    return Status::unavailable("runtime info: code " + std::to_string(resp->code) + " " +
                               resp->remark.value_or(""));
  }
  auto json = Json::parse(resp->body.str());
  if (!json.ok()) return json.status();
  const Json* table = json->find("table");
  if (table == nullptr || !table->is_object()) {
    return Status::corruption("runtime info without a table: " + std::string(resp->body.str()));
  }
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : table->members()) out[k] = v.to_plain_string();
  return out;
}

int64_t LocalCluster::runtime_int(int i, const std::string& key) {
  auto info = runtime_info(i);
  if (!info.ok() || !info->contains(key)) return -1;
  return std::stoll(info->at(key));
}

bool LocalCluster::slave_caught_up(int s) {
  const int64_t m = runtime_int(0, "commitLogMaxOffset");
  return m > 0 && m == runtime_int(s, "commitLogMaxOffset") &&
         runtime_int(s, "dispatchBehindBytes") == 0;
}

Json LocalCluster::ha_status(int i) {
  auto r = client_->invoke_sync(broker_addr(i), RemotingCommand::request(kHaStatusCode), 3s);
  if (!r.ok() || r->code != kSuccess) return Json::object();
  auto j = Json::parse(r->body.str());
  return j.ok() ? *j : Json::object();
}

std::optional<int> LocalCluster::leader() {
  if (!options_.classic_master_role.empty()) {
    if (nodes_.at(0).pid <= 0 || !runtime_info(0, 1s).ok()) return std::nullopt;
    return 0;
  }
  std::optional<int> best;
  int64_t best_term = -1;
  for (int i = 0; i < size(); ++i) {
    if (nodes_.at(i).pid <= 0) continue;
    auto info = runtime_info(i, 1s);
    if (!info.ok()) continue;
    auto role = info->find("raftRole");
    if (role == info->end() || role->second != "LEADER") continue;
    int64_t term = 0;
    if (auto t = info->find("raftTerm"); t != info->end()) {
      try {
        term = std::stoll(t->second);
      } catch (...) {
        term = 0;
      }
    }
    if (term > best_term) {
      best_term = term;
      best = i;
    }
  }
  return best;
}

std::optional<std::string> LocalCluster::namesrv_master_addr() {
  auto resp = client_->invoke_sync(
      namesrv_addr(), RemotingCommand::request(RequestCode::kGetBrokerClusterInfo), 2s);
  if (!resp.ok() || resp->code != kSuccess) return std::nullopt;
  Json::ParseOptions popts;
  popts.allow_unquoted_int_keys = true;
  auto json = Json::parse(resp->body.str(), popts);
  if (!json.ok()) return std::nullopt;
  const Json* table = json->find("brokerAddrTable");
  const Json* data = table != nullptr ? table->find(options_.broker_name) : nullptr;
  if (data == nullptr) return std::nullopt;
  return master_of(*data);
}

std::optional<int> LocalCluster::wait_leader(std::chrono::milliseconds limit) {
  std::optional<int> found;
  eventually(
      [&] {
        found = leader();
        if (!found) return false;
        auto info = runtime_info(*found, 1s);
        if (!info.ok()) return false;
        if (auto a = info->find("brokerActive"); a != info->end() && a->second != "true") {
          return false;
        }
        return namesrv_master_addr() == broker_addr(*found);
      },
      limit);
  if (found && namesrv_master_addr() != broker_addr(*found)) return std::nullopt;
  return found;
}

Result<Json> LocalCluster::route(const std::string& topic) {
  auto req = RemotingCommand::request(RequestCode::kGetRouteinfoByTopic);
  req.ext_fields.set("topic", topic);
  auto resp = client_->invoke_sync(namesrv_addr(), std::move(req), 2s);
  if (!resp.ok()) return resp.status();
  if (resp->code != kSuccess) {
    return Status::not_found("route of " + topic + ": code " + std::to_string(resp->code) + " " +
                             resp->remark.value_or(""));
  }
  Json::ParseOptions popts;
  popts.allow_unquoted_int_keys = true;
  return Json::parse(resp->body.str(), popts);
}

Status LocalCluster::create_topic(const std::string& topic, int queues,
                                  std::chrono::milliseconds limit) {
  std::string last = "no leader";
  bool created = false;
  eventually(
      [&] {
        auto leader_index = leader();
        if (!leader_index) return false;
        auto req = RemotingCommand::request(RequestCode::kUpdateAndCreateTopic);
        req.ext_fields.set("topic", topic);
        req.ext_fields.set("defaultTopic", "TBW102");
        req.ext_fields.set("readQueueNums", int64_t{queues});
        req.ext_fields.set("writeQueueNums", int64_t{queues});
        req.ext_fields.set("perm", int64_t{6});
        req.ext_fields.set("topicFilterType", "SINGLE_TAG");
        req.ext_fields.set("topicSysFlag", int64_t{0});
        req.ext_fields.set("order", "false");
        auto resp = client_->invoke_sync(broker_addr(*leader_index), std::move(req), 3s);
        if (!resp.ok()) {
          last = resp.status().to_string();
          return false;
        }
        if (resp->code != kSuccess) {
          last = "code " + std::to_string(resp->code) + " " + resp->remark.value_or("");
          return false;
        }
        created = true;
        return true;
      },
      limit);
  if (!created) return Status::unavailable("UPDATE_AND_CREATE_TOPIC " + topic + ": " + last);

  const bool routed = eventually(
      [&] {
        auto r = route(topic);
        if (!r.ok()) {
          last = r.status().to_string();
          return false;
        }
        bool queue_ok = false;
        if (const Json* qds = r->find("queueDatas"); qds != nullptr && qds->is_array()) {
          for (const auto& qd : qds->items()) {
            if (qd.get_string("brokerName") == options_.broker_name &&
                qd.get_int("readQueueNums") == queues && qd.get_int("writeQueueNums") == queues) {
              queue_ok = true;
            }
          }
        }
        bool master_ok = false;
        if (const Json* bds = r->find("brokerDatas"); bds != nullptr && bds->is_array()) {
          for (const auto& bd : bds->items()) {
            if (bd.get_string("brokerName") == options_.broker_name && master_of(bd)) {
              master_ok = true;
            }
          }
        }
        last = "route " + r->dump();
        return queue_ok && master_ok;
      },
      limit);
  if (!routed) return Status::unavailable("namesrv has no usable route for " + topic + ": " + last);
  return Status::ok();
}

size_t streaming_slaves(const Json& ha_status) {
  const Json* s = ha_status.find("slaves");
  return s != nullptr && s->is_array() ? s->items().size() : 0;
}

std::unique_ptr<LocalCluster> start_cluster(LocalClusterOptions options, Status* status) {
  const std::filesystem::path base = options.base_dir;
  std::unique_ptr<LocalCluster> c;
  for (int attempt = 0; attempt < 3; ++attempt) {
    options.base_dir = base / ("try" + std::to_string(attempt));
    c = std::make_unique<LocalCluster>(options);
    *status = c->start();
    if (status->is_ok()) break;
    (void)c->stop_all();
  }
  return c;
}

}  // namespace rmq::testutil
