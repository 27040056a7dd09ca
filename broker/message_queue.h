// MessageQueue: the (topic, brokerName, queueId) triple clients use to name a queue, as in Java's
// org.apache.rocketmq.common.message.MessageQueue. Ordered like Java's compareTo (topic, then
// brokerName, then queueId) so sets of it iterate the way a Java TreeSet would. Value type.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace rmq::broker {

struct MessageQueue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;

  friend auto operator<=>(const MessageQueue&, const MessageQueue&) = default;
  friend bool operator==(const MessageQueue&, const MessageQueue&) = default;
};

}  // namespace rmq::broker
