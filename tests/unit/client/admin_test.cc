// Admin's error reporting without a network: a Client that was never started fails every call
// at once, which shows how failures are named.
#include "client/admin.h"

#include "common/clock.h"

#include <gtest/gtest.h>

namespace rmq::client {
namespace {

TEST(ClientAdminTest, ResponseErrorNamesAddressRequestCodeAndRemark) {
  remoting::RemotingCommand resp;
  resp.code = 17;
  resp.remark = "No topic route info in name server for the topic: T";
  const common::Status st = response_error("10.0.0.1:9876", 105, resp);
  EXPECT_EQ(st.code(), common::Code::kNotFound);
  EXPECT_EQ(st.message(),
            "10.0.0.1:9876: GET_ROUTEINFO_BY_TOPIC(105) failed: code 17 TOPIC_NOT_EXIST: No topic "
            "route info in name server for the topic: T");
  resp.code = 14;
  resp.remark = "not the leader; leader is n2 at h:1";
  EXPECT_EQ(response_error("h:2", kTransferLeaderRequestCode, resp).code(),
            common::Code::kUnavailable);
  EXPECT_EQ(response_error("h:2", kTransferLeaderRequestCode, resp).message(),
            "h:2: TRANSFER_LEADER(20011) failed: code 14 SERVICE_NOT_AVAILABLE: not the leader; "
            "leader is n2 at h:1");
  resp.code = 206;
  resp.remark.reset();
  EXPECT_EQ(response_error("h:3", 203, resp).message(),
            "h:3: GET_CONSUMER_CONNECTION_LIST(203) failed: code 206 CONSUMER_NOT_ONLINE");
}

TEST(ClientAdminTest, EveryNameServerIsTriedAndNamed) {
  common::SteadyClock clock;
  remoting::Client client(remoting::ClientOptions{}, clock);  // not started: calls fail at once
  Admin admin(client, " 127.0.0.1:1 ; 127.0.0.1:2,", AdminOptions{});
  EXPECT_EQ(admin.namesrv_addrs(), (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
  auto info = admin.cluster_info();
  ASSERT_FALSE(info.ok());
  const std::string msg(info.status().message());
  EXPECT_NE(msg.find("127.0.0.1:1: GET_BROKER_CLUSTER_INFO(106) failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("127.0.0.1:2: GET_BROKER_CLUSTER_INFO(106) failed"), std::string::npos) << msg;
  // An address target skips the NameServer; the broker's address is named.
  auto upd = admin.update_topic("T", 4, 4, 6, "127.0.0.1:3");
  ASSERT_FALSE(upd.ok());
  EXPECT_NE(std::string(upd.status().message()).find("127.0.0.1:3: UPDATE_AND_CREATE_TOPIC(17)"),
            std::string::npos)
      << upd.status();
  auto byid = admin.query_msg_by_id("7F00000100002A9F0000000000000010");
  ASSERT_FALSE(byid.ok());
  EXPECT_NE(std::string(byid.status().message()).find("127.0.0.1:10911: VIEW_MESSAGE_BY_ID(33)"),
            std::string::npos)
      << byid.status();
  EXPECT_EQ(admin.query_msg_by_id("nonsense").status().code(), common::Code::kInvalidArgument);
  Admin none(client, "", AdminOptions{});
  EXPECT_EQ(none.topic_list().status().code(), common::Code::kInvalidArgument);
}

}  // namespace
}  // namespace rmq::client
