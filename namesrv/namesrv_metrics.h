// The NameServer's Prometheus series (metrics/README.md): route table sizes and connections read
// at scrape time, and requests counted per code by CountingProcessor, a wrapper in front of the
// request processor (one relaxed atomic add per request; the code -> counter map is built once).
// Built by NamesrvController before its server starts; thread-safe.
#pragma once

#include "metrics/registry.h"
#include "remoting/request_code.h"
#include "remoting/request_processor.h"

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace rmq::namesrv {

class RouteInfoManager;

class CountingProcessor final : public remoting::RequestProcessor {
 public:
  // One raftmq_namesrv_requests_total series per code in `codes` (labels code and request).
  CountingProcessor(std::shared_ptr<remoting::RequestProcessor> inner, metrics::Registry& registry,
                    const std::vector<remoting::RequestCode>& codes);

  void process(const remoting::RequestContext& ctx, remoting::RemotingCommand request,
               remoting::Responder responder) override;
  bool reject_request() const override { return inner_->reject_request(); }

 private:
  std::shared_ptr<remoting::RequestProcessor> inner_;
  std::unordered_map<int32_t, metrics::Counter*> counters_;  // read-only after construction
};

// Route-table and connection gauges. REQUIRES: `routes` outlives `registry`'s scrapes;
// `connections` is called at scrape time.
void register_namesrv_metrics(metrics::Registry& registry, const RouteInfoManager& routes,
                              std::function<size_t()> connections);

}  // namespace rmq::namesrv
