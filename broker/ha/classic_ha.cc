#include "broker/ha/classic_ha.h"

#include "broker/broker_context.h"
#include "broker/ha/ha_client.h"
#include "broker/ha/ha_service.h"
#include "broker/ha/slave_synchronizer.h"
#include "broker/replication/metadata_log.h"
#include "common/json.h"
#include "common/logging.h"
#include "store/message_store.h"

namespace rmq::broker::ha {

using common::Status;

namespace {
constexpr auto kMetadataSyncPeriod = std::chrono::seconds(10);
}  // namespace

ClassicHa::ClassicHa(const BrokerConfig& config, store::MessageStore& store, MetadataLog& meta_log,
                     common::Clock& clock)
    : config_(config),
      store_(store),
      meta_log_(meta_log),
      clock_(clock),
      slave_(config.broker_role == "SLAVE") {}

ClassicHa::~ClassicHa() { stop(); }

void ClassicHa::attach() {
  if (slave_) {
    store_.local_log().set_replica_only(true);
    meta_log_.set_read_only("the broker is a slave (brokerId " + std::to_string(config_.broker_id) +
                            "); metadata changes go to its master");
    return;
  }
  HAServiceOptions o;
  o.bind_address = config_.bind_address;
  o.port = static_cast<uint16_t>(std::max(0, effective_ha_listen_port(config_)));
  o.sync_master = sync_master();
  o.heartbeat_interval = config_.ha_send_heartbeat_interval;
  o.housekeeping_interval = config_.ha_housekeeping_interval;
  o.transfer_batch_size = static_cast<uint32_t>(config_.ha_transfer_batch_size);
  o.slave_wait_timeout = config_.sync_flush_timeout;
  o.slave_fallbehind_max = config_.ha_slave_fallbehind_max;
  service_ = std::make_unique<HAService>(o, store_.local_log(), clock_);
  HAService* svc = service_.get();
  store_.local_log().set_replica_hook(
      [svc](const store::AppendResult& r, store::AppendCallback done) {
        svc->on_append(r, std::move(done));
      });
}

Status ClassicHa::start(BrokerContext& ctx) {
  if (!slave_) return service_->start();
  HAClientOptions o;
  o.broker_id = config_.broker_id;
  o.housekeeping_interval = config_.ha_housekeeping_interval;
  client_ = std::make_unique<HAClient>(o, store_, clock_);
  if (!config_.ha_master_address.empty()) client_->set_master_address(config_.ha_master_address);
  client_->start();
  sync_ = std::make_unique<SlaveSynchronizer>(ctx, kMetadataSyncPeriod, clock_);
  sync_->start();
  return Status::ok();
}

void ClassicHa::stop() {
  if (sync_) sync_->stop();
  if (client_) client_->stop();
  if (service_) service_->stop();
}

std::string ClassicHa::ha_server_addr() const {
  if (slave_ || !service_) return "";
  return config_.broker_ip1 + ":" + std::to_string(service_->port());
}

void ClassicHa::on_master_info(const std::string& master_addr, const std::string& ha_server_addr) {
  if (!slave_) return;
  {
    std::lock_guard lock(mu_);
    master_addr_ = master_addr;
  }
  if (client_ && config_.ha_master_address.empty() && !ha_server_addr.empty()) {
    client_->set_master_address(ha_server_addr);
  }
  if (sync_ && !master_addr.empty()) sync_->set_master_address(master_addr);
}

void ClassicHa::request_metadata_sync() {
  if (sync_) sync_->request();
}

std::optional<store::TopicConfig> ClassicHa::topic_from_queues(const std::string& topic) const {
  if (!slave_) return std::nullopt;
  int32_t queues = 0;
  for (const auto& cq : store_.consume_queues().all()) {
    if (cq->topic() == topic) queues = std::max(queues, cq->queue_id() + 1);
  }
  if (queues == 0) return std::nullopt;
  store::TopicConfig t;
  t.topic_name = topic;
  t.read_queue_nums = queues;
  t.write_queue_nums = queues;
  t.perm = 4;  // read
  return t;
}

std::string ClassicHa::master_addr() const {
  std::lock_guard lock(mu_);
  return master_addr_;
}

int64_t ClassicHa::slave_for_reads() const {
  if (!service_) return 0;
  const auto slaves = service_->slaves();
  return slaves.empty() ? 0 : slaves.front().broker_id;
}

std::string ClassicHa::not_writable_reason() const {
  const std::string master = master_addr();
  return "the broker is a slave (brokerId " + std::to_string(config_.broker_id) +
         "); send to its master" + (master.empty() ? std::string() : " at " + master);
}

std::string ClassicHa::status_json() const {
  using common::Json;
  Json o = Json::object();
  o.set("role", Json::string(config_.broker_role));
  o.set("brokerId", Json::number(config_.broker_id));
  const int64_t max = store_.commit_log().max_offset();
  o.set("maxOffset", Json::number(max));
  o.set("flushedOffset", Json::number(store_.commit_log().flushed_offset()));
  const int64_t now_ms = clock_.wall_ms();
  if (service_) {
    o.set("haServerAddr", Json::string(ha_server_addr()));
    o.set("ackedOffset", Json::number(service_->acked_offset()));
    o.set("waitingAppends", Json::number(static_cast<int64_t>(service_->waiting_appends())));
    Json slaves = Json::array();
    for (const auto& s : service_->slaves()) {
      Json j = Json::object();
      j.set("address", Json::string(s.address));
      j.set("brokerId", Json::number(s.broker_id));
      j.set("ackedOffset", Json::number(s.acked_offset));
      j.set("sentOffset", Json::number(s.sent_offset));
      j.set("lagBytes", Json::number(std::max<int64_t>(0, max - s.acked_offset)));
      j.set("lastReportMs", Json::number(s.last_report_wall_ms));
      j.set("lastReportAgeMs", Json::number(std::max<int64_t>(0, now_ms - s.last_report_wall_ms)));
      slaves.push_back(std::move(j));
    }
    o.set("slaves", std::move(slaves));
  }
  if (client_) {
    const HAClientStatus st = client_->status();
    o.set("masterAddress", Json::string(master_addr()));
    o.set("masterHaAddress", Json::string(st.master_address));
    o.set("connected", Json::boolean(st.connected));
    o.set("masterMaxOffset", Json::number(st.master_max_offset));
    o.set("lagBytes", Json::number(st.master_max_offset < 0
                                       ? -1
                                       : std::max<int64_t>(0, st.master_max_offset - max)));
    o.set("lastReceiveMs", Json::number(st.last_receive_wall_ms));
    o.set("truncations", Json::number(static_cast<int64_t>(st.truncations)));
    o.set("connections", Json::number(static_cast<int64_t>(st.connections)));
    if (sync_) o.set("lastMetadataSyncMs", Json::number(sync_->last_sync_wall_ms()));
  }
  return o.dump();
}

}  // namespace rmq::broker::ha
