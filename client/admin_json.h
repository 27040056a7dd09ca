// The admin bodies only the client's admin API writes or reads: SubscriptionGroupConfig (the body
// of UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, which the broker decodes in store/meta) and the broker
// config text of GET_BROKER_CONFIG. The bodies the Admin API returns are the shared ones of
// remoting/protocol/ (route_data.h, body.h, admin_body.h). Pure functions; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <cstdint>
#include <map>
#include <string>

namespace rmq::client {

// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) body: Java SubscriptionGroupConfig.
struct SubscriptionGroupConfig {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
  friend bool operator==(const SubscriptionGroupConfig&, const SubscriptionGroupConfig&) = default;
};

// {"brokerId":0,"consumeBroadcastEnable":true,...,"groupName":"G",...} (fastjson order).
std::string encode_subscription_group_config(const SubscriptionGroupConfig& config);

// GET_BROKER_CONFIG (26) reply: Java properties text ("key=value" lines).
[[nodiscard]] common::Result<std::map<std::string, std::string>> parse_broker_config(
    common::ByteView body);

}  // namespace rmq::client
