// The client-only admin bodies (client/admin_json.h). The shared bodies the Admin API decodes are
// tested in tests/unit/remoting/protocol/.
#include "client/admin_json.h"

#include "common/bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::client {
namespace {

common::ByteView b(std::string_view s) { return common::as_bytes(s); }

TEST(ClientAdminJsonTest, BrokerConfig) {
  auto conf = parse_broker_config(b("brokerName=broker-a\nlistenPort=10911\n# c\nx=a\\=b\n"));
  ASSERT_TRUE(conf.ok()) << conf.status();
  EXPECT_EQ(*conf, (std::map<std::string, std::string>{
                       {"brokerName", "broker-a"}, {"listenPort", "10911"}, {"x", "a=b"}}));
}

TEST(ClientAdminJsonTest, SubscriptionGroupConfigBody) {
  SubscriptionGroupConfig g;
  g.group_name = "G\"1";
  g.retry_max_times = 3;
  EXPECT_EQ(encode_subscription_group_config(g),
            R"({"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,)"
            R"("consumeFromMinEnable":true,"groupName":"G\"1",)"
            R"("notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":1,)"
            R"("whichBrokerWhenConsumeSlowly":1})");
}

}  // namespace
}  // namespace rmq::client
