// raftmq admin subcommands, named after mqadmin's: clusterList, brokerStatus, topicList,
// topicRoute, topicStatus, updateTopic, deleteTopic, updateSubGroup, deleteSubGroup,
// consumerProgress, consumerConnection, resetOffsetByTime, queryMsgById, queryMsgByKey,
// getBrokerConfig, updateBrokerConfig, wipeWritePerm, addWritePerm; and raftStatus,
// transferLeader and haStatus. Tables by default, --json for scripts; errors name the address that
// failed.
#include "client/admin.h"
#include "common/clock.h"
#include "common/json.h"
#include "remoting/client.h"
#include "tools/cli.h"

#include <cstdio>
#include <ctime>
#include <memory>

DEFINE_string(cluster, "DefaultCluster", "cluster name");
DEFINE_string(broker_addr, "", "a broker address host:port (instead of a cluster or name)");
DEFINE_string(broker_name, "", "broker (group) name");
DEFINE_int32(read_queues, 8, "updateTopic: read queue count");
DEFINE_int32(write_queues, 8, "updateTopic: write queue count");
DEFINE_int32(perm, 6, "updateTopic: permission (4 read, 2 write)");
DEFINE_string(msg_id, "", "queryMsgById: the offsetMsgId");
DEFINE_string(key, "", "queryMsgByKey / updateBrokerConfig: the key");
DEFINE_string(value, "", "updateBrokerConfig: the value");
DEFINE_int64(timestamp, -1, "resetOffsetByTime: epoch ms (-1: to the end)");
DEFINE_string(target, "", "transferLeader: node id to hand leadership to (n2)");
DEFINE_int32(retry_max_times, 16, "updateSubGroup: max reconsume times");

namespace rmq::tools {
namespace {

using common::Json;

struct Session {
  remoting::Client client;
  std::unique_ptr<client::Admin> admin;
  Session() : client(options(), common::SteadyClock::instance()) {
    client.start();
    admin = std::make_unique<client::Admin>(client, FLAGS_namesrv);
  }
  ~Session() { client.stop(); }
  static remoting::ClientOptions options() {
    remoting::ClientOptions o;
    o.endpoint.name = "cli";
    o.endpoint.io_threads = 1;
    return o;
  }
};

std::string ms_time(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

void print_json(const Json& j) { std::printf("%s\n", j.dump().c_str()); }

Json string_list(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const auto& s : v) a.push_back(Json::string(s));
  return a;
}

int done_list(const std::string& cmd, const common::Result<std::vector<std::string>>& r) {
  if (!r.ok()) return fail(cmd, r.status().to_string());
  if (FLAGS_json) {
    Json o = Json::object();
    o.set("ok", string_list(*r));
    print_json(o);
  } else {
    for (const auto& a : *r) std::printf("%s: OK\n", a.c_str());
  }
  return kExitOk;
}

int cluster_list(const std::vector<std::string>&) {
  Session s;
  auto info = s.admin->cluster_info();
  if (!info.ok()) return fail("clusterList", info.status().to_string());
  std::vector<std::vector<std::string>> rows;
  Json out = Json::array();
  for (const auto& [cluster, names] : info->cluster_addr_table) {
    for (const auto& name : names) {
      auto it = info->broker_addr_table.find(name);
      if (it == info->broker_addr_table.end()) continue;
      for (const auto& [id, addr] : it->second.broker_addrs) {
        auto rt = s.admin->broker_runtime_info(addr);
        std::map<std::string, std::string> t = rt.ok() ? *rt : std::map<std::string, std::string>{};
        auto get = [&](const char* k) {
          auto f = t.find(k);
          return f == t.end() ? std::string("-") : f->second;
        };
        rows.push_back({cluster, name, std::to_string(id), addr, get("raftRole"), get("raftTerm"),
                        get("putTps"), get("getTransferredTps"), rt.ok() ? "" : "unreachable"});
        Json o = Json::object();
        o.set("cluster", Json::string(cluster));
        o.set("brokerName", Json::string(name));
        o.set("brokerId", Json::number(id));
        o.set("addr", Json::string(addr));
        o.set("raftRole", Json::string(get("raftRole")));
        o.set("raftTerm", Json::string(get("raftTerm")));
        o.set("putTps", Json::string(get("putTps")));
        o.set("reachable", Json::boolean(rt.ok()));
        out.push_back(std::move(o));
      }
    }
  }
  if (FLAGS_json) {
    print_json(out);
  } else {
    print_table({"CLUSTER", "BROKER", "ID", "ADDR", "ROLE", "TERM", "PUT_TPS", "GET_TPS", "NOTE"},
                rows);
  }
  return kExitOk;
}

int broker_status(const std::vector<std::string>&) {
  if (FLAGS_broker_addr.empty()) return fail("brokerStatus", "--broker_addr is required");
  Session s;
  auto rt = s.admin->broker_runtime_info(FLAGS_broker_addr);
  if (!rt.ok()) return fail("brokerStatus", rt.status().to_string());
  if (FLAGS_json) {
    Json o = Json::object();
    for (const auto& [k, v] : *rt) o.set(k, Json::string(v));
    print_json(o);
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : *rt) rows.push_back({k, v});
    print_table({"KEY", "VALUE"}, rows);
  }
  return kExitOk;
}

int topic_list(const std::vector<std::string>&) {
  Session s;
  auto r = s.admin->topic_list();
  if (!r.ok()) return fail("topicList", r.status().to_string());
  if (FLAGS_json) {
    print_json(string_list(*r));
  } else {
    for (const auto& t : *r) std::printf("%s\n", t.c_str());
  }
  return kExitOk;
}

int topic_route(const std::vector<std::string>&) {
  if (FLAGS_topic.empty()) return fail("topicRoute", "--topic is required");
  Session s;
  auto r = s.admin->topic_route(FLAGS_topic);
  if (!r.ok()) return fail("topicRoute", r.status().to_string());
  std::vector<std::vector<std::string>> rows;
  Json out = Json::object();
  Json brokers = Json::array();
  for (const auto& b : r->broker_datas) {
    Json bj = Json::object();
    bj.set("brokerName", Json::string(b.broker_name));
    bj.set("cluster", Json::string(b.cluster));
    Json addrs = Json::object();
    for (const auto& [id, addr] : b.broker_addrs) {
      addrs.set(std::to_string(id), Json::string(addr));
      int32_t rq = 0;
      int32_t wq = 0;
      int32_t perm = 0;
      for (const auto& q : r->queue_datas) {
        if (q.broker_name == b.broker_name) {
          rq = q.read_queue_nums;
          wq = q.write_queue_nums;
          perm = q.perm;
        }
      }
      rows.push_back({b.broker_name, std::to_string(id), addr, std::to_string(rq),
                      std::to_string(wq), std::to_string(perm)});
    }
    bj.set("brokerAddrs", std::move(addrs));
    brokers.push_back(std::move(bj));
  }
  Json queues = Json::array();
  for (const auto& q : r->queue_datas) {
    Json qj = Json::object();
    qj.set("brokerName", Json::string(q.broker_name));
    qj.set("readQueueNums", Json::number(q.read_queue_nums));
    qj.set("writeQueueNums", Json::number(q.write_queue_nums));
    qj.set("perm", Json::number(q.perm));
    queues.push_back(std::move(qj));
  }
  out.set("brokerDatas", std::move(brokers));
  out.set("queueDatas", std::move(queues));
  if (FLAGS_json) {
    print_json(out);
  } else {
    print_table({"BROKER", "ID", "ADDR", "READ_QUEUES", "WRITE_QUEUES", "PERM"}, rows);
  }
  return kExitOk;
}

int topic_status(const std::vector<std::string>&) {
  if (FLAGS_topic.empty()) return fail("topicStatus", "--topic is required");
  Session s;
  auto r = s.admin->topic_stats(FLAGS_topic);
  if (!r.ok()) return fail("topicStatus", r.status().to_string());
  std::vector<std::vector<std::string>> rows;
  Json out = Json::array();
  for (const auto& [mq, o] : *r) {
    rows.push_back({mq.broker_name, std::to_string(mq.queue_id), std::to_string(o.min_offset),
                    std::to_string(o.max_offset), ms_time(o.last_update_timestamp)});
    Json j = Json::object();
    j.set("brokerName", Json::string(mq.broker_name));
    j.set("queueId", Json::number(mq.queue_id));
    j.set("minOffset", Json::number(o.min_offset));
    j.set("maxOffset", Json::number(o.max_offset));
    j.set("lastUpdateTimestamp", Json::number(o.last_update_timestamp));
    out.push_back(std::move(j));
  }
  if (FLAGS_json) {
    print_json(out);
  } else {
    print_table({"BROKER", "QID", "MIN_OFFSET", "MAX_OFFSET", "LAST_UPDATED"}, rows);
  }
  return kExitOk;
}

std::string target() { return FLAGS_broker_addr.empty() ? FLAGS_cluster : FLAGS_broker_addr; }

int update_topic(const std::vector<std::string>&) {
  if (FLAGS_topic.empty()) return fail("updateTopic", "--topic is required");
  Session s;
  return done_list("updateTopic", s.admin->update_topic(FLAGS_topic, FLAGS_read_queues,
                                                        FLAGS_write_queues, FLAGS_perm, target()));
}

int delete_topic(const std::vector<std::string>&) {
  if (FLAGS_topic.empty()) return fail("deleteTopic", "--topic is required");
  Session s;
  return done_list("deleteTopic", s.admin->delete_topic(FLAGS_topic, FLAGS_cluster));
}

int update_sub_group(const std::vector<std::string>&) {
  if (FLAGS_group.empty()) return fail("updateSubGroup", "--group is required");
  Session s;
  client::SubscriptionGroupConfig g;
  g.group_name = FLAGS_group;
  g.retry_max_times = FLAGS_retry_max_times;
  return done_list("updateSubGroup", s.admin->update_sub_group(g, target()));
}

int delete_sub_group(const std::vector<std::string>&) {
  if (FLAGS_group.empty()) return fail("deleteSubGroup", "--group is required");
  Session s;
  return done_list("deleteSubGroup", s.admin->delete_sub_group(FLAGS_group, target()));
}

int consumer_progress(const std::vector<std::string>&) {
  if (FLAGS_group.empty()) return fail("consumerProgress", "--group is required");
  Session s;
  auto r = s.admin->consumer_progress(FLAGS_group, FLAGS_topic);
  if (!r.ok()) return fail("consumerProgress", r.status().to_string());
  std::vector<std::vector<std::string>> rows;
  Json out = Json::object();
  Json qs = Json::array();
  for (const auto& [mq, w] : r->offset_table) {
    rows.push_back({mq.topic, mq.broker_name, std::to_string(mq.queue_id),
                    std::to_string(w.broker_offset), std::to_string(w.consumer_offset),
                    std::to_string(w.broker_offset - w.consumer_offset)});
    Json j = Json::object();
    j.set("topic", Json::string(mq.topic));
    j.set("brokerName", Json::string(mq.broker_name));
    j.set("queueId", Json::number(mq.queue_id));
    j.set("brokerOffset", Json::number(w.broker_offset));
    j.set("consumerOffset", Json::number(w.consumer_offset));
    j.set("diff", Json::number(w.broker_offset - w.consumer_offset));
    qs.push_back(std::move(j));
  }
  out.set("queues", std::move(qs));
  out.set("diffTotal", Json::number(r->diff_total()));
  if (FLAGS_json) {
    print_json(out);
  } else {
    print_table({"TOPIC", "BROKER", "QID", "BROKER_OFFSET", "CONSUMER_OFFSET", "DIFF"}, rows);
    std::printf("Diff Total: %lld\n", static_cast<long long>(r->diff_total()));
  }
  return kExitOk;
}

int consumer_connection(const std::vector<std::string>&) {
  if (FLAGS_group.empty()) return fail("consumerConnection", "--group is required");
  Session s;
  auto r = s.admin->consumer_connection(FLAGS_group);
  if (!r.ok()) return fail("consumerConnection", r.status().to_string());
  std::vector<std::vector<std::string>> rows;
  Json out = Json::array();
  for (const auto& c : r->connections) {
    rows.push_back({c.client_id, c.client_addr, c.language, std::to_string(c.version)});
    Json j = Json::object();
    j.set("clientId", Json::string(c.client_id));
    j.set("clientAddr", Json::string(c.client_addr));
    j.set("language", Json::string(c.language));
    j.set("version", Json::number(c.version));
    out.push_back(std::move(j));
  }
  if (FLAGS_json) {
    print_json(out);
  } else {
    print_table({"CLIENT_ID", "CLIENT_ADDR", "LANGUAGE", "VERSION"}, rows);
    std::printf("consumeType=%s messageModel=%s consumeFromWhere=%s\n", r->consume_type.c_str(),
                r->message_model.c_str(), r->consume_from_where.c_str());
  }
  return kExitOk;
}

int reset_offset(const std::vector<std::string>&) {
  if (FLAGS_topic.empty() || FLAGS_group.empty()) {
    return fail("resetOffsetByTime", "--topic and --group are required");
  }
  Session s;
  auto r = s.admin->reset_offset_by_time(FLAGS_topic, FLAGS_group, FLAGS_timestamp);
  if (!r.ok()) return fail("resetOffsetByTime", r.status().to_string());
  std::vector<std::vector<std::string>> rows;
  Json out = Json::array();
  for (const auto& [mq, off] : *r) {
    rows.push_back({mq.broker_name, std::to_string(mq.queue_id), std::to_string(off)});
    Json j = Json::object();
    j.set("brokerName", Json::string(mq.broker_name));
    j.set("queueId", Json::number(mq.queue_id));
    j.set("offset", Json::number(off));
    out.push_back(std::move(j));
  }
  if (FLAGS_json) {
    print_json(out);
  } else {
    print_table({"BROKER", "QID", "OFFSET"}, rows);
  }
  return kExitOk;
}

Json message_json(const client::MessageExt& m) {
  Json j = Json::object();
  j.set("msgId", Json::string(m.msg_id));
  j.set("topic", Json::string(m.topic));
  j.set("queueId", Json::number(m.queue_id));
  j.set("queueOffset", Json::number(m.queue_offset));
  j.set("keys", Json::string(m.keys()));
  j.set("tags", Json::string(m.tags()));
  j.set("storeHost", Json::string(m.store_host));
  j.set("storeTimestamp", Json::number(m.store_timestamp));
  j.set("reconsumeTimes", Json::number(m.reconsume_times));
  j.set("body", Json::string(m.body));
  return j;
}

int print_messages(const std::vector<client::MessageExt>& msgs) {
  if (FLAGS_json) {
    Json a = Json::array();
    for (const auto& m : msgs) a.push_back(message_json(m));
    print_json(a);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : msgs) {
    rows.push_back({m.msg_id, m.topic, std::to_string(m.queue_id), std::to_string(m.queue_offset),
                    m.keys(), m.tags(), ms_time(m.store_timestamp), m.body.substr(0, 40)});
  }
  print_table({"MSG_ID", "TOPIC", "QID", "OFFSET", "KEYS", "TAGS", "STORED", "BODY"}, rows);
  return kExitOk;
}

int query_by_id(const std::vector<std::string>&) {
  if (FLAGS_msg_id.empty()) return fail("queryMsgById", "--msg_id is required");
  Session s;
  auto r = s.admin->query_msg_by_id(FLAGS_msg_id);
  if (!r.ok()) return fail("queryMsgById", r.status().to_string());
  return print_messages({*r});
}

int query_by_key(const std::vector<std::string>&) {
  if (FLAGS_topic.empty() || FLAGS_key.empty()) {
    return fail("queryMsgByKey", "--topic and --key are required");
  }
  Session s;
  auto r = s.admin->query_msg_by_key(FLAGS_topic, FLAGS_key);
  if (!r.ok()) return fail("queryMsgByKey", r.status().to_string());
  if (r->empty()) return fail("queryMsgByKey", "no message with key " + FLAGS_key);
  return print_messages(*r);
}

int get_config(const std::vector<std::string>&) {
  if (FLAGS_broker_addr.empty()) return fail("getBrokerConfig", "--broker_addr is required");
  Session s;
  auto r = s.admin->get_broker_config(FLAGS_broker_addr);
  if (!r.ok()) return fail("getBrokerConfig", r.status().to_string());
  if (FLAGS_json) {
    Json o = Json::object();
    for (const auto& [k, v] : *r) o.set(k, Json::string(v));
    print_json(o);
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : *r) rows.push_back({k, v});
    print_table({"KEY", "VALUE"}, rows);
  }
  return kExitOk;
}

int update_config(const std::vector<std::string>&) {
  if (FLAGS_broker_addr.empty() || FLAGS_key.empty()) {
    return fail("updateBrokerConfig", "--broker_addr and --key are required");
  }
  Session s;
  auto st = s.admin->update_broker_config(FLAGS_broker_addr, FLAGS_key, FLAGS_value);
  if (!st.is_ok()) return fail("updateBrokerConfig", st.to_string());
  std::printf("%s: %s=%s\n", FLAGS_broker_addr.c_str(), FLAGS_key.c_str(), FLAGS_value.c_str());
  return kExitOk;
}

int wipe_perm(const std::vector<std::string>&) {
  if (FLAGS_broker_name.empty()) return fail("wipeWritePerm", "--broker_name is required");
  Session s;
  return done_list("wipeWritePerm", s.admin->wipe_write_perm(FLAGS_broker_name));
}

int add_perm(const std::vector<std::string>&) {
  if (FLAGS_broker_name.empty()) return fail("addWritePerm", "--broker_name is required");
  Session s;
  return done_list("addWritePerm", s.admin->add_write_perm(FLAGS_broker_name));
}

// Every node of every broker group (or of --broker_name): role, term, indexes, lag.
int raft_status(const std::vector<std::string>&) {
  Session s;
  auto info = s.admin->cluster_info();
  if (!info.ok()) return fail("raftStatus", info.status().to_string());
  std::vector<std::vector<std::string>> rows;
  Json out = Json::array();
  std::vector<std::string> timeline;
  for (const auto& [name, bd] : info->broker_addr_table) {
    if (!FLAGS_broker_name.empty() && name != FLAGS_broker_name) continue;
    int64_t leader_last = -1;
    std::vector<std::pair<std::string, Json>> nodes;
    for (const auto& [id, addr] : bd.broker_addrs) {
      auto st = s.admin->raft_status(addr);
      if (!st.ok()) {
        rows.push_back({name, "?", addr, "unreachable", "-", "-", "-", "-"});
        continue;
      }
      if (st->get_string("role") == "leader") {
        leader_last = st->get_int("lastIndex");
        if (const Json* tl = st->find("timeline"); tl != nullptr && tl->is_array()) {
          for (const Json& e : tl->items()) {
            char ms[8];
            std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(e.get_int("timeMs") % 1000));
            timeline.push_back(ms_time(e.get_int("timeMs")) + ms + "  " + e.get_string("event"));
          }
        }
      }
      nodes.emplace_back(addr, std::move(st).value());
    }
    for (auto& [addr, st] : nodes) {
      const int64_t last = st.get_int("lastIndex");
      rows.push_back({name, st.get_string("selfId"), addr, st.get_string("role"),
                      std::to_string(st.get_int("term")), std::to_string(st.get_int("commitIndex")),
                      std::to_string(last),
                      leader_last >= 0 ? std::to_string(leader_last - last) : "-"});
      st.set("lag", Json::number(leader_last >= 0 ? leader_last - last : -1));
      out.push_back(st);
    }
  }
  if (FLAGS_json) {
    print_json(out);
  } else {
    print_table({"GROUP", "NODE", "ADDR", "ROLE", "TERM", "COMMIT", "LAST", "LAG"}, rows);
    if (!timeline.empty()) {
      std::printf("\nleader timeline (most recent last):\n");
      for (const auto& t : timeline) std::printf("  %s\n", t.c_str());
    }
  }
  return kExitOk;
}

int transfer_leader(const std::vector<std::string>&) {
  if (FLAGS_target.empty()) return fail("transferLeader", "--target (e.g. n2) is required");
  Session s;
  auto info = s.admin->cluster_info();
  if (!info.ok()) return fail("transferLeader", info.status().to_string());
  for (const auto& [name, bd] : info->broker_addr_table) {
    if (!FLAGS_broker_name.empty() && name != FLAGS_broker_name) continue;
    auto it = bd.broker_addrs.find(0);
    if (it == bd.broker_addrs.end()) return fail("transferLeader", name + " has no leader now");
    auto st = s.admin->transfer_leader(it->second, FLAGS_target);
    if (!st.is_ok()) return fail("transferLeader", st.to_string());
    std::printf("%s: leadership handed from %s to %s\n", name.c_str(), it->second.c_str(),
                FLAGS_target.c_str());
    return kExitOk;
  }
  return fail("transferLeader", "no broker group named '" + FLAGS_broker_name + "'");
}

// Classic master/slave mode: each slave's acknowledged offset and lag as its master sees it (and
// each slave's own view), for --broker_addr or every broker of every group (--broker_name).
int ha_status(const std::vector<std::string>&) {
  Session s;
  std::vector<std::pair<std::string, std::string>> targets;  // (group, address)
  if (!FLAGS_broker_addr.empty()) {
    targets.emplace_back("-", FLAGS_broker_addr);
  } else {
    auto info = s.admin->cluster_info();
    if (!info.ok()) return fail("haStatus", info.status().to_string());
    for (const auto& [name, bd] : info->broker_addr_table) {
      if (!FLAGS_broker_name.empty() && name != FLAGS_broker_name) continue;
      for (const auto& [id, addr] : bd.broker_addrs) targets.emplace_back(name, addr);
    }
  }
  if (targets.empty()) return fail("haStatus", "no broker to ask");
  Json out = Json::array();
  std::vector<std::vector<std::string>> rows;
  int failures = 0;
  for (const auto& [group, addr] : targets) {
    auto st = s.admin->ha_status(addr);
    if (!st.ok()) {
      ++failures;
      rows.push_back({group, addr, "?", "-", "-", "-", "-", st.status().to_string()});
      continue;
    }
    const std::string role = st->get_string("role");
    const int64_t max = st->get_int("maxOffset");
    if (role == "SLAVE") {
      const int64_t lag = st->get_int("lagBytes", -1);
      rows.push_back(
          {group, addr, role, std::to_string(st->get_int("brokerId")), std::to_string(max), "-",
           lag < 0 ? "?" : std::to_string(lag),
           std::string(st->get_bool("connected") ? "connected to " : "NOT connected to ") +
               st->get_string("masterHaAddress")});
    } else {
      const Json* slaves = st->find("slaves");
      const size_t n = slaves != nullptr && slaves->is_array() ? slaves->items().size() : 0;
      rows.push_back(
          {group, addr, role, std::to_string(st->get_int("brokerId")), std::to_string(max),
           std::to_string(st->get_int("ackedOffset")), "-",
           std::to_string(n) + " slave(s) streaming; HA " + st->get_string("haServerAddr")});
      for (size_t i = 0; i < n; ++i) {
        const Json& sl = slaves->items()[i];
        rows.push_back(
            {"", "  " + sl.get_string("address"), "slave", std::to_string(sl.get_int("brokerId")),
             std::to_string(max), std::to_string(sl.get_int("ackedOffset")),
             std::to_string(sl.get_int("lagBytes")),
             "last report " + std::to_string(sl.get_int("lastReportAgeMs")) + " ms ago"});
      }
    }
    st->set("addr", Json::string(addr));
    out.push_back(std::move(st).value());
  }
  if (FLAGS_json) {
    print_json(out);
  } else {
    print_table({"GROUP", "ADDR", "ROLE", "ID", "MAX_OFFSET", "ACKED", "LAG_BYTES", "NOTE"}, rows);
  }
  return failures == static_cast<int>(targets.size()) ? fail("haStatus", "no broker answered")
                                                      : kExitOk;
}

const Register kRegs[] = {
    {"clusterList", "brokers of each cluster with role, term and TPS", cluster_list},
    {"brokerStatus", "runtime info of one broker (--broker_addr)", broker_status},
    {"topicList", "all topics known to the NameServer", topic_list},
    {"topicRoute", "route of --topic", topic_route},
    {"topicStatus", "min/max offset per queue of --topic", topic_status},
    {"updateTopic", "create or update --topic (--read_queues --write_queues --perm)", update_topic},
    {"deleteTopic", "delete --topic from --cluster and the NameServers", delete_topic},
    {"updateSubGroup", "create or update consumer --group", update_sub_group},
    {"deleteSubGroup", "delete consumer --group", delete_sub_group},
    {"consumerProgress", "per-queue broker/consumer offsets of --group", consumer_progress},
    {"consumerConnection", "clients online in --group", consumer_connection},
    {"resetOffsetByTime", "reset --group's offsets on --topic to --timestamp", reset_offset},
    {"queryMsgById", "a message by its offsetMsgId (--msg_id)", query_by_id},
    {"queryMsgByKey", "messages of --topic with --key", query_by_key},
    {"getBrokerConfig", "configuration of --broker_addr", get_config},
    {"updateBrokerConfig", "set --key=--value on --broker_addr", update_config},
    {"wipeWritePerm", "make --broker_name read-only", wipe_perm},
    {"addWritePerm", "make --broker_name writable again", add_perm},
    {"raftStatus", "each node's role, term, commit/last index, lag; leader timeline", raft_status},
    {"transferLeader", "hand leadership of a group to --target (n2)", transfer_leader},
    {"haStatus", "classic master/slave: each slave's acked offset and lag (--broker_addr)",
     ha_status},
};

}  // namespace
}  // namespace rmq::tools
