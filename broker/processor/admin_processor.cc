#include "broker/processor/admin_processor.h"

#include "broker/client/client_manager.h"
#include "broker/consumer_offset_manager.h"
#include "broker/ha/classic_ha.h"
#include "broker/processor/processor_util.h"
#include "broker/replication/dledger_commit_log.h"
#include "broker/schedule/schedule_message_service.h"
#include "broker/subscription_group_manager.h"
#include "broker/topic_config_manager.h"
#include "common/json.h"
#include "common/properties.h"
#include "remoting/protocol/admin_body.h"
#include "remoting/protocol/body.h"
#include "store/message_store.h"
#include "store/meta/meta_codec.h"

namespace rmq::broker {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;
namespace protocol = remoting::protocol;

namespace {

RemotingCommand with_body(RemotingCommand resp, std::string_view body) {
  resp.body = common::Buffer(body);
  return resp;
}

void answer_status(remoting::Responder& responder, int32_t opaque, const common::Status& st) {
  if (st.is_ok()) {
    responder.respond(reply_opaque(opaque, code(ResponseCode::kSuccess)));
  } else {
    responder.respond(
        reply_opaque(opaque, code(ResponseCode::kServiceNotAvailable), std::string(st.message())));
  }
}

// GET_CONSUMER_CONNECTION_LIST's view of a group (connection ids and update times are not sent).
protocol::ConsumerConnection consumer_connection_of(const ConsumerGroupInfo& info) {
  protocol::ConsumerConnection cc;
  for (const ClientConnectionInfo& c : info.connections) {
    cc.connections.push_back({c.client_id, c.client_addr, c.language, c.version});
  }
  cc.consume_type = protocol::to_string(info.consume_type);
  cc.message_model = protocol::to_string(info.message_model);
  cc.consume_from_where = protocol::to_string(info.consume_from_where);
  cc.subscriptions = info.subscriptions;
  return cc;
}

std::string data_version_json(const DataVersion& v) {
  return R"({"counter":)" + std::to_string(v.counter) + R"(,"timestamp":)" +
         std::to_string(v.timestamp) + "}";
}

}  // namespace

const std::vector<int32_t>& AdminProcessor::handled_codes() {
  static const std::vector<int32_t> kCodes = {
      code(RequestCode::kUpdateAndCreateTopic),
      code(RequestCode::kDeleteTopicInBroker),
      code(RequestCode::kGetAllTopicConfig),
      code(RequestCode::kGetBrokerConfig),
      code(RequestCode::kUpdateBrokerConfig),
      code(RequestCode::kGetBrokerRuntimeInfo),
      code(RequestCode::kSearchOffsetByTimestamp),
      code(RequestCode::kGetMaxOffset),
      code(RequestCode::kGetMinOffset),
      code(RequestCode::kGetEarliestMsgStoretime),
      code(RequestCode::kViewMessageById),
      code(RequestCode::kQueryMessage),
      code(RequestCode::kGetTopicStatsInfo),
      code(RequestCode::kGetConsumerConnectionList),
      code(RequestCode::kGetConsumeStats),
      code(RequestCode::kUpdateAndCreateSubscriptiongroup),
      code(RequestCode::kGetAllSubscriptiongroupConfig),
      code(RequestCode::kDeleteSubscriptiongroup),
      code(RequestCode::kInvokeBrokerToResetOffset),
      kRaftStatusCode,
      kTransferLeaderCode,
      kHaStatusCode,
      code(RequestCode::kGetAllConsumerOffset),
      code(RequestCode::kGetAllDelayOffset),
  };
  return kCodes;
}

void AdminProcessor::process(const remoting::RequestContext&, RemotingCommand req,
                             remoting::Responder responder) {
  if (req.code == kRaftStatusCode) {
    if (ctx_.dledger == nullptr) {
      responder.respond(reply(req, ResponseCode::kSystemError, "this broker runs in local mode"));
      return;
    }
    responder.respond(with_body(reply(req, ResponseCode::kSuccess), raft_status_json()));
    return;
  }
  if (req.code == kTransferLeaderCode) {
    transfer_leader(req, std::move(responder));
    return;
  }
  if (req.code == kHaStatusCode) {
    if (ctx_.ha == nullptr) {
      responder.respond(reply(req, ResponseCode::kSystemError,
                              "this broker does not run classic master/slave HA"));
      return;
    }
    responder.respond(with_body(reply(req, ResponseCode::kSuccess), ctx_.ha->status_json()));
    return;
  }
  switch (static_cast<RequestCode>(req.code)) {
    case RequestCode::kUpdateAndCreateTopic:
      create_topic(req, std::move(responder));
      return;
    case RequestCode::kDeleteTopicInBroker:
      delete_topic(req, std::move(responder));
      return;
    case RequestCode::kGetAllTopicConfig:
      responder.respond(all_topic_config(req));
      return;
    case RequestCode::kGetBrokerConfig:
      responder.respond(get_config(req));
      return;
    case RequestCode::kUpdateBrokerConfig:
      responder.respond(update_config(req));
      return;
    case RequestCode::kGetBrokerRuntimeInfo:
      responder.respond(
          with_body(reply(req, ResponseCode::kSuccess), protocol::encode_kv_table(runtime_info())));
      return;
    case RequestCode::kSearchOffsetByTimestamp:
    case RequestCode::kGetMaxOffset:
    case RequestCode::kGetMinOffset:
    case RequestCode::kGetEarliestMsgStoretime:
      responder.respond(offset_request(req));
      return;
    case RequestCode::kViewMessageById:
      responder.respond(view_message(req));
      return;
    case RequestCode::kQueryMessage:
      responder.respond(query_message(req));
      return;
    case RequestCode::kGetTopicStatsInfo:
      responder.respond(topic_stats(req));
      return;
    case RequestCode::kGetConsumerConnectionList:
      responder.respond(consumer_connection(req));
      return;
    case RequestCode::kGetConsumeStats:
      responder.respond(consume_stats(req));
      return;
    case RequestCode::kUpdateAndCreateSubscriptiongroup:
      update_group(req, std::move(responder));
      return;
    case RequestCode::kGetAllSubscriptiongroupConfig:
      responder.respond(all_groups(req));
      return;
    case RequestCode::kDeleteSubscriptiongroup:
      delete_group(req, std::move(responder));
      return;
    case RequestCode::kGetAllConsumerOffset:
      responder.respond(all_offsets(req));
      return;
    case RequestCode::kGetAllDelayOffset:
      responder.respond(all_delay_offsets(req));
      return;
    case RequestCode::kInvokeBrokerToResetOffset:
      reset_offset(req, std::move(responder));
      return;
    default:
      responder.respond(reply(req, ResponseCode::kRequestCodeNotSupported,
                              " request type " + std::to_string(req.code) + " not supported"));
  }
}

void AdminProcessor::create_topic(const RemotingCommand& req, remoting::Responder responder) {
  HeaderReader f(req);
  store::TopicConfig t;
  t.topic_name = f.str("topic");
  t.read_queue_nums = f.int32("readQueueNums");
  t.write_queue_nums = f.int32("writeQueueNums");
  t.perm = f.int32("perm");
  t.topic_filter_type = f.opt_str("topicFilterType").value_or("SINGLE_TAG");
  t.topic_sys_flag = static_cast<int32_t>(f.opt_int("topicSysFlag").value_or(0));
  t.order = f.flag("order", false);
  if (f.failed()) {
    responder.respond(f.error());
    return;
  }
  if (std::string why = check_topic_name(t.topic_name); !why.empty()) {
    responder.respond(reply(req, ResponseCode::kSystemError, why));
    return;
  }
  if (ctx_.topics.is_system_topic(t.topic_name)) {
    responder.respond(
        reply(req, ResponseCode::kSystemError,
              "The topic[" + t.topic_name + "] is conflict with system reserved words."));
    return;
  }
  if (t.read_queue_nums < 1 || t.read_queue_nums > 1024 || t.write_queue_nums < 1 ||
      t.write_queue_nums > 1024 || t.perm < 0 || t.perm > 7) {
    responder.respond(reply(req, ResponseCode::kInvalidParameter,
                            "queue numbers must be in [1, 1024] and perm in [0, 7]"));
    return;
  }
  if (!ctx_.meta_log.writable()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  const int32_t opaque = req.opaque;
  ctx_.topics.update(t, [opaque, responder = std::move(responder)](common::Status st) mutable {
    answer_status(responder, opaque, st);
  });
}

void AdminProcessor::delete_topic(const RemotingCommand& req, remoting::Responder responder) {
  HeaderReader f(req);
  const std::string topic = f.str("topic");
  if (f.failed()) {
    responder.respond(f.error());
    return;
  }
  if (ctx_.topics.is_system_topic(topic)) {
    responder.respond(reply(req, ResponseCode::kSystemError,
                            "The topic[" + topic + "] is a system topic and cannot be deleted."));
    return;
  }
  if (!ctx_.meta_log.writable()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  const int32_t opaque = req.opaque;
  ctx_.topics.remove(topic, [opaque, responder = std::move(responder)](common::Status st) mutable {
    answer_status(responder, opaque, st);
  });
}

RemotingCommand AdminProcessor::all_topic_config(const RemotingCommand& req) {
  std::string body = R"({"dataVersion":)" + data_version_json(ctx_.topics.data_version()) +
                     R"(,"topicConfigTable":{)";
  bool first = true;
  for (const auto& t : ctx_.topics.all()) {
    if (!first) body += ',';
    first = false;
    common::append_json_string(body, t.topic_name);
    body += ':';
    body += store::encode_topic_config(t);
  }
  body += "}}";
  return with_body(reply(req, ResponseCode::kSuccess), body);
}

RemotingCommand AdminProcessor::get_config(const RemotingCommand& req) {
  auto resp = with_body(reply(req, ResponseCode::kSuccess), ctx_.config_dump());
  resp.ext_fields.set("version", data_version_json(ctx_.topics.data_version()));
  return resp;
}

RemotingCommand AdminProcessor::update_config(const RemotingCommand& req) {
  auto props = common::parse_properties(
      std::string_view(reinterpret_cast<const char*>(req.body.data()), req.body.size()));
  if (!props.ok()) {
    return reply(req, ResponseCode::kSystemError,
                 "bad properties body: " + std::string(props.status().message()));
  }
  for (const auto& [k, entry] : props->entries()) {
    const std::string& v = entry.value;
    if (k != "brokerPermission") {
      return reply(req, ResponseCode::kSystemError,
                   "config key " + k + " cannot be changed at runtime (only brokerPermission)");
    }
    int32_t perm = -1;
    try {
      perm = std::stoi(v);
    } catch (...) {
      perm = -1;
    }
    if (perm < 0 || perm > 7) {
      return reply(req, ResponseCode::kSystemError,
                   "brokerPermission must be 0..7, not '" + v + "'");
    }
  }
  for (const auto& [k, entry] : props->entries()) ctx_.permission.store(std::stoi(entry.value));
  ctx_.topics.bump_data_version();  // the NameServers re-read queue data only on a new version
  ctx_.register_now();
  return reply(req, ResponseCode::kSuccess);
}

std::map<std::string, std::string> AdminProcessor::runtime_info() const {
  std::map<std::string, std::string> t;
  char buf[64];
  auto tps = [&](double v) {
    std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", v, v, v);
    return std::string(buf);
  };
  t["brokerVersionDesc"] = "raftmq-0.1 (V4_9_4 compatible)";
  t["brokerVersion"] = "401";
  t["putTps"] = tps(ctx_.stats.put_tps());
  t["getTransferredTps"] = tps(ctx_.stats.get_tps());
  t["msgPutTotalTodayNow"] = std::to_string(ctx_.stats.put_msgs());
  t["msgGetTotalTodayNow"] = std::to_string(ctx_.stats.get_msgs());
  t["msgPutTotalTodayMorning"] = "0";
  t["msgPutTotalYesterdayMorning"] = "0";
  t["msgGetTotalTodayMorning"] = "0";
  t["msgGetTotalYesterdayMorning"] = "0";
  t["sendThreadPoolQueueSize"] = "0";
  t["pullThreadPoolQueueSize"] = "0";
  t["brokerActive"] = ctx_.writable_node() ? "true" : "false";
  t["commitLogMaxOffset"] = std::to_string(ctx_.store.commit_log().max_offset());
  t["commitLogMinOffset"] = std::to_string(ctx_.store.commit_log().min_offset());
  t["dispatchBehindBytes"] = std::to_string(ctx_.store.reput().behind());
  t["pageCacheLockTimeMills"] = "0";
  t["earliestMessageTimeStamp"] = "0";
  t["commitLogDiskRatio"] = "0.0";
  t["brokerPermission"] = std::to_string(ctx_.permission.load());
  t["brokerId"] = std::to_string(ctx_.broker_id());
  t["brokerAddr"] = ctx_.broker_addr;
  t["mode"] = ctx_.dledger != nullptr ? "dledger" : "local";
  if (ctx_.ha != nullptr) t["brokerRole"] = ctx_.config.broker_role;
  t["flushDiskType"] = ctx_.config.flush_disk_type;
  if (ctx_.dledger != nullptr) {
    const auto st = ctx_.dledger->node().status();
    std::string role = dledger::to_string(st.soft.role);
    for (auto& c : role) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    t["raftRole"] = role;
    t["raftTerm"] = std::to_string(st.soft.term.value());
    t["raftLeaderId"] =
        st.soft.leader.value() == 0 ? "" : "n" + std::to_string(st.soft.leader.value());
    t["raftSelfId"] = "n" + std::to_string(ctx_.dledger->options().self.value());
    t["raftCommitIndex"] = std::to_string(st.commit.value());
    t["raftLastIndex"] = std::to_string(st.last_index.value());
    t["raftServing"] = st.serving ? "true" : "false";
    t["raftGroup"] = ctx_.dledger->options().group;
  }
  return t;
}

std::string AdminProcessor::raft_status_json() const {
  const auto st = ctx_.dledger->node().status();
  const auto& opts = ctx_.dledger->options();
  std::string o = "{";
  auto kv = [&](std::string_view k, const std::string& v, bool quote) {
    if (o.size() > 1) o += ',';
    common::append_json_string(o, k);
    o += ':';
    if (quote) {
      common::append_json_string(o, v);
    } else {
      o += v;
    }
  };
  kv("group", opts.group, true);
  kv("brokerName", ctx_.config.broker_name, true);
  kv("selfId", "n" + std::to_string(opts.self.value()), true);
  kv("brokerAddr", ctx_.broker_addr, true);
  kv("role", dledger::to_string(st.soft.role), true);
  kv("term", std::to_string(st.soft.term.value()), false);
  kv("leaderId", st.soft.leader.value() == 0 ? "" : "n" + std::to_string(st.soft.leader.value()),
     true);
  kv("commitIndex", std::to_string(st.commit.value()), false);
  kv("lastIndex", std::to_string(st.last_index.value()), false);
  kv("serving", st.serving ? "true" : "false", false);
  kv("writable", ctx_.writable_node() ? "true" : "false", false);
  kv("dispatchBehindBytes", std::to_string(ctx_.store.reput().behind()), false);
  std::string peers = "{";
  for (const auto& [id, addr] : opts.peers) {
    if (peers.size() > 1) peers += ',';
    common::append_json_string(peers, "n" + std::to_string(id.value()));
    peers += R"(:{"address":)";
    std::string a;
    common::append_json_string(a, addr);
    peers += a;
    auto m = st.match.find(id);
    if (m != st.match.end()) {
      peers += R"(,"matchIndex":)" + std::to_string(m->second.value()) + R"(,"lag":)" +
               std::to_string(st.last_index.value() - m->second.value());
    }
    peers += '}';
  }
  peers += '}';
  kv("peers", peers, false);
  std::string tl = "[";
  for (const auto& e : ctx_.dledger->timeline()) {
    if (tl.size() > 1) tl += ',';
    tl += R"({"timeMs":)" + std::to_string(e.wall_ms) + R"(,"event":)";
    common::append_json_string(tl, e.what);
    tl += '}';
  }
  tl += ']';
  kv("timeline", tl, false);
  o += '}';
  return o;
}

RemotingCommand AdminProcessor::offset_request(const RemotingCommand& req) {
  HeaderReader f(req);
  const std::string topic = f.str("topic");
  const int32_t queue_id = f.int32("queueId");
  const auto c = static_cast<RequestCode>(req.code);
  const int64_t ts = c == RequestCode::kSearchOffsetByTimestamp ? f.int64("timestamp") : 0;
  if (f.failed()) return f.error();
  auto resp = reply(req, ResponseCode::kSuccess);
  switch (c) {
    case RequestCode::kSearchOffsetByTimestamp:
      resp.ext_fields.set("offset",
                          std::to_string(ctx_.store.offset_in_queue_by_time(topic, queue_id, ts)));
      break;
    case RequestCode::kGetMaxOffset:
      resp.ext_fields.set("offset",
                          std::to_string(ctx_.store.max_offset_in_queue(topic, queue_id)));
      break;
    case RequestCode::kGetMinOffset:
      resp.ext_fields.set("offset",
                          std::to_string(ctx_.store.min_offset_in_queue(topic, queue_id)));
      break;
    default: {
      auto t = ctx_.store.earliest_message_time(topic, queue_id);
      resp.ext_fields.set("timestamp", std::to_string(t.value_or(-1)));
    }
  }
  return resp;
}

RemotingCommand AdminProcessor::view_message(const RemotingCommand& req) {
  HeaderReader f(req);
  const int64_t offset = f.int64("offset");
  if (f.failed()) return f.error();
  auto rec = ctx_.store.look_message_by_offset(offset);
  if (!rec.ok()) {
    return reply(req, ResponseCode::kSystemError,
                 "can not find message by the offset, " + std::to_string(offset));
  }
  auto resp = reply(req, ResponseCode::kSuccess);
  resp.body.put_bytes(rec->bytes);
  return resp;
}

RemotingCommand AdminProcessor::query_message(const RemotingCommand& req) {
  HeaderReader f(req);
  const std::string topic = f.str("topic");
  const std::string key = f.str("key");
  const int32_t max_num = f.int32("maxNum");
  const int64_t begin = f.int64("beginTimestamp");
  const int64_t end = f.int64("endTimestamp");
  if (f.failed()) return f.error();
  const bool unique = f.flag("_UNIQUE_KEY_QUERY", false);
  const uint32_t limit = unique ? 32u : static_cast<uint32_t>(std::clamp(max_num, 1, 64));
  auto r = ctx_.store.query_message(topic, key, limit, begin, end);
  auto resp = reply(req, ResponseCode::kSuccess);
  resp.ext_fields.set("indexLastUpdateTimestamp", std::to_string(r.index_last_update_timestamp));
  resp.ext_fields.set("indexLastUpdatePhyoffset", std::to_string(r.index_last_update_phy_offset));
  size_t found = 0;
  for (const auto& m : r.messages) {
    // The index hashes keys: keep only records that really carry the key.
    auto view = store::decode_message(m.bytes, false);
    if (!view.ok()) continue;
    bool match = false;
    if (auto u = store::find_property(view->properties, store::prop::kUniqKey)) {
      match = *u == key;
    }
    if (auto keys = store::find_property(view->properties, store::prop::kKeys); keys && !match) {
      std::string_view ks = *keys;
      size_t p = 0;
      while (p <= ks.size() && !match) {
        size_t e = ks.find(' ', p);
        if (e == std::string_view::npos) e = ks.size();
        match = ks.substr(p, e - p) == key;
        p = e + 1;
      }
    }
    if (!match) continue;
    resp.body.put_bytes(m.bytes);
    ++found;
  }
  if (found == 0) {
    resp.code = code(ResponseCode::kQueryNotFound);
    resp.remark = "can not find message, maybe time range not correct";
  }
  return resp;
}

int64_t AdminProcessor::last_store_time(const std::string& topic, int32_t queue_id,
                                        int64_t max_offset) const {
  if (max_offset <= 0) return 0;
  auto r = ctx_.store.get_message(topic, queue_id, max_offset - 1, 1, 1 << 20);
  if (r.messages.empty()) return 0;
  auto v = store::decode_message(r.messages.front().bytes, false);
  return v.ok() ? v->store_timestamp : 0;
}

RemotingCommand AdminProcessor::topic_stats(const RemotingCommand& req) {
  HeaderReader f(req);
  const std::string topic = f.str("topic");
  if (f.failed()) return f.error();
  auto tc = ctx_.topics.find(topic);
  if (!tc) return reply(req, ResponseCode::kTopicNotExist, "topic[" + topic + "] not exist");
  protocol::TopicStatsTable table;
  const int32_t n = std::max(tc->read_queue_nums, tc->write_queue_nums);
  for (int32_t q = 0; q < n; ++q) {
    protocol::TopicOffset o;
    o.min_offset = ctx_.store.min_offset_in_queue(topic, q);
    o.max_offset = ctx_.store.max_offset_in_queue(topic, q);
    o.last_update_timestamp = last_store_time(topic, q, o.max_offset);
    table[protocol::MessageQueue{topic, ctx_.config.broker_name, q}] = o;
  }
  return with_body(reply(req, ResponseCode::kSuccess), protocol::encode_topic_stats_table(table));
}

RemotingCommand AdminProcessor::consumer_connection(const RemotingCommand& req) {
  HeaderReader f(req);
  const std::string group = f.str("consumerGroup");
  if (f.failed()) return f.error();
  auto info = ctx_.clients.consumer_group_info(group);
  if (!info || info->connections.empty()) {
    return reply(req, ResponseCode::kConsumerNotOnline,
                 "the consumer group[" + group + "] not online");
  }
  return with_body(reply(req, ResponseCode::kSuccess),
                   protocol::encode_consumer_connection(consumer_connection_of(*info)));
}

RemotingCommand AdminProcessor::consume_stats(const RemotingCommand& req) {
  HeaderReader f(req);
  const std::string group = f.str("consumerGroup");
  if (f.failed()) return f.error();
  const std::optional<std::string> only = f.opt_str("topic");
  std::set<std::string> topics;
  if (only && !only->empty()) {
    topics.insert(*only);
  } else {
    topics = ctx_.offsets.topics_of_group(group);
    if (auto info = ctx_.clients.consumer_group_info(group)) {
      for (const auto& [t, sub] : info->subscriptions) topics.insert(t);
    }
  }
  protocol::ConsumeStats stats;
  stats.consume_tps = 0;
  for (const auto& topic : topics) {
    auto tc = ctx_.topics.find(topic);
    if (!tc) continue;
    auto committed = ctx_.offsets.offsets_of(group, topic);
    for (int32_t q = 0; q < tc->read_queue_nums; ++q) {
      protocol::OffsetWrapper w;
      w.broker_offset = ctx_.store.max_offset_in_queue(topic, q);
      auto it = committed.find(q);
      w.consumer_offset = it != committed.end() ? it->second : 0;
      w.pull_offset = w.consumer_offset;
      w.last_timestamp = w.consumer_offset > 0 ? last_store_time(topic, q, w.consumer_offset) : 0;
      stats.offset_table[protocol::MessageQueue{topic, ctx_.config.broker_name, q}] = w;
    }
  }
  if (stats.offset_table.empty() && !ctx_.groups.find(group)) {
    return reply(req, ResponseCode::kSubscriptionGroupNotExist,
                 "the consumer group[" + group + "] has no offsets here");
  }
  return with_body(reply(req, ResponseCode::kSuccess), encode_consume_stats(stats));
}

void AdminProcessor::update_group(const RemotingCommand& req, remoting::Responder responder) {
  auto g = store::decode_subscription_group_config(
      std::string_view(reinterpret_cast<const char*>(req.body.data()), req.body.size()));
  if (!g.ok() || g->group_name.empty()) {
    responder.respond(reply(
        req, ResponseCode::kSystemError,
        "bad subscription group body: " +
            (g.ok() ? std::string("groupName is empty") : std::string(g.status().message()))));
    return;
  }
  if (!ctx_.meta_log.writable()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  const int32_t opaque = req.opaque;
  ctx_.groups.update(*g, [opaque, responder = std::move(responder)](common::Status st) mutable {
    answer_status(responder, opaque, st);
  });
}

RemotingCommand AdminProcessor::all_groups(const RemotingCommand& req) {
  std::string body = R"({"dataVersion":)" + data_version_json(ctx_.topics.data_version()) +
                     R"(,"subscriptionGroupTable":{)";
  bool first = true;
  for (const auto& g : ctx_.groups.all()) {
    if (!first) body += ',';
    first = false;
    common::append_json_string(body, g.group_name);
    body += ':';
    body += store::encode_subscription_group_config(g);
  }
  body += "}}";
  return with_body(reply(req, ResponseCode::kSuccess), body);
}

// {"offsetTable":{"topic@group":{"0":12,...}}} (Java's ConsumerOffsetSerializeWrapper, keys
// quoted).
RemotingCommand AdminProcessor::all_offsets(const RemotingCommand& req) {
  std::map<std::string, std::map<int32_t, int64_t>> table;
  for (const auto& [key, offset] : ctx_.offsets.all()) {
    table[key.topic + "@" + key.group][key.queue_id] = offset;
  }
  std::string body = R"({"offsetTable":{)";
  bool first = true;
  for (const auto& [name, queues] : table) {
    if (!first) body += ',';
    first = false;
    common::append_json_string(body, name);
    body += ":{";
    bool first_queue = true;
    for (const auto& [queue, offset] : queues) {
      if (!first_queue) body += ',';
      first_queue = false;
      body += '"' + std::to_string(queue) + "\":" + std::to_string(offset);
    }
    body += '}';
  }
  body += "}}";
  return with_body(reply(req, ResponseCode::kSuccess), body);
}

// {"offsetTable":{"1":123,...}}: delay level -> next queue offset of SCHEDULE_TOPIC_XXXX.
RemotingCommand AdminProcessor::all_delay_offsets(const RemotingCommand& req) {
  std::string body = R"({"offsetTable":{)";
  if (ctx_.schedule != nullptr) {
    bool first = true;
    for (const auto& [level, offset] : ctx_.schedule->progress()) {
      if (!first) body += ',';
      first = false;
      body += '"' + std::to_string(level) + "\":" + std::to_string(offset);
    }
  }
  body += "}}";
  return with_body(reply(req, ResponseCode::kSuccess), body);
}

void AdminProcessor::delete_group(const RemotingCommand& req, remoting::Responder responder) {
  HeaderReader f(req);
  const std::string group = f.str("groupName");
  if (f.failed()) {
    responder.respond(f.error());
    return;
  }
  if (!ctx_.meta_log.writable()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  const int32_t opaque = req.opaque;
  ctx_.groups.remove(group, [opaque, responder = std::move(responder)](common::Status st) mutable {
    answer_status(responder, opaque, st);
  });
}

void AdminProcessor::reset_offset(const RemotingCommand& req, remoting::Responder responder) {
  HeaderReader f(req);
  const std::string topic = f.str("topic");
  const std::string group = f.str("group");
  const int64_t ts = f.int64("timestamp");
  if (f.failed()) {
    responder.respond(f.error());
    return;
  }
  auto tc = ctx_.topics.find(topic);
  if (!tc) {
    responder.respond(reply(req, ResponseCode::kTopicNotExist, "topic[" + topic + "] not exist"));
    return;
  }
  if (!ctx_.writable_node()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  auto remaining = std::make_shared<std::atomic<int>>(tc->read_queue_nums);
  auto failed = std::make_shared<std::atomic<bool>>(false);
  const int32_t opaque = req.opaque;
  std::vector<std::pair<int32_t, int64_t>> targets;
  std::map<protocol::MessageQueue, int64_t> reset;
  for (int32_t q = 0; q < tc->read_queue_nums; ++q) {
    const int64_t off = ts < 0 ? ctx_.store.max_offset_in_queue(topic, q)
                               : ctx_.store.offset_in_queue_by_time(topic, q, ts);
    targets.emplace_back(q, off);
    reset[protocol::MessageQueue{topic, ctx_.config.broker_name, q}] = off;
  }
  auto shared_body = std::make_shared<std::string>(protocol::encode_reset_offset_body(reset));
  for (const auto& [q, off] : targets) {
    ctx_.offsets.commit(
        store::OffsetKey{group, topic, q}, off,
        [remaining, failed, opaque, responder, shared_body](common::Status st) {
          if (!st.is_ok()) failed->store(true);
          if (remaining->fetch_sub(1) != 1) return;
          if (failed->load()) {
            responder.respond(reply_opaque(opaque, code(ResponseCode::kServiceNotAvailable),
                                           "offsets were not all committed"));
            return;
          }
          auto resp = reply_opaque(opaque, code(ResponseCode::kSuccess));
          resp.body = common::Buffer(std::string_view(*shared_body));
          responder.respond(std::move(resp));
        });
  }
}

void AdminProcessor::transfer_leader(const RemotingCommand& req, remoting::Responder responder) {
  if (ctx_.dledger == nullptr) {
    responder.respond(reply(req, ResponseCode::kSystemError, "this broker runs in local mode"));
    return;
  }
  HeaderReader f(req);
  const std::string target = f.str("target");
  if (f.failed()) {
    responder.respond(f.error());
    return;
  }
  auto id = parse_node_id(target);
  if (!id.ok() || !ctx_.dledger->options().peers.contains(dledger::NodeId(*id))) {
    responder.respond(
        reply(req, ResponseCode::kInvalidParameter, "unknown target node '" + target + "'"));
    return;
  }
  if (!ctx_.dledger->is_leader()) {
    responder.respond(reply(req, ResponseCode::kServiceNotAvailable, ctx_.not_writable_reason()));
    return;
  }
  const int32_t opaque = req.opaque;
  ctx_.dledger->node().transfer_leadership(
      dledger::NodeId(*id), [opaque, responder = std::move(responder)](common::Status st) mutable {
        if (st.is_ok()) {
          responder.respond(reply_opaque(opaque, code(ResponseCode::kSuccess)));
        } else {
          responder.respond(
              reply_opaque(opaque, code(ResponseCode::kSystemError), std::string(st.message())));
        }
      });
}

}  // namespace rmq::broker
