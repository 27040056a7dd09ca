// raftmq consume: reads --topic as consumer --group from every queue of the route with the
// PullConsumer (client/pull_consumer.h), one pull chain per queue (long polling once caught up),
// and prints keys, tags, msgId, queue and offset of each message (one JSON object per line with
// --json). A group without a committed offset starts --from first|last|timestamp; offsets are
// committed every second and at the end, never past a message that was not printed. Stops after
// --count messages (unlimited when --count is not given), or when every queue is caught up, unless
// --follow. Exit 1 when a pull failed.
#include "client/pull_consumer.h"
#include "common/clock.h"
#include "common/json.h"
#include "tools/cli.h"

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>

DEFINE_string(from, "first",
              "consume: where a group without an offset starts: first|last|timestamp "
              "(bench --mode=consume: first|last)");
DEFINE_int64(from_timestamp, 0, "consume: epoch ms for --from=timestamp");
DEFINE_bool(follow, false, "consume: keep waiting for new messages");
DEFINE_string(subscription, "*", "consume: tag expression ('*' or 'TagA || TagB')");

namespace rmq::tools {
namespace {

struct QueueState {
  client::QueueRef q;
  int64_t offset = 0;
  bool caught_up = false;
};

void print_message(const client::MessageExt& m) {
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
    std::printf("%-32s  q=%d off=%lld keys=%s tags=%s body=%s\n", m.msg_id.c_str(), m.queue_id,
                static_cast<long long>(m.queue_offset), m.keys().c_str(), m.tags().c_str(),
                m.body.substr(0, 60).c_str());
  }
}

int consume(const std::vector<std::string>&) {
  if (FLAGS_topic.empty()) return fail("consume", "--topic is required");
  // --count is shared with produce (default 1); consume reads everything unless it is given.
  const int64_t limit = gflags::GetCommandLineFlagInfoOrDie("count").is_default ? 0 : FLAGS_count;
  if (FLAGS_from != "first" && FLAGS_from != "last" && FLAGS_from != "timestamp") {
    return fail("consume", "--from must be first, last or timestamp");
  }
  client::PullConsumerOptions o;
  o.namesrv = FLAGS_namesrv;
  o.group = FLAGS_group.empty() ? "raftmq_cli_consumer" : FLAGS_group;
  client::PullConsumer consumer(o, common::SteadyClock::instance());
  consumer.start();
  // Offsets are committed only for a group the user named.
  const bool commit = !FLAGS_group.empty();
  auto subscribed = consumer.fetch_queues(FLAGS_topic);
  if (!subscribed.ok()) return fail("consume", subscribed.status().to_string());

  std::vector<QueueState> queues;
  for (const auto& q : *subscribed) {
    QueueState st;
    st.q = q;
    auto committed = consumer.fetch_offset(q);
    if (!committed.ok()) return fail("consume", committed.status().to_string());
    if (*committed >= 0) {
      st.offset = *committed;
    } else {
      auto start = FLAGS_from == "last"    ? consumer.max_offset(q)
                   : FLAGS_from == "first" ? consumer.min_offset(q)
                                           : consumer.search_offset(q, FLAGS_from_timestamp);
      if (!start.ok()) {
        return fail("consume", "cannot find the start offset of queue " +
                                   std::to_string(q.queue_id) + ": " + start.status().to_string());
      }
      st.offset = *start;
    }
    if (commit) consumer.update_offset(q, st.offset);
    queues.push_back(std::move(st));
  }

  std::mutex mu;
  std::condition_variable cv;
  int64_t printed = 0;
  int active = 0;
  bool stop = false;
  bool failed = false;  // a pull failed: exit 1

  std::function<void(size_t)> pull = [&](size_t i) {
    QueueState& st = queues[i];
    // Long polling only once caught up (the loop continues then only with --follow).
    consumer.pull_async(st.q, st.offset, 32, FLAGS_subscription, /*block=*/st.caught_up,
                        [&, i](common::Result<client::PullResult> r) {
                          QueueState& s = queues[i];
                          std::unique_lock lock(mu);
                          bool again = !stop;
                          if (!r.ok()) {
                            std::fprintf(stderr, "raftmq consume: %s\n",
                                         r.status().to_string().c_str());
                            failed = true;
                            again = false;
                          } else if (r->status == client::PullStatus::kFound) {
                            // Past the batch (nextBeginOffset) only when every message of it was
                            // printed: the offset is committed, and messages cut off by --count
                            // must stay for the next run.
                            bool whole_batch = true;
                            for (const auto& m : r->messages) {
                              if (limit > 0 && printed >= limit) {
                                whole_batch = false;
                                break;
                              }
                              ++printed;
                              print_message(m);
                              s.offset = m.queue_offset + 1;
                            }
                            std::fflush(stdout);
                            if (whole_batch) s.offset = std::max(s.offset, r->next_begin_offset);
                          } else {
                            s.offset = r->next_begin_offset;
                            if (r->status == client::PullStatus::kNoNewMsg) {
                              s.caught_up = true;
                              if (!FLAGS_follow) again = false;
                            }
                          }
                          if (commit) consumer.update_offset(s.q, s.offset);
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
      if (commit) (void)consumer.commit();  // retried every second and at the end
      lock.lock();
    }
  }
  if (commit) {
    if (common::Status st = consumer.commit(); !st.is_ok()) {
      std::fprintf(stderr, "raftmq consume: %s\n", st.to_string().c_str());
    }
  }
  consumer.shutdown();
  std::fprintf(stderr, "raftmq consume: %lld message(s)\n", static_cast<long long>(printed));
  return failed ? kExitFailed : kExitOk;
}

const Register kConsume("consume", "read --topic as --group (--from, --count, --follow)", consume);

}  // namespace
}  // namespace rmq::tools
