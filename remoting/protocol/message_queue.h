// MessageQueue: the (topic, brokerName, queueId) triple that names a queue, as Java's
// org.apache.rocketmq.common.message.MessageQueue. Ordered like Java's compareTo (topic, then
// brokerName, then queueId), so sets of it iterate the way a Java TreeSet would and encoders that
// walk a std::set or std::map write queues in that order. Value type.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace rmq::remoting::protocol {

struct MessageQueue {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;

  friend auto operator<=>(const MessageQueue&, const MessageQueue&) = default;
  friend bool operator==(const MessageQueue&, const MessageQueue&) = default;
};

// "topic@brokerName#queueId", for tables and error messages.
inline std::string to_string(const MessageQueue& mq) {
  return mq.topic + "@" + mq.broker_name + "#" + std::to_string(mq.queue_id);
}

}  // namespace rmq::remoting::protocol
