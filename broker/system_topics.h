// Names of RocketMQ's system topics and topic prefixes the broker treats specially (one place, as
// Java's TopicValidator/MixAll).
#pragma once

namespace rmq::broker {

inline constexpr const char* kAutoCreateTopicKey = "TBW102";  // route for auto-created topics
inline constexpr const char* kScheduleTopicName = "SCHEDULE_TOPIC_XXXX";  // delay levels
inline constexpr const char* kRetryGroupTopicPrefix = "%RETRY%";
inline constexpr const char* kDlqGroupTopicPrefix = "%DLQ%";

}  // namespace rmq::broker
