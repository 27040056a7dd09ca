// NamesrvRegistrar: keeps this broker registered with every NameServer (RocketMQ BrokerOuterAPI
// + the registerBrokerAll timer): REGISTER_BROKER (103) every registerNameServerPeriod and at once
// when asked (role change, topic change), UNREGISTER_BROKER (104) on shutdown. In DLedger mode the
// leader registers as brokerId 0 and followers under their node id, all with their Raft term so a
// NameServer never lets a deposed leader take id 0 back. One thread; sync calls with a timeout.
#pragma once

#include "common/clock.h"
#include "remoting/client.h"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rmq::broker {

struct Registration {
  std::string cluster_name;
  std::string broker_name;
  std::string broker_addr;
  int64_t broker_id = 0;
  int64_t raft_term = -1;      // < 0: not sent
  std::string ha_server_addr;  // classic master: its HA address ("" = broker_addr)
  std::string body;            // RegisterBrokerBody JSON
};

class NamesrvRegistrar {
 public:
  // `snapshot` builds the registration at the moment it is sent.
  NamesrvRegistrar(std::vector<std::string> namesrvs, std::chrono::milliseconds period,
                   std::function<Registration()> snapshot, common::Clock& clock);
  ~NamesrvRegistrar();

  void start();
  // Unregisters from every NameServer (best effort), stops the thread.
  void stop();
  // Registers again as soon as possible (coalesces).
  void register_now();
  // Successful registrations so far (for tests).
  uint64_t registrations() const;
  // Wall ms of the last registration that reached at least one NameServer.
  int64_t last_success_ms() const;
  // Called after each round with the number of NameServers that accepted.
  void set_on_registered(std::function<void(const Registration&, int ok)> f) {
    on_registered_ = std::move(f);
  }
  // Called with the masterAddr and haServerAddr of each accepted registration's answer (a
  // NameServer names the group's master to a slave; both empty otherwise). Set before start().
  void set_on_master_info(
      std::function<void(const std::string& master_addr, const std::string& ha_addr)> f) {
    on_master_info_ = std::move(f);
  }

 private:
  void run();
  int register_all();

  std::vector<std::string> namesrvs_;
  std::chrono::milliseconds period_;
  std::function<Registration()> snapshot_;
  common::Clock& clock_;
  remoting::Client client_;
  std::function<void(const Registration&, int)> on_registered_;
  std::function<void(const std::string&, const std::string&)> on_master_info_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = true;        // GUARDED_BY(mu_)
  bool pending_ = false;    // GUARDED_BY(mu_)
  uint64_t count_ = 0;      // GUARDED_BY(mu_)
  int64_t last_ok_ms_ = 0;  // GUARDED_BY(mu_)
  Registration last_;       // GUARDED_BY(mu_): for the unregistration
  std::thread thread_;
};

}  // namespace rmq::broker
