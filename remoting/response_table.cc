#include "remoting/response_table.h"

#include <string>

namespace rmq::remoting {

void ResponseTable::add(int32_t opaque, uint64_t conn_id, common::Duration timeout,
                        ResponseCallback cb) {
  std::lock_guard lock(mu_);
  pending_[opaque] = Pending{conn_id, clock_.now() + timeout, std::move(cb)};
}

bool ResponseTable::complete(int32_t opaque, RemotingCommand response) {
  ResponseCallback cb;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(opaque);
    if (it == pending_.end()) return false;
    cb = std::move(it->second.cb);
    pending_.erase(it);
  }
  if (cb) cb(std::move(response));
  return true;
}

void ResponseTable::fail(int32_t opaque, const common::Status& error) {
  ResponseCallback cb;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(opaque);
    if (it == pending_.end()) return;
    cb = std::move(it->second.cb);
    pending_.erase(it);
  }
  if (cb) cb(error);
}

std::vector<ResponseTable::Pending> ResponseTable::take_if(
    const std::function<bool(int32_t, const Pending&)>& pred) {
  std::vector<Pending> out;
  std::lock_guard lock(mu_);
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (pred(it->first, it->second)) {
      out.push_back(std::move(it->second));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void ResponseTable::fail_connection(uint64_t conn_id, const common::Status& error) {
  for (auto& p : take_if([&](int32_t, const Pending& e) { return e.conn_id == conn_id; })) {
    if (p.cb) p.cb(error);
  }
}

void ResponseTable::fail_all(const common::Status& error) {
  for (auto& p : take_if([](int32_t, const Pending&) { return true; })) {
    if (p.cb) p.cb(error);
  }
}

size_t ResponseTable::scan_timeouts() {
  const common::TimePoint now = clock_.now();
  auto expired = take_if([&](int32_t, const Pending& e) { return e.deadline <= now; });
  for (auto& p : expired) {
    if (p.cb) p.cb(common::Status::timeout("no response within the timeout"));
  }
  return expired.size();
}

size_t ResponseTable::size() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace rmq::remoting
