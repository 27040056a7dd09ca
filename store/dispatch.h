// DispatchRequest: what the reput service extracts from each committed message and hands to the
// dispatchers (ConsumeQueue, IndexService) and to arrival listeners (long polling).
#pragma once

#include <cstdint>
#include <string>

namespace rmq::store {

struct DispatchRequest {
  std::string topic;
  int32_t queue_id = 0;
  int64_t commit_log_offset = 0;
  int32_t msg_size = 0;
  int64_t tags_code = 0;
  int64_t store_timestamp = 0;
  int64_t consume_queue_offset = 0;
  std::string keys;      // KEYS property (space-separated)
  std::string uniq_key;  // UNIQ_KEY property
  int32_t sys_flag = 0;
};

class CommitLogDispatcher {
 public:
  virtual ~CommitLogDispatcher() = default;
  virtual void dispatch(const DispatchRequest& request) = 0;
};

}  // namespace rmq::store
