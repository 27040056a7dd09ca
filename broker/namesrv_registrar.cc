#include "broker/namesrv_registrar.h"

#include "common/logging.h"
#include "remoting/request_code.h"

namespace rmq::broker {

using remoting::RemotingCommand;
using remoting::RequestCode;

namespace {
remoting::ClientOptions client_options() {
  remoting::ClientOptions o;
  o.endpoint.name = "ns-reg";
  o.endpoint.io_threads = 1;
  o.connect_timeout = std::chrono::seconds(3);
  return o;
}
}  // namespace

NamesrvRegistrar::NamesrvRegistrar(std::vector<std::string> namesrvs,
                                   std::chrono::milliseconds period,
                                   std::function<Registration()> snapshot, common::Clock& clock)
    : namesrvs_(std::move(namesrvs)),
      period_(period),
      snapshot_(std::move(snapshot)),
      clock_(clock),
      client_(client_options(), clock) {}

NamesrvRegistrar::~NamesrvRegistrar() { stop(); }

void NamesrvRegistrar::start() {
  {
    std::lock_guard lock(mu_);
    if (!stop_) return;
    stop_ = false;
    pending_ = true;
  }
  client_.start();
  thread_ = std::thread([this] { run(); });
}

void NamesrvRegistrar::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Registration last;
  {
    std::lock_guard lock(mu_);
    last = last_;
  }
  if (!last.broker_addr.empty()) {
    for (const auto& ns : namesrvs_) {
      auto req = RemotingCommand::request(RequestCode::kUnregisterBroker);
      req.ext_fields.set("brokerName", last.broker_name);
      req.ext_fields.set("brokerAddr", last.broker_addr);
      req.ext_fields.set("clusterName", last.cluster_name);
      req.ext_fields.set("brokerId", last.broker_id);
      auto r = client_.invoke_sync(ns, std::move(req), std::chrono::milliseconds(1000));
      if (!r.ok()) {
        common::logger("broker")->warn("unregister from {} failed: {}", ns, r.status().to_string());
      }
    }
  }
  client_.stop();
}

void NamesrvRegistrar::register_now() {
  {
    std::lock_guard lock(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

uint64_t NamesrvRegistrar::registrations() const {
  std::lock_guard lock(mu_);
  return count_;
}

int64_t NamesrvRegistrar::last_success_ms() const {
  std::lock_guard lock(mu_);
  return last_ok_ms_;
}

void NamesrvRegistrar::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period_, [this] { return stop_ || pending_; });
    if (stop_) break;
    pending_ = false;
    lock.unlock();
    const int ok = register_all();
    lock.lock();
    if (ok == 0) {
      // Nobody reachable: try again soon rather than a full period later.
      cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; });
      pending_ = true;
    }
  }
}

int NamesrvRegistrar::register_all() {
  Registration reg = snapshot_();
  int ok = 0;
  for (const auto& ns : namesrvs_) {
    auto req = RemotingCommand::request(RequestCode::kRegisterBroker);
    req.ext_fields.set("brokerName", reg.broker_name);
    req.ext_fields.set("brokerAddr", reg.broker_addr);
    req.ext_fields.set("clusterName", reg.cluster_name);
    req.ext_fields.set("haServerAddr",
                       reg.ha_server_addr.empty() ? reg.broker_addr : reg.ha_server_addr);
    req.ext_fields.set("brokerId", reg.broker_id);
    req.ext_fields.set("compressed", "false");
    if (reg.raft_term >= 0) req.ext_fields.set("raftTerm", reg.raft_term);
    req.body = common::Buffer(std::string_view(reg.body));
    auto r = client_.invoke_sync(ns, std::move(req), std::chrono::milliseconds(3000));
    if (!r.ok()) {
      common::logger("broker")->warn("register with namesrv {} failed: {}", ns,
                                     r.status().to_string());
    } else if (r->code != 0) {
      common::logger("broker")->warn("namesrv {} refused the registration: code {} {}", ns, r->code,
                                     r->remark.value_or(""));
    } else {
      ++ok;
      if (on_master_info_) {
        const std::string* master = r->ext("masterAddr");
        const std::string* ha = r->ext("haServerAddr");
        on_master_info_(master ? *master : std::string(), ha ? *ha : std::string());
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    if (ok > 0) {
      ++count_;
      last_ok_ms_ = clock_.wall_ms();
    }
    last_ = reg;
  }
  if (on_registered_) on_registered_(reg, ok);
  return ok;
}

}  // namespace rmq::broker
