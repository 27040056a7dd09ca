// ReputService: tails the commit log from reput_offset up to its confirm offset (written in local
// mode, committed in DLedger mode) and turns each message into a DispatchRequest for the
// dispatchers (ConsumeQueue builder, IndexService) and the arrival listener (long polling)
// (RocketMQ ReputMessageService). One background thread; wakeup() after appends or commits.
// catch_up() runs the same loop on the caller's thread (recovery, before the thread starts).
#pragma once

#include "store/commit_log.h"
#include "store/dispatch.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rmq::store {

class ReputService {
 public:
  using ArrivalListener = std::function<void(const DispatchRequest&)>;
  // Turns a stored message into a request; the default uses TAGS for the tags code. The broker
  // replaces it to put delivery times into SCHEDULE_TOPIC units.
  using RequestBuilder = std::function<DispatchRequest(const MessageView&)>;

  ReputService(CommitLog& log, std::vector<CommitLogDispatcher*> dispatchers);
  ~ReputService();

  void set_arrival_listener(ArrivalListener l) { listener_ = std::move(l); }
  void set_request_builder(RequestBuilder b) { builder_ = std::move(b); }

  void start(int64_t from_offset);
  void stop();
  void wakeup();
  // Dispatches up to about `max_bytes` on the caller's thread when no dispatch is running (one
  // wake-up of the dispatch thread saved per commit); wakes the thread for anything left.
  void dispatch_now(int64_t max_bytes);
  // Dispatches everything up to the confirm offset now, on this thread. REQUIRES: not started.
  void catch_up(int64_t from_offset);

  int64_t reput_offset() const { return reput_offset_.load(std::memory_order_acquire); }
  int64_t behind() const { return log_.confirm_offset() - reput_offset(); }

  static DispatchRequest default_request(const MessageView& m);

 private:
  void run();
  // Dispatches what is available (stopping at the first record boundary past `max_bytes`);
  // returns false when nothing was done. REQUIRES: dispatch_mu_ held (or not started).
  bool do_reput(int64_t max_bytes = INT64_MAX);

  CommitLog& log_;
  std::vector<CommitLogDispatcher*> dispatchers_;
  ArrivalListener listener_;
  RequestBuilder builder_;
  std::atomic<int64_t> reput_offset_{0};
  std::atomic<bool> sleeping_{false};
  std::mutex dispatch_mu_;  // one dispatcher at a time: the thread or a dispatch_now() caller
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  bool wake_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace rmq::store
