// Queue allocation strategies of a consumer group's rebalance (RocketMQ's
// AllocateMessageQueueAveragely and AllocateMessageQueueAveragelyByCircle). Every member runs the
// same pure function over the same sorted queue and client-id lists, so the members agree on who
// owns what without talking to each other. Pure functions; thread-safe.
#pragma once

#include "client/route.h"

#include <string>
#include <string_view>
#include <vector>

namespace rmq::client {

enum class AllocateStrategy : uint8_t {
  kAveragely,          // contiguous blocks: 8 queues, 3 ids -> {0,1,2} {3,4,5} {6,7}
  kAveragelyByCircle,  // round robin:       8 queues, 3 ids -> {0,3,6} {1,4,7} {2,5}
};

std::string_view to_string(AllocateStrategy s);

// The queues of `current_id`. REQUIRES: `queues` and `ids` sorted (as the callers sort them;
// QueueRef orders by topic, broker name, queue id like Java's MessageQueue). An id that is not in
// `ids`, or an empty list, gets nothing (Java logs and returns an empty list).
std::vector<QueueRef> allocate_averagely(const std::vector<QueueRef>& queues,
                                         const std::vector<std::string>& ids,
                                         const std::string& current_id);
std::vector<QueueRef> allocate_averagely_by_circle(const std::vector<QueueRef>& queues,
                                                   const std::vector<std::string>& ids,
                                                   const std::string& current_id);
std::vector<QueueRef> allocate(AllocateStrategy strategy, const std::vector<QueueRef>& queues,
                               const std::vector<std::string>& ids, const std::string& current_id);

}  // namespace rmq::client
