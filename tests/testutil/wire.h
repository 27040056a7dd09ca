// Broker requests as the integration tests send them with the remoting client: SEND_MESSAGE_V2,
// PULL_MESSAGE with the body decoded, and the consumer-offset requests. Answers come back as
// received; what a test checks on them stays in the test. Blocking; any thread.
#pragma once

#include "remoting/client.h"
#include "remoting/remoting_command.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rmq::testutil {

// One SEND_MESSAGE_V2 (310), producer group "PG", default topic TBW102.
struct SendSpec {
  std::string topic;
  std::string body;
  int queue = 0;
  std::string tags;        // the TAGS property when not empty
  std::string keys;        // the KEYS property when not empty
  std::string properties;  // further properties (store::append_property form), before TAGS/KEYS
  int default_topic_queues = 4;
  int reconsume_times = 0;
  std::optional<int> max_reconsume_times;  // field "l" only when set
};

struct SendResult {
  int32_t code = -1;  // -1: no answer (remark says why)
  std::string remark;
  // From an answer that carries a msgId (any code): msgId, queueId and queueOffset.
  std::string msg_id;
  int32_t queue = -1;
  int64_t queue_offset = -1;
  std::map<std::string, std::string> ext;  // every ext field of the answer
  // The commit-log offset in msg_id; -1 when there is none.
  int64_t phys() const;
  // ext field `key` of the answer; "" when absent.
  std::string ext_value(const std::string& key) const;
};

SendResult send_message(remoting::Client& client, const std::string& addr, const SendSpec& m,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

// One PULL_MESSAGE (11) of at most 32 messages, commitOffset 0.
struct PullSpec {
  std::string group;
  std::string topic;
  int queue = 0;
  int64_t offset = 0;
  std::string subscription = "*";
  int32_t sys_flag = 4;  // 4: subscription given; | 2: suspend (long polling)
  int64_t suspend_ms = 0;
};

struct PulledMessage {
  int64_t queue_offset = -1;
  int64_t phys = -1;
  int32_t reconsume_times = 0;
  std::string keys;  // the KEYS property ("" when absent)
  std::string tags;  // the TAGS property ("" when absent)
  std::string body;
  std::string properties;
};

struct PullResult {
  int32_t code = -1;  // -1: no answer (remark says why)
  std::string remark;
  int64_t next = -1;                       // nextBeginOffset; -1 when absent
  std::map<std::string, std::string> ext;  // every ext field of the answer
  std::vector<PulledMessage> msgs;
  // Set when the body holds an undecodable message; msgs then has the ones before it.
  std::string decode_error;
};

PullResult pull_message(remoting::Client& client, const std::string& addr, const PullSpec& p,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Pulls from p.offset on while the answers are SUCCESS or PULL_RETRY_IMMEDIATELY (20), at most
// 1000 pulls, each from where the last one ended; stops at an undecodable message. Every message,
// with the last answer's code, remark and ext; `next` is where a further pull would start. `each`
// (when set) sees every answer.
PullResult drain_queue(remoting::Client& client, const std::string& addr, PullSpec p,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30),
                       const std::function<void(const PullResult&)>& each = nullptr);

// UPDATE_CONSUMER_OFFSET (15) and QUERY_CONSUMER_OFFSET (14) of (group, topic, queue).
remoting::RemotingCommand update_offset_request(const std::string& group, const std::string& topic,
                                                int queue, int64_t offset);
remoting::RemotingCommand query_offset_request(const std::string& group, const std::string& topic,
                                               int queue);

}  // namespace rmq::testutil
