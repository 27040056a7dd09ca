// The NameServer's metrics: CountingProcessor counts requests per code and forwards them
// unchanged; the route gauges follow the route table; metricsPort auto = listenPort + 1.
#include "namesrv/namesrv_metrics.h"

#include "common/clock.h"
#include "namesrv/namesrv_config.h"
#include "namesrv/route_info_manager.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rmq::namesrv {
namespace {

using remoting::RemotingCommand;
using remoting::RequestCode;

bool has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(NamesrvMetricsTest, CountingProcessorCountsPerCodeAndForwards) {
  metrics::Registry registry;
  std::vector<int32_t> seen;
  auto inner = std::make_shared<remoting::FunctionProcessor>(
      [&](const remoting::RequestContext&, RemotingCommand& req) -> std::optional<RemotingCommand> {
        seen.push_back(req.code);
        return std::nullopt;
      });
  CountingProcessor p(inner, registry,
                      {RequestCode::kRegisterBroker, RequestCode::kGetRouteinfoByTopic});
  for (auto c : {RequestCode::kRegisterBroker, RequestCode::kGetRouteinfoByTopic,
                 RequestCode::kGetRouteinfoByTopic, RequestCode::kPullMessage}) {
    p.process({}, RemotingCommand::request(c), remoting::Responder());
  }
  EXPECT_EQ(seen.size(), 4u);  // every request reaches the real processor, counted or not
  const std::string text = registry.render();
  EXPECT_TRUE(has(text, R"(raftmq_namesrv_requests_total{code="103",request="REGISTER_BROKER"} 1)"))
      << text;
  EXPECT_TRUE(
      has(text, R"(raftmq_namesrv_requests_total{code="105",request="GET_ROUTEINFO_BY_TOPIC"} 2)"))
      << text;
  EXPECT_EQ(text.find("code=\"11\""), std::string::npos) << text;  // not a namesrv code
}

TEST(NamesrvMetricsTest, RouteGaugesFollowTheTable) {
  common::ManualClock clock;
  RouteInfoManager routes(clock);
  metrics::Registry registry;
  size_t connections = 2;
  register_namesrv_metrics(registry, routes, [&] { return connections; });
  std::string text = registry.render();
  EXPECT_TRUE(has(text, "raftmq_namesrv_brokers 0")) << text;
  EXPECT_TRUE(has(text, "raftmq_namesrv_topics 0")) << text;
  EXPECT_TRUE(has(text, "raftmq_namesrv_connections 2")) << text;

  for (int i = 0; i < 3; ++i) {
    RegisterBrokerRequest r;
    r.cluster_name = "C";
    r.broker_name = "broker-a";
    r.broker_addr = "127.0.0.1:" + std::to_string(10911 + i);
    r.broker_id = i;
    TopicConfig t;
    t.topic_name = "T" + std::to_string(i % 2);
    t.read_queue_nums = t.write_queue_nums = 4;
    t.perm = 6;
    r.body.topic_configs = {t};
    r.body.data_version = DataVersion{1000, 1};
    ASSERT_TRUE(routes.register_broker(r).ok());
  }
  connections = 5;
  text = registry.render();
  EXPECT_TRUE(has(text, "raftmq_namesrv_brokers 3")) << text;
  EXPECT_TRUE(has(text, "raftmq_namesrv_broker_groups 1")) << text;
  EXPECT_TRUE(has(text, "raftmq_namesrv_topics 1")) << text;  // only id 0 publishes topics
  EXPECT_TRUE(has(text, "raftmq_namesrv_connections 5")) << text;
}

TEST(NamesrvMetricsTest, MetricsPortDefaultsToListenPortPlus1) {
  NamesrvConfig c;
  EXPECT_EQ(effective_metrics_port(c), 9877);
  c.listen_port = 0;
  EXPECT_EQ(effective_metrics_port(c), 0);
  c.listen_port = 65535;
  EXPECT_EQ(effective_metrics_port(c), 0);
  c.metrics_port = -1;
  EXPECT_EQ(effective_metrics_port(c), -1);
  c.metrics_port = 9100;
  EXPECT_EQ(effective_metrics_port(c), 9100);
}

}  // namespace
}  // namespace rmq::namesrv
