#include "namesrv/namesrv_metrics.h"

#include "namesrv/route_info_manager.h"

#include <string>

namespace rmq::namesrv {

CountingProcessor::CountingProcessor(std::shared_ptr<remoting::RequestProcessor> inner,
                                     metrics::Registry& registry,
                                     const std::vector<remoting::RequestCode>& codes)
    : inner_(std::move(inner)) {
  for (const remoting::RequestCode code : codes) {
    const auto c = static_cast<int32_t>(code);
    counters_[c] = &registry.counter(
        "raftmq_namesrv_requests_total", "Requests handled, by request code.",
        {{"code", std::to_string(c)}, {"request", std::string(remoting::request_code_name(c))}});
  }
}

void CountingProcessor::process(const remoting::RequestContext& ctx,
                                remoting::RemotingCommand request, remoting::Responder responder) {
  if (auto it = counters_.find(request.code); it != counters_.end()) it->second->inc();
  inner_->process(ctx, std::move(request), std::move(responder));
}

void register_namesrv_metrics(metrics::Registry& registry, const RouteInfoManager& routes,
                              std::function<size_t()> connections) {
  registry.gauge_fn("raftmq_namesrv_brokers", "Broker addresses registered and not expired.",
                    [&routes] { return static_cast<double>(routes.live_broker_addrs().size()); });
  registry.gauge_fn(
      "raftmq_namesrv_broker_groups", "Broker names (groups) with an address.",
      [&routes] { return static_cast<double>(routes.cluster_info().broker_addr_table.size()); });
  registry.gauge_fn("raftmq_namesrv_topics", "Topics with at least one route.",
                    [&routes] { return static_cast<double>(routes.all_topics().size()); });
  registry.gauge_fn("raftmq_namesrv_connections", "Open connections on the NameServer port.",
                    [connections = std::move(connections)] {
                      return connections ? static_cast<double>(connections()) : 0.0;
                    });
}

}  // namespace rmq::namesrv
