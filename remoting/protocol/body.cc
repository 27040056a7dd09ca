#include "remoting/protocol/body.h"

#include "remoting/protocol/fastjson.h"

namespace rmq::remoting::protocol {
namespace {

using common::Json;
using common::Result;
using common::Status;

// {"<key>":["a","b"]}
std::string encode_string_list(std::string_view key, const std::vector<std::string>& items) {
  std::string out;
  ObjectWriter(out).strings(key, items).end();
  return out;
}

Result<std::vector<std::string>> parse_string_list(common::ByteView body, std::string_view key,
                                                   const std::string& what) {
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json_object(body, what));
  std::vector<std::string> out;
  RMQ_RETURN_IF_ERROR(read_string_array(root, key, what, &out));
  return out;
}

Result<LockBatchRequestBody> parse_lock_body(common::ByteView body, const std::string& what) {
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json_object(body, what));
  LockBatchRequestBody req;
  RMQ_RETURN_IF_ERROR(read_string(root, "consumerGroup", what, &req.consumer_group));
  RMQ_RETURN_IF_ERROR(read_string(root, "clientId", what, &req.client_id));
  RMQ_RETURN_IF_ERROR(read_bool(root, "onlyThisBroker", what, &req.only_this_broker));
  if (req.consumer_group.empty()) return Status::invalid_argument(what + ".consumerGroup: missing");
  if (req.client_id.empty()) return Status::invalid_argument(what + ".clientId: missing");
  RMQ_ASSIGN_OR_RETURN(req.mq_set, read_message_queue_set(root, "mqSet", what));
  return req;
}

}  // namespace

std::string encode_kv_table(const std::map<std::string, std::string>& table) {
  std::string out;
  ObjectWriter(out).string_map("table", table, &append_string).end();
  return out;
}

Result<std::map<std::string, std::string>> parse_kv_table(common::ByteView body) {
  const std::string what = "KVTable";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json_object(body, what));
  std::map<std::string, std::string> out;
  const Json* table = root.find("table");
  if (table == nullptr || table->is_null()) return out;
  if (!table->is_object()) return Status::invalid_argument(what + ".table: expected an object");
  for (const auto& [k, v] : table->members()) out[k] = v.to_plain_string();
  return out;
}

std::string encode_topic_list(const std::vector<std::string>& topics) {
  return encode_string_list("topicList", topics);
}

Result<std::vector<std::string>> parse_topic_list(common::ByteView body) {
  return parse_string_list(body, "topicList", "TopicList");
}

std::string encode_consumer_id_list(const std::vector<std::string>& ids) {
  return encode_string_list("consumerIdList", ids);
}

Result<std::vector<std::string>> parse_consumer_id_list(common::ByteView body) {
  return parse_string_list(body, "consumerIdList", "ConsumerListByGroupResponseBody");
}

std::string encode_lock_batch_request(const LockBatchRequestBody& req) {
  std::string out;
  ObjectWriter(out)
      .str("clientId", req.client_id)
      .str("consumerGroup", req.consumer_group)
      .array("mqSet", req.mq_set, &append_message_queue)
      .boolean("onlyThisBroker", req.only_this_broker)
      .end();
  return out;
}

Result<LockBatchRequestBody> parse_lock_batch_request(common::ByteView body) {
  return parse_lock_body(body, "LockBatchRequestBody");
}

Result<LockBatchRequestBody> parse_unlock_batch_request(common::ByteView body) {
  return parse_lock_body(body, "UnlockBatchRequestBody");
}

std::string encode_lock_batch_response(const std::set<MessageQueue>& locked) {
  std::string out;
  ObjectWriter(out).array("lockOKMQSet", locked, &append_message_queue).end();
  return out;
}

Result<std::set<MessageQueue>> parse_lock_batch_response(common::ByteView body) {
  const std::string what = "LockBatchResponseBody";
  RMQ_ASSIGN_OR_RETURN(const Json root, parse_json_object(body, what));
  return read_message_queue_set(root, "lockOKMQSet", what);
}

}  // namespace rmq::remoting::protocol
