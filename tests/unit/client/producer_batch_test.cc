// The producer's MessageBatch body (PROTOCOL.md §6.4): the exact bytes, and the broker's own
// decoder (store::encode_batch) turning it back into stored records with the same bodies and
// properties.
#include "client/message_codec.h"
#include "client/producer.h"
#include "common/bytes.h"
#include "store/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rmq::client {
namespace {

int32_t be32(const std::string& s, size_t pos) {
  return common::load_be<int32_t>(reinterpret_cast<const uint8_t*>(s.data() + pos));
}
int16_t be16(const std::string& s, size_t pos) {
  return common::load_be<int16_t>(reinterpret_cast<const uint8_t*>(s.data() + pos));
}

Message msg(std::string body, std::string tags, std::string keys) {
  Message m;
  m.topic = "BatchT";
  m.body = std::move(body);
  m.tags = std::move(tags);
  m.keys = std::move(keys);
  return m;
}

TEST(SendProperties, HasTagsKeysUniqKeyWaitAndUserProperties) {
  Message m = msg("b", "TagA", "k1 k2");
  m.delay_level = 3;
  m.properties = {{"color", "red"}};
  EXPECT_EQ(send_properties(m, "U1"), std::string("TAGS\x01TagA\x02KEYS\x01k1 k2\x02"
                                                  "DELAY\x01"
                                                  "3\x02UNIQ_KEY\x01U1\x02"
                                                  "WAIT\x01true\x02"
                                                  "color\x01red\x02"));
  EXPECT_EQ(send_properties(msg("b", "", ""), "U2"),
            std::string("UNIQ_KEY\x01U2\x02WAIT\x01true\x02"));
}

TEST(BatchBody, LaysOutEachMessageAsRocketMqMessageDecoderEncodes) {
  const std::vector<Message> msgs = {msg("hello", "TagA", "k0"), msg("", "", "")};
  auto body = encode_batch_body(msgs, {"U0", "U1"});
  ASSERT_TRUE(body.ok()) << body.status().to_string();
  const std::string& b = *body;
  const std::string p0 = send_properties(msgs[0], "U0");
  const std::string p1 = send_properties(msgs[1], "U1");
  const size_t size0 = 20 + 5 + 2 + p0.size();
  const size_t size1 = 20 + 0 + 2 + p1.size();
  ASSERT_EQ(b.size(), size0 + size1);
  // Entry 0: TOTALSIZE, MAGICCODE 0, BODYCRC 0, FLAG 0, body length, body, props length, props.
  EXPECT_EQ(be32(b, 0), static_cast<int32_t>(size0));
  EXPECT_EQ(be32(b, 4), 0);
  EXPECT_EQ(be32(b, 8), 0);
  EXPECT_EQ(be32(b, 12), 0);
  EXPECT_EQ(be32(b, 16), 5);
  EXPECT_EQ(b.substr(20, 5), "hello");
  EXPECT_EQ(be16(b, 25), static_cast<int16_t>(p0.size()));
  EXPECT_EQ(b.substr(27, p0.size()), p0);
  // Entry 1 follows directly; an empty body has length 0.
  EXPECT_EQ(be32(b, size0), static_cast<int32_t>(size1));
  EXPECT_EQ(be32(b, size0 + 16), 0);
  EXPECT_EQ(be16(b, size0 + 20), static_cast<int16_t>(p1.size()));
  EXPECT_EQ(b.substr(size0 + 22), p1);
}

TEST(BatchBody, TheBrokerDecoderReadsItBack) {
  std::vector<Message> msgs;
  std::vector<std::string> uniq;
  for (int i = 0; i < 5; ++i) {
    msgs.push_back(msg(std::string(static_cast<size_t>(i) * 100, static_cast<char>('a' + i)),
                       i % 2 == 0 ? "Even" : "Odd", "key-" + std::to_string(i)));
    uniq.push_back("UNIQ" + std::to_string(i));
  }
  auto body = encode_batch_body(msgs, uniq);
  ASSERT_TRUE(body.ok()) << body.status().to_string();

  store::MessageInput common_in;
  common_in.topic = "BatchT";
  common_in.queue_id = 2;
  common_in.born_host = *store::HostAddress::parse("127.0.0.1:5555");
  common_in.store_host = *store::HostAddress::parse("127.0.0.1:10911");
  common_in.born_timestamp = 1700000000000;
  auto enc = store::encode_batch(common_in, common::as_bytes(*body), 4 * 1024 * 1024);
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  ASSERT_EQ(enc->count(), msgs.size());
  auto stored = decode_stored_messages(
      enc->view(), {DecodeOptions::Body::kAsStored, DecodeOptions::Crc::kCheck});
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  ASSERT_EQ(stored->size(), msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    const MessageExt& m = (*stored)[i];
    EXPECT_EQ(m.topic, "BatchT");
    EXPECT_EQ(m.queue_id, 2);
    EXPECT_EQ(m.body, msgs[i].body) << i;
    EXPECT_EQ(m.tags(), msgs[i].tags) << i;
    EXPECT_EQ(m.keys(), msgs[i].keys) << i;
    EXPECT_EQ(m.uniq_key(), uniq[i]) << i;
    EXPECT_EQ(m.property("WAIT"), "true") << i;
  }
}

TEST(BatchBody, RejectsWhatRocketMqRejects) {
  EXPECT_FALSE(encode_batch_body({}, {}).ok());
  EXPECT_FALSE(encode_batch_body({msg("x", "", "")}, {}).ok());  // one uniq key per message
  Message other = msg("y", "", "");
  other.topic = "Other";
  EXPECT_FALSE(encode_batch_body({msg("x", "", ""), other}, {"a", "b"}).ok());
  Message delayed = msg("y", "", "");
  delayed.delay_level = 2;
  EXPECT_FALSE(encode_batch_body({delayed}, {"a"}).ok());
  Message retry = msg("y", "", "");
  retry.topic = "%RETRY%G";
  EXPECT_FALSE(encode_batch_body({retry}, {"a"}).ok());
  Message no_topic = msg("y", "", "");
  no_topic.topic.clear();
  EXPECT_FALSE(encode_batch_body({no_topic}, {"a"}).ok());
  Message big = msg("y", "", "");
  big.properties = {{"p", std::string(40000, 'v')}};
  EXPECT_FALSE(encode_batch_body({big}, {"a"}).ok());
}

}  // namespace
}  // namespace rmq::client
