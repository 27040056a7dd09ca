// raftmq produce: sends --count messages (body from --body, a file, or stdin lines) with --keys,
// --tag and --delay-level; prints one row per acknowledged send (msgId, queue, offset, Raft term
// and index, durability).
#include "client/producer.h"
#include "common/clock.h"
#include "common/json.h"
#include "tools/cli.h"

#include <fstream>
#include <iostream>
#include <sstream>

DEFINE_string(body, "", "message body (default: 'hello <i>'); see --body_file and --stdin");
DEFINE_string(body_file, "", "read the body from this file");
DEFINE_bool(stdin, false, "send one message per line of standard input");
DEFINE_string(keys, "", "message keys (space-separated); '{i}' is replaced by the message number");
DEFINE_string(tag, "", "message tag");
DEFINE_int32(delay_level, 0, "delay level (1 = 1 s, 2 = 5 s, ... 18 = 2 h)");
DEFINE_int32(retries, 2, "extra send attempts after a retryable failure");

namespace rmq::tools {
namespace {

std::string expand(std::string s, int i) {
  const std::string token = "{i}";
  for (size_t p = s.find(token); p != std::string::npos; p = s.find(token, p)) {
    s.replace(p, token.size(), std::to_string(i));
  }
  return s;
}

int produce(const std::vector<std::string>&) {
  if (FLAGS_topic.empty()) return fail("produce", "--topic is required");
  std::vector<std::string> bodies;
  if (FLAGS_stdin) {
    std::string line;
    while (std::getline(std::cin, line)) bodies.push_back(line);
  } else if (!FLAGS_body_file.empty()) {
    std::ifstream in(FLAGS_body_file, std::ios::binary);
    if (!in) return fail("produce", "cannot read --body_file " + FLAGS_body_file);
    std::stringstream ss;
    ss << in.rdbuf();
    for (int i = 0; i < FLAGS_count; ++i) bodies.push_back(ss.str());
  } else {
    for (int i = 0; i < FLAGS_count; ++i) {
      bodies.push_back(FLAGS_body.empty() ? "hello " + std::to_string(i) : FLAGS_body);
    }
  }
  client::ProducerOptions po;
  po.namesrv = FLAGS_namesrv;
  po.retries = FLAGS_retries;
  client::Producer producer(po, common::SteadyClock::instance());
  producer.start();
  std::vector<std::vector<std::string>> rows;
  common::Json out = common::Json::array();
  int failed = 0;
  for (size_t i = 0; i < bodies.size(); ++i) {
    client::Message m;
    m.topic = FLAGS_topic;
    m.tags = FLAGS_tag;
    m.keys = expand(FLAGS_keys, static_cast<int>(i));
    m.body = bodies[i];
    m.delay_level = FLAGS_delay_level;
    auto r = producer.send(m);
    if (!r.ok()) {
      ++failed;
      std::fprintf(stderr, "raftmq produce: message %zu: %s\n", i, r.status().to_string().c_str());
      continue;
    }
    if (FLAGS_json) {
      common::Json o = common::Json::object();
      o.set("msgId", common::Json::string(r->msg_id));
      o.set("uniqKey", common::Json::string(r->uniq_key));
      o.set("broker", common::Json::string(r->broker_name));
      o.set("brokerAddr", common::Json::string(r->broker_addr));
      o.set("queueId", common::Json::number(r->queue_id));
      o.set("queueOffset", common::Json::number(r->queue_offset));
      o.set("keys", common::Json::string(m.keys));
      o.set("tag", common::Json::string(m.tags));
      o.set("raftTerm", common::Json::number(r->raft_term));
      o.set("raftIndex", common::Json::number(r->raft_index));
      o.set("durability", common::Json::string(r->durability));
      o.set("attempts", common::Json::number(r->attempts));
      out.push_back(std::move(o));
    } else {
      rows.push_back({r->msg_id, r->broker_name, std::to_string(r->queue_id),
                      std::to_string(r->queue_offset), m.keys, m.tags,
                      std::to_string(r->raft_term) + "/" + std::to_string(r->raft_index),
                      r->durability});
    }
  }
  producer.shutdown();
  if (FLAGS_json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    print_table({"MSG_ID", "BROKER", "QUEUE", "OFFSET", "KEYS", "TAG", "TERM/INDEX", "DURABILITY"},
                rows);
  }
  return failed == 0 ? kExitOk : kExitFailed;
}

const Register kProduce("produce", "send messages (--topic, --count, --body, --keys, --tag)",
                        produce);

}  // namespace
}  // namespace rmq::tools
