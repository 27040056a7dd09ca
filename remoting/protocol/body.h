// Small request/response bodies of Java's remoting.protocol.body package that more than one of
// broker, client and NameServer speak: KVTable, TopicList, ConsumerListByGroupResponseBody and
// the LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies (PROTOCOL.md §3.2-§4). Encoders write fastjson's
// layout (members in alphabetical order); decoders tolerate unknown members and take integers as
// numbers or numeric strings. Pure functions and value types; thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "remoting/protocol/message_queue.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace rmq::remoting::protocol {

// KVTable (GET_BROKER_RUNTIME_INFO, 28; the NameServer's KV config lists): {"table":{"k":"v"}}.
// The decoder keeps a non-string value as its JSON text.
std::string encode_kv_table(const std::map<std::string, std::string>& table);
[[nodiscard]] common::Result<std::map<std::string, std::string>> parse_kv_table(
    common::ByteView body);

// TopicList (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER): {"topicList":["a","b"]}.
std::string encode_topic_list(const std::vector<std::string>& topics);
[[nodiscard]] common::Result<std::vector<std::string>> parse_topic_list(common::ByteView body);

// ConsumerListByGroupResponseBody (GET_CONSUMER_LIST_BY_GROUP, 38): {"consumerIdList":["a","b"]}.
// A missing or null list is empty.
std::string encode_consumer_id_list(const std::vector<std::string>& ids);
[[nodiscard]] common::Result<std::vector<std::string>> parse_consumer_id_list(
    common::ByteView body);

// LockBatchRequestBody (LOCK_BATCH_MQ, 41); UnlockBatchRequestBody (42) has the same shape.
struct LockBatchRequestBody {
  std::string consumer_group;
  std::string client_id;
  bool only_this_broker = false;
  std::set<MessageQueue> mq_set;
  friend bool operator==(const LockBatchRequestBody&, const LockBatchRequestBody&) = default;
};
// {"clientId":..,"consumerGroup":..,"mqSet":[{"brokerName","queueId","topic"}],
//  "onlyThisBroker":false}; consumerGroup and clientId are required.
std::string encode_lock_batch_request(const LockBatchRequestBody& req);
[[nodiscard]] common::Result<LockBatchRequestBody> parse_lock_batch_request(common::ByteView body);
[[nodiscard]] common::Result<LockBatchRequestBody> parse_unlock_batch_request(
    common::ByteView body);

// LockBatchResponseBody: {"lockOKMQSet":[{"brokerName","queueId","topic"}]}.
std::string encode_lock_batch_response(const std::set<MessageQueue>& locked);
[[nodiscard]] common::Result<std::set<MessageQueue>> parse_lock_batch_response(
    common::ByteView body);

}  // namespace rmq::remoting::protocol
