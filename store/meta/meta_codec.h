// Encodings of MetaBatch op keys and values, shared by the RocksDB meta store and the broker's
// replicated metadata entries. Topic and group configs are JSON objects with RocketMQ's field
// names (as in topics.json / subscriptionGroup.json); offsets are decimal text. Pure functions,
// thread-safe. Decoders never throw; malformed input yields a Corruption status.
#pragma once

#include "common/result.h"
#include "store/meta/meta_store.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace rmq::store {

// {"topicName":..,"readQueueNums":..,"writeQueueNums":..,"perm":..,"topicFilterType":..,
//  "topicSysFlag":..,"order":..}. Decoding accepts any member order and fills absent members
// (except topicName) with TopicConfig's defaults, as fastjson does.
std::string encode_topic_config(const TopicConfig& t);
[[nodiscard]] common::Result<TopicConfig> decode_topic_config(std::string_view json);

// {"groupName":..,"consumeEnable":..,"consumeFromMinEnable":..,"consumeBroadcastEnable":..,
//  "retryQueueNums":..,"retryMaxTimes":..,"brokerId":..,"whichBrokerWhenConsumeSlowly":..,
//  "notifyConsumerIdsChangedEnable":..}. Same leniency as decode_topic_config.
std::string encode_subscription_group_config(const SubscriptionGroupConfig& g);
[[nodiscard]] common::Result<SubscriptionGroupConfig> decode_subscription_group_config(
    std::string_view json);

// Offset op key: <group> 0x00 <topic> 0x00 <queue_id as 4-byte big-endian>. Names must not
// contain 0x00 (RocketMQ names are [%|a-zA-Z0-9_-]+); decode rejects such keys.
std::string encode_offset_key(const OffsetKey& key);
[[nodiscard]] common::Result<OffsetKey> decode_offset_key(std::string_view bytes);

// Offset op value: the offset in decimal ("1234"); decode requires the whole text to be a number.
std::string encode_offset_value(int64_t offset);
[[nodiscard]] common::Result<int64_t> decode_offset_value(std::string_view text);

}  // namespace rmq::store
