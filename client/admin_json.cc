#include "client/admin_json.h"

#include "common/properties.h"
#include "remoting/protocol/fastjson.h"

namespace rmq::client {

using common::Result;

Result<std::map<std::string, std::string>> parse_broker_config(common::ByteView body) {
  auto props = common::parse_properties(common::as_string_view(body), "broker config");
  if (!props.ok()) return props.status();
  std::map<std::string, std::string> out;
  for (const auto& [k, entry] : props->entries()) out[k] = entry.value;
  return out;
}

std::string encode_subscription_group_config(const SubscriptionGroupConfig& g) {
  std::string out;
  remoting::protocol::ObjectWriter(out)
      .num("brokerId", g.broker_id)
      .boolean("consumeBroadcastEnable", g.consume_broadcast_enable)
      .boolean("consumeEnable", g.consume_enable)
      .boolean("consumeFromMinEnable", g.consume_from_min_enable)
      .str("groupName", g.group_name)
      .boolean("notifyConsumerIdsChangedEnable", g.notify_consumer_ids_changed_enable)
      .num("retryMaxTimes", g.retry_max_times)
      .num("retryQueueNums", g.retry_queue_nums)
      .num("whichBrokerWhenConsumeSlowly", g.which_broker_when_consume_slowly)
      .end();
  return out;
}

}  // namespace rmq::client
