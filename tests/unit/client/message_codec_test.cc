#include "client/message_codec.h"

#include "common/bytes.h"
#include "common/crc32.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace rmq::client {
namespace {

struct Record {
  int32_t magic = kMessageMagicV1;
  int32_t queue_id = 3;
  int32_t flag = 7;
  int64_t queue_offset = 42;
  int64_t physical_offset = 0x1234;
  int32_t sys_flag = 0;
  int64_t born_ts = 1700000000000;
  std::vector<uint8_t> born_ip = {10, 0, 0, 5};
  int32_t born_port = 50001;
  int64_t store_ts = 1700000000123;
  std::vector<uint8_t> store_ip = {192, 168, 1, 20};
  int32_t store_port = 10911;
  int32_t reconsume = 2;
  std::string body = "hello";
  std::string topic = "TopicA";
  std::string props =
      "KEYS\x01k1 k2\x02TAGS\x01TagA\x02UNIQ_KEY\x01"
      "ABC\x02";
};

// Hand-built per PROTOCOL.md §6.1, field by field.
common::Buffer build(const Record& r) {
  common::Buffer b;
  b.put_i32(0);  // TOTALSIZE, patched below
  b.put_i32(r.magic);
  b.put_u32(common::crc32(common::as_bytes(r.body)) & 0x7FFFFFFFu);
  b.put_i32(r.queue_id);
  b.put_i32(r.flag);
  b.put_i64(r.queue_offset);
  b.put_i64(r.physical_offset);
  b.put_i32(r.sys_flag);
  b.put_i64(r.born_ts);
  b.put_bytes(r.born_ip.data(), r.born_ip.size());
  b.put_i32(r.born_port);
  b.put_i64(r.store_ts);
  b.put_bytes(r.store_ip.data(), r.store_ip.size());
  b.put_i32(r.store_port);
  b.put_i32(r.reconsume);
  b.put_i64(0);  // prepared transaction offset
  b.put_i32(static_cast<int32_t>(r.body.size()));
  b.put_string(r.body);
  if (r.magic == kMessageMagicV1) {
    b.put_u8(static_cast<uint8_t>(r.topic.size()));
  } else {
    b.put_i16(static_cast<int16_t>(r.topic.size()));
  }
  b.put_string(r.topic);
  b.put_i16(static_cast<int16_t>(r.props.size()));
  b.put_string(r.props);
  b.patch_be<int32_t>(0, static_cast<int32_t>(b.size()));
  return b;
}

TEST(ClientMessageCodecTest, DecodesHandBuiltRecord) {
  const Record rec;
  const common::Buffer bytes = build(rec);
  size_t used = 0;
  auto m = decode_stored_message(bytes.view(), &used,
                                 {DecodeOptions::Body::kInflate, DecodeOptions::Crc::kCheck});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(used, bytes.size());
  EXPECT_EQ(m->store_size, static_cast<int32_t>(bytes.size()));
  EXPECT_EQ(m->topic, "TopicA");
  EXPECT_EQ(m->queue_id, 3);
  EXPECT_EQ(m->flag, 7);
  EXPECT_EQ(m->queue_offset, 42);
  EXPECT_EQ(m->commit_log_offset, 0x1234);
  EXPECT_EQ(m->born_timestamp, 1700000000000);
  EXPECT_EQ(m->store_timestamp, 1700000000123);
  EXPECT_EQ(m->born_host, "10.0.0.5:50001");
  EXPECT_EQ(m->store_host, "192.168.1.20:10911");
  EXPECT_EQ(m->reconsume_times, 2);
  EXPECT_EQ(m->body, "hello");
  EXPECT_EQ(m->tags(), "TagA");
  EXPECT_EQ(m->keys(), "k1 k2");
  EXPECT_EQ(m->uniq_key(), "ABC");
  EXPECT_EQ(m->property("NOPE"), "");
  // §7: C0A80114 (192.168.1.20) 00002A9F (10911) 0000000000001234.
  EXPECT_EQ(m->msg_id, "C0A8011400002A9F0000000000001234");
}

TEST(ClientMessageCodecTest, ConcatenatedV2AndIpv6) {
  Record a;
  Record c;
  c.magic = kMessageMagicV2;
  c.topic = std::string(200, 't');
  c.sys_flag = kSysFlagStoreHostV6;
  c.store_ip.assign(16, 0);
  c.store_ip[15] = 1;  // ::1
  c.physical_offset = 99;
  c.props = "";
  common::Buffer both = build(a);
  both.put_bytes(build(c).view());
  auto ms = decode_stored_messages(both.view());
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->size(), 2u);
  EXPECT_EQ((*ms)[1].topic, c.topic);
  EXPECT_EQ((*ms)[1].store_host, "[::1]:10911");
  EXPECT_EQ((*ms)[1].msg_id.size(), 56u);
  EXPECT_TRUE((*ms)[1].properties.empty());
  auto parts = parse_msg_id((*ms)[1].msg_id);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->address, "[::1]:10911");
  EXPECT_EQ(parts->offset, 99);
  auto none = decode_stored_messages({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ClientMessageCodecTest, InflatesCompressedBody) {
  Record rec;
  const std::string plain(5000, 'x');
  uLongf n = compressBound(static_cast<uLong>(plain.size()));
  std::string packed(n, '\0');
  ASSERT_EQ(
      compress2(reinterpret_cast<Bytef*>(packed.data()), &n,
                reinterpret_cast<const Bytef*>(plain.data()), static_cast<uLong>(plain.size()), 5),
      Z_OK);
  packed.resize(n);
  rec.body = packed;
  rec.sys_flag = kSysFlagCompressed;
  const common::Buffer bytes = build(rec);
  auto m = decode_stored_message(bytes.view());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->body, plain);
  auto raw = decode_stored_message(bytes.view(), nullptr, {DecodeOptions::Body::kAsStored});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->body, packed);
  rec.body = "not zlib";
  EXPECT_FALSE(decode_stored_message(build(rec).view()).ok());
}

TEST(ClientMessageCodecTest, RejectsDamagedRecords) {
  const common::Buffer good = build(Record{});
  // Every truncation fails (the size field then exceeds what is there).
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_stored_message(good.view().first(n)).ok()) << n;
  }
  common::Buffer bad_magic = good;
  bad_magic.patch_be<int32_t>(4, 0x12345678);
  EXPECT_EQ(decode_stored_message(bad_magic.view()).status().code(), common::Code::kCorruption);
  common::Buffer bad_crc = good;
  bad_crc.patch_be<uint32_t>(8, 1);
  EXPECT_TRUE(decode_stored_message(bad_crc.view()).ok());  // CRC ignored by default
  EXPECT_FALSE(decode_stored_message(bad_crc.view(), nullptr,
                                     {DecodeOptions::Body::kInflate, DecodeOptions::Crc::kCheck})
                   .ok());
  common::Buffer long_size = good;  // TOTALSIZE one larger than the fields: inconsistent
  long_size.put_u8(0);
  long_size.patch_be<int32_t>(0, static_cast<int32_t>(long_size.size()));
  EXPECT_FALSE(decode_stored_message(long_size.view()).ok());
  common::Buffer trailing = good;  // a second record cut short
  trailing.put_bytes(good.view().first(20));
  EXPECT_FALSE(decode_stored_messages(trailing.view()).ok());
}

TEST(ClientMessageCodecTest, MsgIdParseAndMake) {
  auto p = parse_msg_id("0A00000500002A9F000000000000FFFF");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->address, "10.0.0.5:10911");
  EXPECT_EQ(p->offset, 0xFFFF);
  auto lower = parse_msg_id("7f00000100002a9f0000000000000001");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->address, "127.0.0.1:10911");
  const uint8_t ip[] = {10, 0, 0, 5};
  EXPECT_EQ(make_msg_id(common::ByteView(ip, 4), 10911, 0xFFFF),
            "0A00000500002A9F000000000000FFFF");
  for (std::string_view bad :
       {"", "0A000005", "ZZ00000500002A9F000000000000FFFF", "0A00000500002A9F000000000000FFFF00",
        "0A00000500000000000000000000FFFF"}) {  // port 0
    EXPECT_FALSE(parse_msg_id(bad).ok()) << bad;
  }
}

TEST(ClientMessageCodecTest, PropertiesRoundTrip) {
  const std::map<std::string, std::string> props = {{"KEYS", "a b"}, {"TAGS", "T"}};
  const std::string text = encode_message_properties(props);
  EXPECT_EQ(text,
            "KEYS\x01"
            "a b\x02TAGS\x01T\x02");
  EXPECT_EQ(parse_message_properties(text), props);
  EXPECT_EQ(parse_message_properties("KEYS\x01"
                                     "a b\x02TAGS\x01T"),
            props);  // no trailing sep
  EXPECT_TRUE(parse_message_properties("").empty());
}

}  // namespace
}  // namespace rmq::client
