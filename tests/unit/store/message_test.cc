// Message codec: a golden record derived by hand (FORMAT.md), round trips, corruption handling,
// batch expansion, properties, Java-compatible tag hash codes and msgIds.
#include "store/message.h"

#include "common/bytes.h"
#include "common/random.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace rmq::store {
namespace {

constexpr size_t kMax = 4 * 1024 * 1024;

// Derived independently of the encoder (python3 struct + zlib.crc32) from FORMAT.md: topic
// "TopicTest", queue 3, flag 7, sysflag 0, born 1700000000000 from 10.0.0.1:54321, store host
// 127.0.0.1:10911, body "Hello", properties "TAGS\1TagA\2KEYS\1k1 k2\2", stamped with queue offset
// 5, physical offset 4096 and store timestamp 1700000000123. 126 bytes.
constexpr std::string_view kGoldenHex =
    "0000007E"          // TOTALSIZE 126
    "DAA320A7"          // MAGICCODE v1
    "77D18982"          // BODYCRC crc32("Hello") & 0x7FFFFFFF
    "00000003"          // QUEUEID
    "00000007"          // FLAG
    "0000000000000005"  // QUEUEOFFSET
    "0000000000001000"  // PHYSICALOFFSET
    "00000000"          // SYSFLAG
    "0000018BCFE56800"  // BORNTIMESTAMP
    "0A000001"
    "0000D431"          // BORNHOST 10.0.0.1:54321
    "0000018BCFE5687B"  // STORETIMESTAMP
    "7F000001"
    "00002A9F"          // STOREHOST 127.0.0.1:10911
    "00000000"          // RECONSUMETIMES
    "0000000000000000"  // PREPAREDTRANSACTIONOFFSET
    "00000005"
    "48656C6C6F"  // BODY
    "09"
    "546F70696354657374"  // TOPIC
    "0015"
    "544147530154616741024B455953016B31206B3202";  // PROPERTIES

// Properties written readably: '=' stands for \x01 and ';' for \x02.
std::string kv(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '=') c = '\x01';
    if (c == ';') c = '\x02';
  }
  return out;
}

HostAddress host(std::string_view s) {
  auto h = HostAddress::parse(s);
  EXPECT_TRUE(h.has_value()) << s;
  return h.value_or(HostAddress{});
}

struct Sample {
  std::string body = "Hello";
  MessageInput in;
  Sample() {
    in.topic = "TopicTest";
    in.queue_id = 3;
    in.flag = 7;
    in.born_timestamp = 1700000000000;
    in.born_host = host("10.0.0.1:54321");
    in.store_host = host("127.0.0.1:10911");
    in.body = common::as_bytes(body);
    in.properties = kv("TAGS=TagA;KEYS=k1 k2;");
  }
};

// Encodes and stamps one message; returns its record bytes.
std::vector<uint8_t> encode_stamped(const MessageInput& in, int64_t queue_offset = 5,
                                    int64_t phys = 4096, int64_t store_ts = 1700000000123) {
  auto enc = encode_message(in, kMax);
  EXPECT_TRUE(enc.ok()) << enc.status();
  if (!enc.ok()) return {};
  EXPECT_EQ(enc->count(), 1u);
  std::vector<uint8_t> rec(enc->bytes.begin(), enc->bytes.end());
  stamp_record(rec.data(), queue_offset, phys, store_ts, enc->store_ts_pos[0]);
  return rec;
}

common::ByteView view(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

TEST(MessageTest, GoldenRecordByteForByte) {
  Sample s;
  auto enc = encode_message(s.in, kMax);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(enc->topic, "TopicTest");
  EXPECT_EQ(enc->queue_id, 3);
  ASSERT_EQ(enc->count(), 1u);
  EXPECT_EQ(enc->record_sizes[0], 126u);
  EXPECT_EQ(enc->store_ts_pos[0], 56u);
  std::vector<uint8_t> rec(enc->bytes.begin(), enc->bytes.end());
  stamp_record(rec.data(), 5, 4096, 1700000000123, enc->store_ts_pos[0]);
  EXPECT_EQ(common::to_hex_upper(view(rec)), kGoldenHex);
}

TEST(MessageTest, DecodeGolden) {
  std::vector<uint8_t> rec;
  ASSERT_TRUE(common::from_hex(kGoldenHex, &rec));
  auto m = decode_message(view(rec), /*check_crc=*/true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->total_size, 126);
  EXPECT_EQ(m->magic, kMessageMagicV1);
  EXPECT_EQ(m->body_crc, 0x77D18982u);
  EXPECT_EQ(m->queue_id, 3);
  EXPECT_EQ(m->flag, 7);
  EXPECT_EQ(m->queue_offset, 5);
  EXPECT_EQ(m->physical_offset, 4096);
  EXPECT_EQ(m->sys_flag, 0);
  EXPECT_EQ(m->born_timestamp, 1700000000000);
  EXPECT_EQ(m->born_host.to_string(), "10.0.0.1:54321");
  EXPECT_EQ(m->store_timestamp, 1700000000123);
  EXPECT_EQ(m->store_host, host("127.0.0.1:10911"));
  EXPECT_EQ(m->reconsume_times, 0);
  EXPECT_EQ(m->prepared_transaction_offset, 0);
  EXPECT_EQ(common::as_string_view(m->body), "Hello");
  EXPECT_EQ(m->topic, "TopicTest");
  EXPECT_EQ(find_property(m->properties, prop::kTags), "TagA");
  EXPECT_EQ(find_property(m->properties, prop::kKeys), "k1 k2");
  // Extra bytes after the record are not part of it.
  rec.resize(rec.size() + 10, 0xEE);
  EXPECT_TRUE(decode_message(view(rec), true).ok());
}

TEST(MessageTest, RoundTripIpv6HostsAndAllFields) {
  Sample s;
  s.in.born_host = host("[::1]:1234");
  s.in.store_host = host("[fe80::1:2]:10911");
  s.in.sys_flag = sysflag::kMultiTags | sysflag::kTransactionCommit;
  s.in.reconsume_times = 4;
  s.in.prepared_transaction_offset = 77;
  auto enc = encode_message(s.in, kMax);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->record_sizes[0], 126u + 24u);
  EXPECT_EQ(enc->store_ts_pos[0], 68u);
  std::vector<uint8_t> rec(enc->bytes.begin(), enc->bytes.end());
  stamp_record(rec.data(), 9, 1 << 20, 42, enc->store_ts_pos[0]);
  auto m = decode_message(view(rec), true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->sys_flag, sysflag::kMultiTags | sysflag::kTransactionCommit | sysflag::kBornHostV6 |
                             sysflag::kStoreHostV6);
  EXPECT_EQ(m->born_host, s.in.born_host);
  EXPECT_EQ(m->store_host, s.in.store_host);
  EXPECT_EQ(m->born_host.to_string(), "[::1]:1234");
  EXPECT_EQ(m->store_host.to_string(), "[fe80::1:2]:10911");
  EXPECT_EQ(m->queue_offset, 9);
  EXPECT_EQ(m->physical_offset, 1 << 20);
  EXPECT_EQ(m->store_timestamp, 42);
  EXPECT_EQ(m->reconsume_times, 4);
  EXPECT_EQ(m->prepared_transaction_offset, 77);
  EXPECT_EQ(m->topic, "TopicTest");
  EXPECT_EQ(m->properties, s.in.properties);

  // Mixed: IPv6 born host, IPv4 store host.
  s.in.store_host = host("127.0.0.1:10911");
  auto mixed = encode_message(s.in, kMax);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->store_ts_pos[0], 68u);
  auto m2 = decode_message(mixed->view(), true);
  ASSERT_TRUE(m2.ok()) << m2.status();
  EXPECT_EQ(m2->sys_flag & (sysflag::kBornHostV6 | sysflag::kStoreHostV6), sysflag::kBornHostV6);
  EXPECT_EQ(m2->store_host, s.in.store_host);
}

TEST(MessageTest, HostBitsFollowTheAddressesNotTheInput) {
  Sample s;
  s.in.sys_flag = sysflag::kBornHostV6 | sysflag::kStoreHostV6 | sysflag::kCompressed;
  auto m = decode_message(view(encode_stamped(s.in)), true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->sys_flag, sysflag::kCompressed);
}

TEST(MessageTest, EmptyBodyAndProperties) {
  Sample s;
  s.in.body = {};
  s.in.properties.clear();
  auto enc = encode_message(s.in, kMax);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->record_sizes[0], 91u + 9u);
  auto m = decode_message(enc->view(), true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->body.empty());
  EXPECT_TRUE(m->properties.empty());
}

TEST(MessageTest, DecodesMagicV2WithTwoByteTopicLength) {
  std::vector<uint8_t> v1;
  ASSERT_TRUE(common::from_hex(kGoldenHex, &v1));
  // Rebuild as v2: magic, 2-byte topic length, total size + 1.
  const size_t topic_len_pos = 126 - 2 - 21 - 9 - 1;
  std::vector<uint8_t> v2(v1.begin(), v1.begin() + static_cast<ptrdiff_t>(topic_len_pos));
  v2.push_back(0x00);
  v2.insert(v2.end(), v1.begin() + static_cast<ptrdiff_t>(topic_len_pos), v1.end());
  common::store_be<int32_t>(v2.data(), 127);
  common::store_be<int32_t>(v2.data() + 4, kMessageMagicV2);
  auto m = decode_message(view(v2), true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->magic, kMessageMagicV2);
  EXPECT_EQ(m->topic, "TopicTest");
  EXPECT_EQ(find_property(m->properties, prop::kTags), "TagA");
}

TEST(MessageTest, CrcMismatchDetected) {
  std::vector<uint8_t> rec;
  ASSERT_TRUE(common::from_hex(kGoldenHex, &rec));
  rec[126 - 2 - 21 - 9 - 1 - 1] ^= 0x01;  // last body byte: 'o' -> 'n'
  auto m = decode_message(view(rec), /*check_crc=*/true);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), common::Code::kCorruption);
  EXPECT_NE(m.status().message().find("CRC"), std::string_view::npos);
  EXPECT_TRUE(decode_message(view(rec), /*check_crc=*/false).ok());
  EXPECT_EQ(probe_record(view(rec), true).kind, RecordProbe::Kind::kCorrupt);
  EXPECT_EQ(probe_record(view(rec), false).kind, RecordProbe::Kind::kMessage);
}

TEST(MessageTest, EveryTruncationIsCorruptionOrEnd) {
  std::vector<uint8_t> rec;
  ASSERT_TRUE(common::from_hex(kGoldenHex, &rec));
  for (size_t len = 0; len < rec.size(); ++len) {
    // Copy so that ASan sees reads past `len`.
    std::vector<uint8_t> cut(rec.begin(), rec.begin() + static_cast<ptrdiff_t>(len));
    auto m = decode_message(view(cut), true);
    ASSERT_FALSE(m.ok()) << len;
    EXPECT_EQ(m.status().code(), common::Code::kCorruption) << len;
    const RecordProbe p = probe_record(view(cut), true);
    if (len < 4) {
      EXPECT_EQ(p.kind, RecordProbe::Kind::kEnd) << len;
    } else {
      EXPECT_EQ(p.kind, RecordProbe::Kind::kCorrupt) << len;
      EXPECT_FALSE(p.error.empty());
    }
  }
  // A record whose size field is consistent but whose fields were cut by a smaller size.
  for (int32_t size = 1; size < 126; ++size) {
    std::vector<uint8_t> r = rec;
    common::store_be<int32_t>(r.data(), size);
    EXPECT_FALSE(decode_message(view(r), true).ok()) << size;
  }
  std::vector<uint8_t> bigger = rec;
  bigger.push_back(0);
  common::store_be<int32_t>(bigger.data(), 127);
  auto m = decode_message(view(bigger), false);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), common::Code::kCorruption);
}

TEST(MessageTest, SeededMutationsNeverCrash) {
  Sample s;
  s.in.born_host = host("[::1]:1");
  std::vector<uint8_t> base = encode_stamped(Sample().in);
  const std::vector<uint8_t> second = encode_stamped(s.in);
  base.insert(base.end(), second.begin(), second.end());
  common::Random rnd(20240601);
  int decoded_ok = 0;
  for (int i = 0; i < 10000; ++i) {
    std::vector<uint8_t> m = base;
    const int flips = static_cast<int>(rnd.uniform(1, 4));
    for (int f = 0; f < flips; ++f) {
      const auto pos = static_cast<size_t>(rnd.uniform(0, static_cast<int64_t>(m.size()) - 1));
      if (rnd.chance(0.5)) {
        m[pos] = static_cast<uint8_t>(rnd.next_u64());
      } else {
        m[pos] ^= static_cast<uint8_t>(1u << rnd.uniform(0, 7));
      }
    }
    if (rnd.chance(0.3))
      m.resize(static_cast<size_t>(rnd.uniform(0, static_cast<int64_t>(m.size()))));
    for (const bool crc : {true, false}) {
      auto d = decode_message(view(m), crc);
      if (d.ok()) {
        ++decoded_ok;
        ASSERT_LE(static_cast<size_t>(d->total_size), m.size());
        ASSERT_GE(d->body.data(), m.data());
        ASSERT_LE(d->body.data() + d->body.size(), m.data() + m.size());
        ASSERT_GE(reinterpret_cast<const uint8_t*>(d->properties.data()), m.data());
        ASSERT_LE(reinterpret_cast<const uint8_t*>(d->properties.data() + d->properties.size()),
                  m.data() + m.size());
        (void)parse_properties(d->properties);
        (void)tags_hash_code(find_property(d->properties, prop::kTags).value_or(""));
        (void)make_msg_id(d->store_host, d->physical_offset);
      } else {
        ASSERT_EQ(d.status().code(), common::Code::kCorruption);
      }
      const RecordProbe p = probe_record(view(m), crc);
      if (p.kind == RecordProbe::Kind::kMessage || p.kind == RecordProbe::Kind::kBlank) {
        ASSERT_GT(p.size, 0u);
        ASSERT_LE(p.size, m.size());
      }
    }
  }
  EXPECT_GT(decoded_ok, 0);  // flips in non-length fields still decode without the CRC check
}

TEST(MessageTest, ProbeBlankZeroAndMessage) {
  std::vector<uint8_t> area(64, 0);
  EXPECT_EQ(probe_record(view(area), true).kind, RecordProbe::Kind::kEnd);
  EXPECT_EQ(probe_record(common::ByteView(area.data(), 3), true).kind, RecordProbe::Kind::kEnd);
  EXPECT_EQ(probe_record(common::ByteView(), true).kind, RecordProbe::Kind::kEnd);

  write_blank(area.data(), 64);
  EXPECT_EQ(common::to_hex_upper(common::ByteView(area.data(), 8)), "00000040CBD43194");
  RecordProbe p = probe_record(view(area), true);
  EXPECT_EQ(p.kind, RecordProbe::Kind::kBlank);
  EXPECT_EQ(p.size, 64u);
  // The minimum blank record.
  std::vector<uint8_t> tiny(8, 0);
  write_blank(tiny.data(), 8);
  p = probe_record(view(tiny), true);
  EXPECT_EQ(p.kind, RecordProbe::Kind::kBlank);
  EXPECT_EQ(p.size, 8u);
  // A blank record that claims more bytes than there are, or fewer than 8.
  EXPECT_EQ(probe_record(common::ByteView(area.data(), 32), true).kind,
            RecordProbe::Kind::kCorrupt);
  write_blank(area.data(), 4);
  EXPECT_EQ(probe_record(view(area), true).kind, RecordProbe::Kind::kCorrupt);
  // A decode of a blank record is corruption (it is not a message).
  write_blank(area.data(), 64);
  EXPECT_EQ(decode_message(view(area), false).status().code(), common::Code::kCorruption);
  // Garbage size.
  std::vector<uint8_t> junk = {0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4};
  EXPECT_EQ(probe_record(view(junk), true).kind, RecordProbe::Kind::kCorrupt);

  std::vector<uint8_t> rec;
  ASSERT_TRUE(common::from_hex(kGoldenHex, &rec));
  rec.resize(rec.size() + 20, 0);
  p = probe_record(view(rec), true);
  EXPECT_EQ(p.kind, RecordProbe::Kind::kMessage);
  EXPECT_EQ(p.size, 126u);
  EXPECT_EQ(probe_record(common::ByteView(rec.data() + 126, 20), true).kind,
            RecordProbe::Kind::kEnd);
}

// One batch entry as a client encodes it (PROTOCOL.md §6.4).
void put_batch_entry(common::Buffer& b, int32_t flag, std::string_view body,
                     std::string_view props) {
  b.put_i32(static_cast<int32_t>(4 + 4 + 4 + 4 + 4 + body.size() + 2 + props.size()));
  b.put_i32(0);  // magic
  b.put_i32(0);  // body crc
  b.put_i32(flag);
  b.put_i32(static_cast<int32_t>(body.size()));
  b.put_string(body);
  b.put_i16(static_cast<int16_t>(props.size()));
  b.put_string(props);
}

TEST(MessageTest, BatchOfThreeWithMergedProperties) {
  common::Buffer batch;
  put_batch_entry(batch, 1, "one", kv("KEYS=a;UNIQ_KEY=U1;"));
  put_batch_entry(batch, 2, "", kv("TAGS=own;"));
  put_batch_entry(batch, 3, "three", "");
  Sample s;
  s.in.sys_flag = sysflag::kInnerBatch | sysflag::kCompressed;
  s.in.properties = kv("TAGS=common;WAIT=true;");
  auto enc = encode_batch(s.in, batch.view(), kMax);
  ASSERT_TRUE(enc.ok()) << enc.status();
  ASSERT_EQ(enc->count(), 3u);
  EXPECT_EQ(enc->topic, "TopicTest");
  EXPECT_EQ(enc->queue_id, 3);

  struct Want {
    int32_t flag;
    std::string body;
    std::string props;
  };
  const std::vector<Want> want = {
      {1, "one", kv("KEYS=a;UNIQ_KEY=U1;TAGS=common;WAIT=true;")},
      {2, "", kv("TAGS=own;WAIT=true;")},
      {3, "three", kv("TAGS=common;WAIT=true;")},
  };
  std::vector<uint8_t> bytes(enc->bytes.begin(), enc->bytes.end());
  size_t pos = 0;
  for (size_t i = 0; i < 3; ++i) {
    stamp_record(bytes.data() + pos, static_cast<int64_t>(10 + i), static_cast<int64_t>(pos), 99,
                 enc->store_ts_pos[i]);
    auto m = decode_message(common::ByteView(bytes.data() + pos, bytes.size() - pos), true);
    ASSERT_TRUE(m.ok()) << i << ": " << m.status();
    EXPECT_EQ(static_cast<uint32_t>(m->total_size), enc->record_sizes[i]);
    EXPECT_EQ(m->flag, want[i].flag);
    EXPECT_EQ(common::as_string_view(m->body), want[i].body);
    EXPECT_EQ(m->properties, want[i].props) << i;
    EXPECT_EQ(m->topic, "TopicTest");
    EXPECT_EQ(m->queue_id, 3);
    EXPECT_EQ(m->queue_offset, static_cast<int64_t>(10 + i));
    EXPECT_EQ(m->physical_offset, static_cast<int64_t>(pos));
    EXPECT_EQ(m->store_timestamp, 99);
    EXPECT_EQ(m->born_timestamp, 1700000000000);
    EXPECT_EQ(m->born_host, s.in.born_host);
    EXPECT_EQ(m->sys_flag, sysflag::kCompressed);  // no INNER_BATCH on expanded records
    pos += enc->record_sizes[i];
  }
  EXPECT_EQ(pos, bytes.size());
}

TEST(MessageTest, MalformedBatchBodiesRejected) {
  Sample s;
  auto rejects = [&](const common::Buffer& b) {
    auto r = encode_batch(s.in, b.view(), kMax);
    return !r.ok() && r.status().code() == common::Code::kInvalidArgument;
  };
  common::Buffer good;
  put_batch_entry(good, 0, "body", kv("K=V;"));
  ASSERT_TRUE(encode_batch(s.in, good.view(), kMax).ok());

  EXPECT_TRUE(rejects(common::Buffer()));  // empty
  {
    common::Buffer b = good;  // trailing garbage
    b.put_bytes("\x01\x02\x03", 3);
    EXPECT_TRUE(rejects(b));
  }
  {
    common::Buffer b = good;  // a trailing entry cut short
    put_batch_entry(b, 0, "second", "");
    b.resize(b.size() - 1);
    EXPECT_TRUE(rejects(b));
  }
  {
    common::Buffer b = good;  // total size too small / too large / negative
    b.patch_be<int32_t>(0, static_cast<int32_t>(good.size() - 1));
    EXPECT_TRUE(rejects(b));
    b.patch_be<int32_t>(0, static_cast<int32_t>(good.size() + 1));
    EXPECT_TRUE(rejects(b));
    b.patch_be<int32_t>(0, -1);
    EXPECT_TRUE(rejects(b));
  }
  {
    common::Buffer b = good;  // body length negative / past the end
    b.patch_be<int32_t>(16, -5);
    EXPECT_TRUE(rejects(b));
    b.patch_be<int32_t>(16, 1000);
    EXPECT_TRUE(rejects(b));
  }
  {
    common::Buffer b = good;  // properties length negative / past the end
    b.patch_be<int16_t>(24, -1);
    EXPECT_TRUE(rejects(b));
    b.patch_be<int16_t>(24, 5);
    EXPECT_TRUE(rejects(b));
  }
  {
    common::Buffer b = good;  // a bad topic in the header
    MessageInput bad = s.in;
    bad.topic = "bad topic";
    EXPECT_FALSE(encode_batch(bad, b.view(), kMax).ok());
  }
  // Every truncation of a valid two-entry batch is rejected, never crashes.
  common::Buffer two = good;
  put_batch_entry(two, 1, "x", "");
  for (size_t len = 0; len < two.size(); ++len) {
    if (len == good.size()) continue;  // a valid one-entry batch
    std::vector<uint8_t> cut(two.data(), two.data() + len);
    auto r = encode_batch(s.in, common::ByteView(cut.data(), cut.size()), kMax);
    EXPECT_FALSE(r.ok()) << len;
  }
  // Batch larger than the max message size in total (each entry fits).
  common::Buffer many;
  for (int i = 0; i < 10; ++i) put_batch_entry(many, 0, std::string(100, 'x'), "");
  const size_t one_record = 91 + 9 + 100 + s.in.properties.size();
  EXPECT_TRUE(encode_batch(s.in, many.view(), one_record * 10).ok());
  auto over = encode_batch(s.in, many.view(), one_record * 10 - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), common::Code::kInvalidArgument);
  EXPECT_FALSE(encode_batch(s.in, many.view(), one_record - 1).ok());
  // Merged properties over the limit.
  common::Buffer big;
  put_batch_entry(big, 0, "b", std::string(32000, 'p'));
  MessageInput with_props = s.in;
  with_props.properties.clear();
  append_property(with_props.properties, "X", std::string(1000, 'q'));
  auto too_long = encode_batch(with_props, big.view(), kMax);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("properties"), std::string_view::npos);
}

TEST(MessageTest, TopicValidation) {
  Sample s;
  auto code_for = [&](std::string topic) {
    s.in.topic = std::move(topic);
    auto r = encode_message(s.in, kMax);
    return r.ok() ? common::Code::kOk : r.status().code();
  };
  EXPECT_EQ(code_for(""), common::Code::kInvalidArgument);
  EXPECT_EQ(code_for(std::string(127, 't')), common::Code::kOk);
  EXPECT_EQ(code_for(std::string(128, 't')), common::Code::kInvalidArgument);
  s.in.topic = std::string(128, 't');
  EXPECT_NE(encode_message(s.in, kMax).status().message().find("topic too long"),
            std::string_view::npos);
  EXPECT_EQ(code_for("%RETRY%group_1"), common::Code::kOk);
  EXPECT_EQ(code_for("%DLQ%group-1"), common::Code::kOk);
  EXPECT_EQ(code_for("a|b"), common::Code::kOk);
  EXPECT_EQ(code_for("Topic09_-AZaz"), common::Code::kOk);
  for (const char* bad : {"a b", "a.b", "a/b", "a#b", "tópico", "a\nb", "a\x01"}) {
    EXPECT_EQ(code_for(bad), common::Code::kInvalidArgument) << bad;
  }
}

TEST(MessageTest, SizeLimits) {
  Sample s;
  s.in.properties = std::string(32766, 'p') + "\x02";  // exactly the limit, terminated
  EXPECT_TRUE(encode_message(s.in, kMax).ok());
  s.in.properties.insert(0, "p");
  auto r = encode_message(s.in, kMax);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), common::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("properties"), std::string_view::npos);

  Sample t;
  EXPECT_TRUE(encode_message(t.in, 126).ok());
  auto big = encode_message(t.in, 125);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), common::Code::kInvalidArgument);
}

TEST(MessageTest, Properties) {
  using P = std::vector<std::pair<std::string_view, std::string_view>>;
  EXPECT_EQ(parse_properties(""), P{});
  const std::string two = kv("a=1;b=2;");
  EXPECT_EQ(parse_properties(two), (P{{"a", "1"}, {"b", "2"}}));
  // Missing trailing separator, empty keys, empty values and entries without a name separator.
  const std::string odd = kv("a=1;=x;noval;e=;b=2");
  EXPECT_EQ(parse_properties(odd), (P{{"a", "1"}, {"e", ""}, {"b", "2"}}));
  EXPECT_EQ(parse_properties(kv(";;")), P{});
  // A value may contain \x01 after the first separator.
  const std::string nested = kv("k=v=w;");
  EXPECT_EQ(parse_properties(nested), (P{{"k", std::string_view(nested).substr(2, 3)}}));

  const std::string s = kv("TAGS=TagA;KEYS=k1 k2;TAGS=TagB");
  EXPECT_EQ(find_property(s, "KEYS"), "k1 k2");
  EXPECT_EQ(find_property(s, "TAGS"), "TagB");  // last wins, like Java's map
  EXPECT_EQ(find_property(s, "TAG"), std::nullopt);
  EXPECT_EQ(find_property("", "TAGS"), std::nullopt);
  // find_property scans in place; it must agree with parse_properties on every key.
  for (const std::string& str : {two, odd, nested, s, kv(";;")}) {
    for (std::string_view key : {"a", "b", "e", "k", "x", "noval", "", "TAGS", "KEYS", "TAG"}) {
      std::optional<std::string_view> want;
      for (const auto& [k, v] : parse_properties(str)) {
        if (k == key) want = v;
      }
      EXPECT_EQ(find_property(str, key), want) << key;
    }
  }

  std::string built;
  append_property(built, "A", "1");
  append_property(built, "B", "");
  EXPECT_EQ(built, kv("A=1;B=;"));
  std::string unterminated = kv("A=1");
  append_property(unterminated, "B", "2");
  EXPECT_EQ(unterminated, kv("A=1;B=2;"));
}

TEST(MessageTest, TagsHashCodeMatchesJava) {
  // "TagA".hashCode() = 84*31^3 + 97*31^2 + 103*31 + 65.
  EXPECT_EQ(tags_hash_code("TagA"), 84 * 29791 + 97 * 961 + 103 * 31 + 65);
  EXPECT_EQ(tags_hash_code("TagA"), 2598919);
  EXPECT_EQ(tags_hash_code(""), 0);
  EXPECT_EQ(tags_hash_code("a"), 97);
  // "标签" is U+6807 U+7B7E in UTF-16.
  EXPECT_EQ(tags_hash_code("标签"), 0x6807 * 31 + 0x7B7E);
  EXPECT_EQ(tags_hash_code("标签"), 857175);
  // Supplementary character: U+1F600 is the surrogate pair D83D DE00.
  EXPECT_EQ(tags_hash_code("\xF0\x9F\x98\x80x"),
            static_cast<int32_t>((0xD83Du * 31u + 0xDE00u) * 31u + 'x'));
  // Overflow wraps like Java int and stays negative when widened: "polygenelubricants" is a
  // well-known String with hashCode Integer.MIN_VALUE.
  EXPECT_EQ(tags_hash_code("polygenelubricants"), INT32_MIN);
  // "TagA || TagB" style long strings overflow; the value is the int32 result, sign-extended.
  const int64_t h = tags_hash_code("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  EXPECT_GE(h, INT32_MIN);
  EXPECT_LE(h, INT32_MAX);
  // Invalid UTF-8 is hashed as Latin-1 bytes.
  EXPECT_EQ(tags_hash_code("\xFF"
                           "a"),
            0xFF * 31 + 'a');
  EXPECT_EQ(tags_hash_code("\xC0\x80"), 0xC0 * 31 + 0x80);  // overlong NUL
  EXPECT_EQ(tags_hash_code("\xE6\xA0"), 0xE6 * 31 + 0xA0);  // truncated sequence
}

TEST(MessageTest, MsgIdGoldenAndRoundTrip) {
  const HostAddress store = host("127.0.0.1:10911");
  EXPECT_EQ(make_msg_id(store, 4096), "7F00000100002A9F0000000000001000");
  auto parsed = parse_msg_id("7F00000100002A9F0000000000001000");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->first, store);
  EXPECT_EQ(parsed->second, 4096);
  EXPECT_TRUE(parse_msg_id("7f00000100002a9f0000000000001000").has_value());

  const HostAddress v6 = host("[2001:db8::7]:10911");
  const std::string id6 = make_msg_id(v6, 123456789012345);
  EXPECT_EQ(id6.size(), 56u);
  EXPECT_EQ(id6,
            "20010DB8000000000000000000000007"
            "00002A9F"
            "00007048860DDF79");
  auto p6 = parse_msg_id(id6);
  ASSERT_TRUE(p6.has_value());
  EXPECT_EQ(p6->first, v6);
  EXPECT_EQ(p6->second, 123456789012345);

  EXPECT_FALSE(parse_msg_id("").has_value());
  EXPECT_FALSE(parse_msg_id("7F00000100002A9F000000000000100").has_value());    // 31
  EXPECT_FALSE(parse_msg_id("7F00000100002A9F00000000000010000").has_value());  // 33
  EXPECT_FALSE(parse_msg_id("7F00000100002A9F000000000000100G").has_value());
}

TEST(MessageTest, HostAddressParse) {
  auto v4 = HostAddress::parse("1.2.3.4:10911");
  ASSERT_TRUE(v4.has_value());
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->ip[0], 1);
  EXPECT_EQ(v4->ip[3], 4);
  EXPECT_EQ(v4->port, 10911);
  EXPECT_EQ(v4->stored_size(), 8u);
  EXPECT_EQ(v4->to_string(), "1.2.3.4:10911");

  auto v6 = HostAddress::parse("[::1]:10911");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->ip[15], 1);
  EXPECT_EQ(v6->stored_size(), 20u);
  EXPECT_EQ(v6->to_string(), "[::1]:10911");

  for (const char* bad :
       {"", "1.2.3.4", "1.2.3.4:", ":10911", "1.2.3:1", "1.2.3.4:x", "1.2.3.4:70000", "1.2.3.4:-1",
        "::1:10911", "[::1]", "[::1:1", "[1.2.3.4]:1", "host.example:10911", "1.2.3.4:1 "}) {
    EXPECT_FALSE(HostAddress::parse(bad).has_value()) << bad;
  }
  EXPECT_EQ(HostAddress::parse("0.0.0.0:0")->to_string(), "0.0.0.0:0");
}

}  // namespace
}  // namespace rmq::store

namespace rmq::store {
namespace {
TEST(MessageEncodeNormalization, PropertiesAlwaysEndWithTheirSeparator) {
  MessageInput m;
  m.topic = "T";
  m.store_host = *HostAddress::parse("127.0.0.1:1");
  m.born_host = m.store_host;
  m.properties =
      "TAGS\x01"
      "a";  // a client that leaves out the trailing \x02
  auto enc = encode_message(m, 1 << 20);
  ASSERT_TRUE(enc.ok());
  auto view = decode_message(enc->view(), true);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->properties, std::string_view("TAGS\x01"
                                               "a\x02"));
  EXPECT_EQ(find_property(view->properties, "TAGS"), "a");
}
}  // namespace
}  // namespace rmq::store
