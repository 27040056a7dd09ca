#include "broker/broker_controller.h"

#include "broker/broker_metrics.h"
#include "broker/client/client_manager.h"
#include "broker/client/rebalance_lock.h"
#include "broker/consumer_offset_manager.h"
#include "broker/ha/classic_ha.h"
#include "broker/longpolling/pull_request_hold_service.h"
#include "broker/namesrv_registrar.h"
#include "broker/processor/admin_processor.h"
#include "broker/processor/client_processor.h"
#include "broker/processor/processor_util.h"
#include "broker/processor/pull_message_processor.h"
#include "broker/processor/send_message_processor.h"
#include "broker/replication/dledger_commit_log.h"
#include "broker/replication/metadata_log.h"
#include "broker/schedule/schedule_message_service.h"
#include "broker/subscription_group_manager.h"
#include "broker/topic_config_manager.h"
#include "common/executor.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/thread_pool.h"
#include "remoting/server.h"
#include "store/file_system.h"
#include "store/message_store.h"
#include "store/meta/meta_codec.h"

#include <charconv>
#include <filesystem>

namespace rmq::broker {

using common::Status;
using remoting::RequestCode;

namespace {
constexpr const char* kScheduleProgressKey = "schedule.progress";

std::string encode_progress(const std::map<int, int64_t>& p) {
  std::string s;
  for (const auto& [level, off] : p) {
    if (!s.empty()) s += ',';
    s += std::to_string(level) + ":" + std::to_string(off);
  }
  return s;
}

std::map<int, int64_t> decode_progress(std::string_view s) {
  std::map<int, int64_t> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(pos, end - pos);
    const size_t colon = part.find(':');
    if (colon != std::string_view::npos) {
      int level = 0;
      int64_t off = 0;
      std::from_chars(part.data(), part.data() + colon, level);
      std::from_chars(part.data() + colon + 1, part.data() + part.size(), off);
      out[level] = off;
    }
    pos = end + 1;
  }
  return out;
}
}  // namespace

struct BrokerController::Parts {
  std::unique_ptr<store::MetaStore> meta;
  std::unique_ptr<store::MessageStore> store;
  DLedgerCommitLog* dledger = nullptr;  // owned by `store`
  std::unique_ptr<MetadataLog> meta_log;
  std::unique_ptr<ha::ClassicHa> ha;  // classic master/slave mode (local log) only
  std::unique_ptr<TopicConfigManager> topics;
  std::unique_ptr<SubscriptionGroupManager> groups;
  std::unique_ptr<ConsumerOffsetManager> offsets;
  std::unique_ptr<ClientManager> clients;
  std::unique_ptr<RebalanceLockManager> locks;
  std::unique_ptr<PullRequestHoldService> hold;
  BrokerStats stats;
  std::unique_ptr<ScheduleMessageService> schedule;
  std::unique_ptr<remoting::Server> server;
  std::vector<std::shared_ptr<common::ThreadPool>> pools;
  std::unique_ptr<NamesrvRegistrar> registrar;
  std::unique_ptr<common::ThreadPool> role_pool;
  std::unique_ptr<BrokerMetrics> metrics;
  std::atomic<bool> publish_pending{false};
  std::vector<int64_t> delay_levels;
};

BrokerController::BrokerController(BrokerConfig config, common::Clock& clock)
    : config_(std::move(config)), clock_(clock), parts_(std::make_unique<Parts>()) {}

BrokerController::~BrokerController() { stop(); }

uint16_t BrokerController::port() const { return parts_->server ? parts_->server->port() : 0; }

uint16_t BrokerController::metrics_port() const {
  return parts_->metrics ? parts_->metrics->port() : 0;
}

Status BrokerController::build() {
  RMQ_RETURN_IF_ERROR(validate(config_));
  auto levels = parse_delay_levels(config_.message_delay_level);
  if (!levels.ok()) {
    return Status::invalid_argument("messageDelayLevel: " + std::string(levels.status().message()));
  }
  parts_->delay_levels = *levels;
  std::error_code ec;
  std::filesystem::create_directories(config_.store_path_root_dir, ec);
  if (ec) {
    return Status::io_error("cannot create storePathRootDir " + config_.store_path_root_dir + ": " +
                            ec.message());
  }
  Parts& p = *parts_;

  store::StoreConfig sc;
  sc.store_path_root_dir = config_.store_path_root_dir;
  sc.mapped_file_size_commit_log = static_cast<uint64_t>(config_.mapped_file_size_commit_log);
  sc.commit_log_cache_window = static_cast<uint64_t>(config_.commit_log_cache_window);
  sc.consume_queue_units_per_file =
      static_cast<uint32_t>(std::max<int64_t>(16, config_.mapped_file_size_consume_queue / 20));
  sc.max_message_size = static_cast<size_t>(config_.max_message_size);
  sc.flush_disk_type = config_.flush_disk_type == "SYNC_FLUSH" ? store::FlushDiskType::kSyncFlush
                                                               : store::FlushDiskType::kAsyncFlush;
  sc.file_reserved_time_hours = static_cast<uint32_t>(config_.file_reserved_time_hours);
  sc.disk_max_used_space_ratio = static_cast<uint32_t>(config_.disk_max_used_space_ratio);
  sc.max_hash_slot_num = static_cast<uint32_t>(config_.max_hash_slot_num);
  sc.max_index_num = static_cast<uint32_t>(config_.max_index_num);
  sc.sync_flush_timeout = config_.sync_flush_timeout;

  // Metadata: in DLedger mode the Raft log is the source of truth (replayed from the applied
  // index after a crash), so RocksDB need not sync every batch.
  auto meta = store::open_rocksdb_meta_store(sc.meta_dir(), /*sync=*/!config_.enable_dledger);
  if (!meta.ok()) return meta.status();
  p.meta = std::move(meta).value();

  if (config_.enable_dledger) {
    DLedgerOptions o;
    o.group = config_.dledger_group;
    RMQ_ASSIGN_OR_RETURN(uint32_t self, parse_node_id(config_.dledger_self_id));
    o.self = dledger::NodeId(self);
    RMQ_ASSIGN_OR_RETURN(auto peers, parse_dledger_peers(config_.dledger_peers));
    for (const auto& peer : peers) {
      o.peers[dledger::NodeId(peer.id)] = peer.address();
      if (peer.id == self) o.port = peer.port;
    }
    o.bind_address = config_.bind_address;
    o.dir = config_.store_path_root_dir + "/dledger";
    o.data_file_size = static_cast<uint64_t>(config_.mapped_file_size_commit_log);
    o.tick = std::chrono::milliseconds(config_.raft_tick_ms);
    o.election_ticks = config_.raft_election_ticks;
    o.sync_flush = config_.flush_disk_type == "SYNC_FLUSH";
    o.cache_window = static_cast<uint64_t>(config_.commit_log_cache_window);
    o.idle_spin = std::chrono::microseconds(config_.raft_idle_spin_micros);
    o.test_only_ack_before_commit = config_.test_only_ack_before_commit;  // TEST ONLY
    if (!config_.preferred_leader_id.empty()) {
      RMQ_ASSIGN_OR_RETURN(uint32_t pref, parse_node_id(config_.preferred_leader_id));
      o.preferred_leader = dledger::NodeId(pref);
    }
    DLedgerCommitLog** out = &p.dledger;
    p.store = std::make_unique<store::MessageStore>(
        sc, store::posix_file_system(), clock_, [o, out, this](store::QueueOffsetTable& qo) {
          auto log = std::make_unique<DLedgerCommitLog>(store::posix_file_system(), o, clock_, qo);
          *out = log.get();
          return log;
        });
    p.meta_log = std::make_unique<MetadataLog>(*p.meta, *p.dledger);
  } else {
    p.store = std::make_unique<store::MessageStore>(sc, store::posix_file_system(), clock_);
    p.meta_log = std::make_unique<MetadataLog>(*p.meta);
    p.ha = std::make_unique<ha::ClassicHa>(config_, *p.store, *p.meta_log, clock_);
    p.ha->attach();  // before the store loads: replica hook (master) or replica-only (slave)
  }

  TopicConfigManager::Options to;
  to.cluster_name = config_.broker_cluster_name;
  to.broker_name = config_.broker_name;
  to.auto_create_topic_enable = config_.auto_create_topic_enable;
  to.default_topic_queue_nums = config_.default_topic_queue_nums;
  to.schedule_levels = static_cast<int32_t>(p.delay_levels.size());
  p.topics = std::make_unique<TopicConfigManager>(to, *p.meta, *p.meta_log, clock_);
  p.groups = std::make_unique<SubscriptionGroupManager>(config_.auto_create_subscription_group,
                                                        *p.meta, *p.meta_log);
  p.offsets = std::make_unique<ConsumerOffsetManager>(*p.meta, *p.meta_log);
  p.clients = std::make_unique<ClientManager>(clock_);
  p.locks = std::make_unique<RebalanceLockManager>(clock_);
  p.hold = std::make_unique<PullRequestHoldService>(clock_, std::chrono::milliseconds(100));

  ctx_ = std::unique_ptr<BrokerContext>(
      new BrokerContext{config_, clock_, *p.store, p.dledger, *p.meta_log, *p.topics, *p.groups,
                        *p.offsets, *p.clients, *p.locks, *p.hold, p.stats});
  ctx_->permission.store(config_.broker_permission);
  ctx_->ha = p.ha.get();
  ctx_->delay_levels_ms = p.delay_levels;
  ctx_->register_now = [this] {
    if (parts_->registrar) parts_->registrar->register_now();
  };
  ctx_->config_dump = [this] {
    BrokerConfig copy = config_;
    return make_broker_schema(copy).dump();
  };
  // Scrapes start only after the remoting server is up (start_parts()).
  p.metrics = std::make_unique<BrokerMetrics>(
      config_, *ctx_, [this] { return parts_->server ? parts_->server->connection_count() : 0; });

  // Every applied topic change (admin, auto-creation, %RETRY%/%DLQ% creation, deletion) is
  // published to the NameServers at once, on every node of the group.
  p.topics->set_change_listener([this](const std::string& topic, bool deleted) {
    if (deleted) parts_->store->delete_topic(topic);
    ctx_->register_now();
  });

  // Dispatch: delivery times for SCHEDULE_TOPIC units, and long-polling wake-ups.
  p.store->set_request_builder(make_schedule_request_builder(p.delay_levels));
  PullRequestHoldService* hold = p.hold.get();
  p.store->set_arrival_listener([hold](const store::DispatchRequest& r) {
    hold->notify(r.topic, r.queue_id, r.consume_queue_offset, r.tags_code);
  });

  p.schedule = std::make_unique<ScheduleMessageService>(
      *p.store, clock_, p.delay_levels,
      [this](store::MessageInput m, store::AppendCallback done) {
        parts_->store->put_message(m, std::move(done));
      },
      [this](std::map<int, int64_t> progress) {
        if (!parts_->meta_log->writable()) return;
        store::MetaBatch b;
        b.put_kv(kScheduleProgressKey, encode_progress(progress));
        parts_->meta_log->submit(std::move(b), [](Status) {});
      });
  ctx_->schedule = p.schedule.get();
  return Status::ok();
}

Status BrokerController::start() {
  if (started_) return Status::ok();
  RMQ_RETURN_IF_ERROR(build());
  live_ = true;  // from here on, a failed start stops what it started (stop())
  Status st = start_parts();
  if (!st.is_ok()) stop();
  return st;
}

Status BrokerController::start_parts() {
  Parts& p = *parts_;
  RMQ_RETURN_IF_ERROR(p.store->load());

  p.registrar = std::make_unique<NamesrvRegistrar>(
      split_namesrv_addr(config_.namesrv_addr), config_.register_name_server_period,
      [this] {
        Registration r;
        r.cluster_name = config_.broker_cluster_name;
        r.broker_name = config_.broker_name;
        r.broker_addr = ctx_->broker_addr;
        r.broker_id = ctx_->broker_id();
        if (parts_->dledger != nullptr) r.raft_term = ctx_->raft_term();
        if (parts_->ha) r.ha_server_addr = parts_->ha->ha_server_addr();
        r.body = registration_body();
        return r;
      },
      clock_);
  p.registrar->set_on_registered([this](const Registration& r, int ok) {
    if (ok > 0 && r.broker_id == 0 && parts_->dledger != nullptr &&
        parts_->publish_pending.exchange(false)) {
      parts_->dledger->note("route published to " + std::to_string(ok) +
                            " namesrv(s) as brokerId 0");
    }
  });
  if (p.ha) {
    p.registrar->set_on_master_info([this](const std::string& master, const std::string& ha) {
      parts_->ha->on_master_info(master, ha);
    });
  }
  // The role-change handler: one thread, so changes apply in order.
  p.role_pool = std::make_unique<common::ThreadPool>("role", 1, 1024);
  if (p.dledger != nullptr) {
    p.dledger->set_role_listener([this](const dledger::SoftState& ss) {
      parts_->metrics->raft_events().on_soft_state(ss, clock_.wall_ms());
      const bool leader = ss.role == dledger::Role::kLeader;
      (void)parts_->role_pool->submit([this, leader] { on_role_change(leader); });
    });
  }
  // The Raft node runs before the server accepts anything: every request may look at it.
  RMQ_RETURN_IF_ERROR(p.store->start());

  remoting::ServerOptions so;
  so.bind_address = config_.bind_address;
  so.port = static_cast<uint16_t>(config_.listen_port);
  so.endpoint.name = "broker";
  so.endpoint.io_threads = static_cast<size_t>(config_.server_selector_threads);
  if (p.dledger != nullptr && config_.client_io_on_raft_thread) {
    so.endpoint.shared_io = p.dledger->node_context();  // stopped after the server (stop())
  }
  so.endpoint.idle_timeout = std::chrono::seconds(120);
  p.server = std::make_unique<remoting::Server>(so, clock_);
  const auto cap = static_cast<size_t>(config_.thread_pool_queue_capacity);
  auto pool = [&](const char* name, int32_t n) {
    auto tp = std::make_shared<common::ThreadPool>(name, static_cast<size_t>(n), cap);
    p.pools.push_back(tp);
    return tp;
  };
  // sendMessageThreadPoolNums=0: the send path (non-blocking: validate, encode, propose) runs on
  // the I/O thread that decoded the request, saving two thread hand-offs per message.
  std::shared_ptr<common::Executor> send_pool;
  if (config_.send_message_thread_pool_nums == 0) {
    send_pool = std::make_shared<common::InlineExecutor>();
  } else {
    send_pool = pool("send", config_.send_message_thread_pool_nums);
  }
  auto pull_pool = pool("pull", config_.pull_message_thread_pool_nums);
  auto client_pool = pool("client", config_.client_manage_thread_pool_nums);
  auto admin_pool = pool("admin", config_.admin_broker_thread_pool_nums);
  auto send = std::make_shared<SendMessageProcessor>(*ctx_);
  auto pull = std::make_shared<PullMessageProcessor>(*ctx_);
  pull->set_executor(pull_pool);
  auto client = std::make_shared<ClientProcessor>(*ctx_);
  admin_ = std::make_shared<AdminProcessor>(*ctx_);
  auto& reg = p.server->registry();
  for (auto c : {RequestCode::kSendMessage, RequestCode::kSendMessageV2,
                 RequestCode::kSendBatchMessage, RequestCode::kConsumerSendMsgBack}) {
    reg.register_processor(c, send, send_pool);
  }
  reg.register_processor(RequestCode::kPullMessage, pull, pull_pool);
  for (auto c : {RequestCode::kHeartBeat, RequestCode::kUnregisterClient,
                 RequestCode::kGetConsumerListByGroup, RequestCode::kQueryConsumerOffset,
                 RequestCode::kUpdateConsumerOffset, RequestCode::kLockBatchMq,
                 RequestCode::kUnlockBatchMq}) {
    reg.register_processor(c, client, client_pool);
  }
  for (int32_t c : AdminProcessor::handled_codes()) reg.register_processor(c, admin_, admin_pool);
  ClientManager* clients = p.clients.get();
  p.server->set_close_listener([this, clients](const remoting::ConnectionPtr& conn) {
    for (const auto& group : clients->on_connection_closed(conn->id())) {
      ctx_->notify_consumers_changed(group);
    }
  });
  ctx_->notify_consumers_changed = [this](const std::string& group) {
    if (group.empty() || !parts_->server) return;
    for (const auto& weak : parts_->clients->connections_of(group)) {
      auto conn = weak.lock();
      if (!conn) continue;
      auto req = remoting::RemotingCommand::request(RequestCode::kNotifyConsumerIdsChanged);
      req.ext_fields.set("consumerGroup", group);
      (void)parts_->server->invoke_oneway(conn, std::move(req));
    }
  };
  RMQ_RETURN_IF_ERROR(p.server->start());
  const std::string addr = config_.broker_ip1 + ":" + std::to_string(p.server->port());
  auto host = store::HostAddress::parse(addr);
  if (!host) {
    return Status::invalid_argument("brokerIP1 '" + config_.broker_ip1 +
                                    "' is not an IPv4 address (clients decode IPv4 store hosts)");
  }
  ctx_->store_host = *host;
  ctx_->broker_addr = addr;
  RMQ_RETURN_IF_ERROR(p.metrics->start());
  p.hold->start();
  if (p.ha) RMQ_RETURN_IF_ERROR(p.ha->start(*ctx_));  // the HA port before we register it

  p.registrar->start();
  if (p.dledger == nullptr && !(p.ha && p.ha->is_slave())) {
    (void)p.role_pool->submit([this] { on_role_change(true); });
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  housekeeping_ = std::thread([this] { housekeeping_loop(); });
  started_ = true;
  common::logger("broker")->info("broker {} ({}) serving clients on {} in {} mode; metrics port {}",
                                 config_.broker_name,
                                 p.dledger ? config_.dledger_self_id : std::string("local"), addr,
                                 p.dledger ? "dledger" : "local", p.metrics->port());
  return Status::ok();
}

void BrokerController::on_role_change(bool) {
  Parts& p = *parts_;
  const bool leader = p.dledger == nullptr || p.dledger->is_leader();
  if (leader) {
    // Accept writes as soon as the no-op commits and dispatch caught up, then publish the route.
    for (int i = 0; i < 6000; ++i) {
      if (p.dledger != nullptr && !p.dledger->is_leader()) return;
      if (ctx_->writable_node()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!ctx_->writable_node()) return;
    if (p.dledger != nullptr) p.metrics->raft_events().on_writable(clock_.wall_ms());
    p.publish_pending.store(true);
    if (p.registrar) p.registrar->register_now();
    std::map<int, int64_t> progress;
    if (auto v = p.meta->kv(kScheduleProgressKey)) progress = decode_progress(*v);
    p.schedule->start_leading(progress);
  } else {
    p.schedule->stop_leading();
    p.offsets->on_leadership_lost();
    if (p.registrar) p.registrar->register_now();
  }
}

void BrokerController::housekeeping_loop() {
  int ticks = 0;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    parts_->stats.sample();
    if (++ticks % 10 == 0) {
      for (const auto& g : parts_->clients->scan_expired(config_.channel_expired_timeout)) {
        ctx_->notify_consumers_changed(g);
      }
    }
    lock.lock();
  }
}

std::string BrokerController::registration_body() const {
  const DataVersion v = parts_->topics->data_version();
  const int32_t broker_perm = ctx_->permission.load();
  std::string body =
      R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":)" +
      std::to_string(v.counter) + R"(,"timestamp":)" + std::to_string(v.timestamp) +
      R"(},"topicConfigTable":{)";
  bool first = true;
  for (auto t : parts_->topics->all()) {
    // A broker without write permission advertises its topics read-only (wipeWritePerm).
    t.perm = (t.perm & broker_perm) | (t.perm & kPermInherit);
    if (!first) body += ',';
    first = false;
    common::append_json_string(body, t.topic_name);
    body += ':';
    body += store::encode_topic_config(t);
  }
  body += "}}}";
  return body;
}

void BrokerController::stop() {
  if (!live_) return;
  live_ = false;
  started_ = false;
  Parts& p = *parts_;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (p.metrics) p.metrics->stop();  // scrapes read the parts stopped below
  if (housekeeping_.joinable()) housekeeping_.join();
  if (p.registrar) p.registrar->stop();
  if (p.role_pool) p.role_pool->stop();
  if (p.schedule) p.schedule->stop_leading();
  if (p.server) p.server->stop();
  if (p.hold) p.hold->stop();
  for (auto& tp : p.pools) tp->stop();
  if (p.ha) p.ha->stop();  // before the store: fails appends still waiting for a slave
  if (p.store) p.store->shutdown();
}

}  // namespace rmq::broker
