#include "tests/testutil/wire.h"

#include "common/bytes.h"
#include "remoting/request_code.h"
#include "store/message.h"

#include <string_view>
#include <utility>

namespace rmq::testutil {

namespace {

using remoting::RemotingCommand;
using remoting::RequestCode;

constexpr int32_t kSuccess = 0;
constexpr int32_t kPullRetryImmediately = 20;
constexpr int kMaxDrainPulls = 1000;

std::map<std::string, std::string> ext_of(const RemotingCommand& r) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : r.ext_fields.entries()) out[k] = v;
  return out;
}

}  // namespace

int64_t SendResult::phys() const {
  auto parsed = store::parse_msg_id(msg_id);
  return parsed ? parsed->second : -1;
}

std::string SendResult::ext_value(const std::string& key) const {
  auto it = ext.find(key);
  return it == ext.end() ? "" : it->second;
}

SendResult send_message(remoting::Client& client, const std::string& addr, const SendSpec& m,
                        std::chrono::milliseconds timeout) {
  auto req = RemotingCommand::request(RequestCode::kSendMessageV2);
  req.ext_fields.set("a", "PG");
  req.ext_fields.set("b", m.topic);
  req.ext_fields.set("c", "TBW102");
  req.ext_fields.set("d", m.default_topic_queues);
  req.ext_fields.set("e", m.queue);
  req.ext_fields.set("f", 0);
  req.ext_fields.set("g", 1700000000000);
  req.ext_fields.set("h", 0);
  std::string props = m.properties;
  if (!m.tags.empty()) store::append_property(props, "TAGS", m.tags);
  if (!m.keys.empty()) store::append_property(props, "KEYS", m.keys);
  req.ext_fields.set("i", props);
  req.ext_fields.set("j", m.reconsume_times);
  req.ext_fields.set("k", "false");
  if (m.max_reconsume_times) req.ext_fields.set("l", *m.max_reconsume_times);
  req.body = common::Buffer(std::string_view(m.body));
  SendResult s;
  auto r = client.invoke_sync(addr, std::move(req), timeout);
  if (!r.ok()) {
    s.remark = r.status().to_string();
    return s;
  }
  s.code = r->code;
  s.remark = r->remark.value_or("");
  s.ext = ext_of(*r);
  if (const std::string* id = r->ext("msgId")) {
    s.msg_id = *id;
    s.queue = static_cast<int32_t>(r->ext_int("queueId").value_or(-1));
    s.queue_offset = r->ext_int("queueOffset").value_or(-1);
  }
  return s;
}

PullResult pull_message(remoting::Client& client, const std::string& addr, const PullSpec& p,
                        std::chrono::milliseconds timeout) {
  auto req = RemotingCommand::request(RequestCode::kPullMessage);
  req.ext_fields.set("consumerGroup", p.group);
  req.ext_fields.set("topic", p.topic);
  req.ext_fields.set("queueId", p.queue);
  req.ext_fields.set("queueOffset", p.offset);
  req.ext_fields.set("maxMsgNums", 32);
  req.ext_fields.set("sysFlag", p.sys_flag);
  req.ext_fields.set("commitOffset", 0);
  req.ext_fields.set("suspendTimeoutMillis", p.suspend_ms);
  req.ext_fields.set("subscription", p.subscription);
  req.ext_fields.set("subVersion", 0);
  PullResult out;
  auto r = client.invoke_sync(addr, std::move(req), timeout);
  if (!r.ok()) {
    out.remark = r.status().to_string();
    return out;
  }
  out.code = r->code;
  out.remark = r->remark.value_or("");
  out.ext = ext_of(*r);
  out.next = r->ext_int("nextBeginOffset").value_or(-1);
  common::ByteView b(r->body.data(), r->body.size());
  while (!b.empty()) {
    auto m = store::decode_message(b, true);
    if (!m.ok()) {
      out.decode_error = m.status().to_string();
      break;
    }
    PulledMessage pm;
    pm.queue_offset = m->queue_offset;
    pm.phys = m->physical_offset;
    pm.reconsume_times = m->reconsume_times;
    pm.keys = store::find_property(m->properties, "KEYS").value_or("");
    pm.tags = store::find_property(m->properties, "TAGS").value_or("");
    pm.body.assign(reinterpret_cast<const char*>(m->body.data()), m->body.size());
    pm.properties = m->properties;
    out.msgs.push_back(std::move(pm));
    b = b.subspan(static_cast<size_t>(m->total_size));
  }
  return out;
}

PullResult drain_queue(remoting::Client& client, const std::string& addr, PullSpec p,
                       std::chrono::milliseconds timeout,
                       const std::function<void(const PullResult&)>& each) {
  PullResult all;
  all.next = p.offset;
  for (int i = 0; i < kMaxDrainPulls; ++i) {
    PullResult r = pull_message(client, addr, p, timeout);
    if (each) each(r);
    all.code = r.code;
    all.remark = r.remark;
    all.ext = r.ext;
    for (auto& m : r.msgs) all.msgs.push_back(std::move(m));
    if (!r.decode_error.empty()) {
      all.decode_error = r.decode_error;
      break;
    }
    if (r.code != kSuccess && r.code != kPullRetryImmediately) break;
    if (r.next >= 0) p.offset = r.next;
    all.next = p.offset;
  }
  return all;
}

RemotingCommand update_offset_request(const std::string& group, const std::string& topic, int queue,
                                      int64_t offset) {
  auto req = RemotingCommand::request(RequestCode::kUpdateConsumerOffset);
  req.ext_fields.set("consumerGroup", group);
  req.ext_fields.set("topic", topic);
  req.ext_fields.set("queueId", queue);
  req.ext_fields.set("commitOffset", offset);
  return req;
}

RemotingCommand query_offset_request(const std::string& group, const std::string& topic,
                                     int queue) {
  auto req = RemotingCommand::request(RequestCode::kQueryConsumerOffset);
  req.ext_fields.set("consumerGroup", group);
  req.ext_fields.set("topic", topic);
  req.ext_fields.set("queueId", queue);
  return req;
}

}  // namespace rmq::testutil
