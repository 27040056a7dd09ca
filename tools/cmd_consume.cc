// raftmq consume: reads --topic as consumer --group from every queue of the route, one long-
// polling pull chain per queue (PULL_MESSAGE with SUSPEND), and prints keys, tags, msgId, queue and
// offset of each message (one JSON object per line with --json). A group without a committed
// offset starts --from first|last|timestamp; offsets are committed every second and at the end,
// never past a message that was not printed. Stops after --count messages (unlimited when --count
// is not given), or when every queue is caught up, unless --follow. Exit 1 when a pull failed.
#include "client/message_codec.h"
#include "client/route.h"
#include "common/clock.h"
#include "common/json.h"
#include "remoting/client.h"
#include "remoting/request_code.h"
#include "tools/cli.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>

DEFINE_string(from, "first",
              "consume: where a group without an offset starts: first|last|timestamp");
DEFINE_int64(from_timestamp, 0, "consume: epoch ms for --from=timestamp");
DEFINE_bool(follow, false, "consume: keep waiting for new messages");
DEFINE_string(subscription, "*", "consume: tag expression ('*' or 'TagA || TagB')");

namespace rmq::tools {
namespace {

using remoting::RemotingCommand;
using remoting::RequestCode;

struct QueueState {
  client::QueueRef q;
  std::string addr;
  int64_t offset = 0;
  int64_t committed = -1;
  bool caught_up = false;
};

int consume(const std::vector<std::string>&) {
  if (FLAGS_topic.empty()) return fail("consume", "--topic is required");
  const std::string group = FLAGS_group.empty() ? "raftmq_cli_consumer" : FLAGS_group;
  // --count is shared with produce (default 1); consume reads everything unless it is given.
  const int64_t limit = gflags::GetCommandLineFlagInfoOrDie("count").is_default ? 0 : FLAGS_count;
  if (FLAGS_from != "first" && FLAGS_from != "last" && FLAGS_from != "timestamp") {
    return fail("consume", "--from must be first, last or timestamp");
  }
  remoting::ClientOptions co;
  co.endpoint.name = "consume";
  co.endpoint.io_threads = 1;
  remoting::Client client(co, common::SteadyClock::instance());
  client.start();
  client::RouteCache routes(client, FLAGS_namesrv, common::SteadyClock::instance());
  auto route = routes.get(FLAGS_topic);
  if (!route.ok()) return fail("consume", route.status().to_string());

  auto call = [&](const std::string& addr, RemotingCommand req) {
    return client.invoke_sync(addr, std::move(req), std::chrono::seconds(5));
  };
  std::vector<QueueState> queues;
  for (const auto& q : (*route)->subscribe_queues()) {
    QueueState st;
    st.q = q;
    st.addr = (*route)->master_addr(q.broker_name);
    if (st.addr.empty()) return fail("consume", "broker " + q.broker_name + " has no leader");
    auto off = RemotingCommand::request(RequestCode::kQueryConsumerOffset);
    off.ext_fields.set("consumerGroup", group);
    off.ext_fields.set("topic", q.topic);
    off.ext_fields.set("queueId", q.queue_id);
    off.ext_fields.set("setZeroIfNotFound", "false");
    auto r = call(st.addr, std::move(off));
    if (!r.ok()) return fail("consume", st.addr + ": " + r.status().to_string());
    if (r->code == 0 && r->ext_int("offset")) {
      st.offset = *r->ext_int("offset");
    } else {
      RemotingCommand req =
          RemotingCommand::request(FLAGS_from == "last"    ? RequestCode::kGetMaxOffset
                                   : FLAGS_from == "first" ? RequestCode::kGetMinOffset
                                                           : RequestCode::kSearchOffsetByTimestamp);
      req.ext_fields.set("topic", q.topic);
      req.ext_fields.set("queueId", q.queue_id);
      if (FLAGS_from == "timestamp") req.ext_fields.set("timestamp", FLAGS_from_timestamp);
      auto o = call(st.addr, std::move(req));
      if (!o.ok() || o->code != 0) {
        return fail("consume", st.addr + ": cannot find the start offset of queue " +
                                   std::to_string(q.queue_id));
      }
      st.offset = o->ext_int("offset").value_or(0);
    }
    queues.push_back(std::move(st));
  }

  std::mutex mu;
  std::condition_variable cv;
  int64_t printed = 0;
  int active = 0;
  bool stop = false;
  bool failed = false;  // a pull failed: exit 1
  std::vector<std::vector<std::string>> rows;
  auto commit = [&](QueueState& st) {
    int64_t offset = 0;
    {
      std::lock_guard lock(mu);
      offset = st.offset;
    }
    if (FLAGS_group.empty() || st.committed == offset) return;
    auto req = RemotingCommand::request(RequestCode::kUpdateConsumerOffset);
    req.ext_fields.set("consumerGroup", group);
    req.ext_fields.set("topic", st.q.topic);
    req.ext_fields.set("queueId", st.q.queue_id);
    req.ext_fields.set("commitOffset", offset);
    auto r = call(st.addr, std::move(req));
    if (r.ok() && r->code == 0) st.committed = offset;
  };

  std::function<void(size_t)> pull = [&](size_t i) {
    QueueState& st = queues[i];
    auto req = RemotingCommand::request(RequestCode::kPullMessage);
    req.ext_fields.set("consumerGroup", group);
    req.ext_fields.set("topic", st.q.topic);
    req.ext_fields.set("queueId", st.q.queue_id);
    req.ext_fields.set("queueOffset", st.offset);
    req.ext_fields.set("maxMsgNums", 32);
    const bool suspend = FLAGS_follow || !st.caught_up;
    req.ext_fields.set("sysFlag", (suspend && st.caught_up ? 2 : 0) | 4);
    req.ext_fields.set("commitOffset", 0);
    req.ext_fields.set("suspendTimeoutMillis", 15000);
    req.ext_fields.set("subscription", FLAGS_subscription);
    req.ext_fields.set("subVersion", 0);
    client.invoke_async(
        st.addr, std::move(req), std::chrono::seconds(30),
        [&, i](common::Result<RemotingCommand> r) {
          QueueState& s = queues[i];
          std::unique_lock lock(mu);
          bool again = !stop;
          if (!r.ok()) {
            std::fprintf(stderr, "raftmq consume: %s: %s\n", s.addr.c_str(),
                         r.status().to_string().c_str());
            failed = true;
            again = false;
          } else if (r->code == 0) {
            auto msgs =
                client::decode_stored_messages(common::ByteView(r->body.data(), r->body.size()));
            // Past the batch (nextBeginOffset) only when every message of it was printed: the
            // offset is committed, and messages cut off by --count must stay for the next run.
            bool whole_batch = msgs.ok();
            if (!msgs.ok()) {
              std::fprintf(stderr, "raftmq consume: %s: queue %d: cannot decode messages: %s\n",
                           s.addr.c_str(), s.q.queue_id, msgs.status().to_string().c_str());
              failed = true;
              again = false;
            } else {
              for (const auto& m : *msgs) {
                if (limit > 0 && printed >= limit) {
                  whole_batch = false;
                  break;
                }
                ++printed;
                if (FLAGS_json) {
                  common::Json j = common::Json::object();
                  j.set("msgId", common::Json::string(m.msg_id));
                  j.set("keys", common::Json::string(m.keys()));
                  j.set("tags", common::Json::string(m.tags()));
                  j.set("queueId", common::Json::number(m.queue_id));
                  j.set("queueOffset", common::Json::number(m.queue_offset));
                  j.set("reconsumeTimes", common::Json::number(m.reconsume_times));
                  j.set("body", common::Json::string(m.body));
                  std::printf("%s\n", j.dump().c_str());
                } else {
                  std::printf("%-32s  q=%d off=%lld keys=%s tags=%s body=%s\n", m.msg_id.c_str(),
                              m.queue_id, static_cast<long long>(m.queue_offset), m.keys().c_str(),
                              m.tags().c_str(), m.body.substr(0, 60).c_str());
                }
                s.offset = m.queue_offset + 1;
              }
              std::fflush(stdout);
            }
            if (whole_batch) {
              s.offset = std::max(s.offset, r->ext_int("nextBeginOffset").value_or(s.offset));
            }
          } else if (r->code == 19 || r->code == 20) {
            s.offset = r->ext_int("nextBeginOffset").value_or(s.offset);
            if (r->code == 19) {
              s.caught_up = true;
              if (!FLAGS_follow) again = false;
            }
          } else if (r->code == 21) {
            s.offset = r->ext_int("nextBeginOffset").value_or(s.offset);
          } else {
            std::fprintf(stderr, "raftmq consume: %s: code %d %s\n", s.addr.c_str(), r->code,
                         r->remark.value_or("").c_str());
            failed = true;
            again = false;
          }
          if (limit > 0 && printed >= limit) {
            stop = true;
            again = false;
          }
          if (!again) {
            --active;
            cv.notify_all();
            return;
          }
          lock.unlock();
          pull(i);
        });
  };
  {
    std::lock_guard lock(mu);
    active = static_cast<int>(queues.size());
  }
  for (size_t i = 0; i < queues.size(); ++i) pull(i);
  {
    std::unique_lock lock(mu);
    while (active > 0) {
      cv.wait_for(lock, std::chrono::seconds(1));
      lock.unlock();
      for (auto& q : queues) commit(q);
      lock.lock();
    }
  }
  for (auto& q : queues) commit(q);
  client.stop();
  std::fprintf(stderr, "raftmq consume: %lld message(s)\n", static_cast<long long>(printed));
  return failed ? kExitFailed : kExitOk;
}

const Register kConsume("consume", "read --topic as --group (--from, --count, --follow)", consume);

}  // namespace
}  // namespace rmq::tools
