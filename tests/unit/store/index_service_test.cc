// IndexService: small files (16 slots, 64 entry positions = 63 entries) so hash chains collide and
// files roll; queries by key, uniq key and time; idempotent re-dispatch; reload, truncation by the
// log end, retention, flush durability (FaultInjectingFileSystem) and the on-disk layout.
#include "common/bytes.h"
#include "store/fault_injecting_file_system.h"
#include "store/file_system.h"
#include "store/index_file.h"
#include "store/message.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace rmq::store {
namespace {

constexpr uint32_t kSlots = 16;
constexpr uint32_t kEntries = 64;  // entry 0 is never used: 63 keys per file
constexpr int64_t kBaseTs = 1'700'000'000'000;
constexpr int32_t kMsgSize = 100;

DispatchRequest req(int64_t offset, std::string keys, std::string uniq = "",
                    int64_t store_ts = kBaseTs, std::string topic = "T") {
  DispatchRequest r;
  r.topic = std::move(topic);
  r.commit_log_offset = offset;
  r.msg_size = kMsgSize;
  r.store_timestamp = store_ts;
  r.keys = std::move(keys);
  r.uniq_key = std::move(uniq);
  return r;
}

using Offsets = std::vector<int64_t>;

class IndexServiceTest : public ::testing::Test {
 protected:
  std::string dir() const { return dir_.file("index"); }
  std::unique_ptr<IndexService> open(FileSystem& fs, uint32_t slots = kSlots,
                                     uint32_t entries = kEntries, int64_t max_offset = INT64_MAX) {
    auto s = std::make_unique<IndexService>(fs, dir(), slots, entries);
    EXPECT_TRUE(s->load(max_offset).is_ok());
    return s;
  }
  std::unique_ptr<IndexService> open(uint32_t slots = kSlots, uint32_t entries = kEntries,
                                     int64_t max_offset = INT64_MAX) {
    return open(posix_file_system(), slots, entries, max_offset);
  }
  std::vector<std::string> files() {
    auto names = posix_file_system().list_dir(dir());
    return names.ok() ? *names : std::vector<std::string>{};
  }
  static Offsets find(const IndexService& s, const std::string& key, uint32_t max = 64,
                      int64_t begin = 0, int64_t end = INT64_MAX, const std::string& topic = "T") {
    return s.query(topic, key, max, begin, end).physical_offsets;
  }
  // n messages at offsets i*kMsgSize, one second apart, each with key "k<i>" and uniq "u<i>".
  static void fill(IndexService& s, int from, int to) {
    for (int i = from; i < to; ++i) {
      s.dispatch(req(int64_t{i} * kMsgSize, "k" + std::to_string(i), "u" + std::to_string(i),
                     kBaseTs + int64_t{i} * 1000));
    }
  }

  testutil::TempDir dir_;
};

TEST_F(IndexServiceTest, EmptyIndex) {
  auto s = open();
  EXPECT_EQ(s->indexed_phy_offset(), 0);
  const QueryOffsetResult r = s->query("T", "k", 10, 0, INT64_MAX);
  EXPECT_TRUE(r.physical_offsets.empty());
  EXPECT_EQ(r.index_last_update_timestamp, 0);
  EXPECT_EQ(r.index_last_update_phy_offset, 0);
  EXPECT_TRUE(s->flush().is_ok());
  EXPECT_EQ(s->delete_expired(1000), 0u);
}

TEST_F(IndexServiceTest, QueryByKeyAndUniqKey) {
  auto s = open();
  s->dispatch(req(0, "k1 k2", "U1"));
  s->dispatch(req(100, "k2", "U2", kBaseTs + 5000));
  s->dispatch(req(200, "", "", kBaseTs + 6000));  // nothing to index
  EXPECT_EQ(find(*s, "k1"), (Offsets{0}));
  EXPECT_EQ(find(*s, "k2"), (Offsets{100, 0}));  // newest first
  EXPECT_EQ(find(*s, "U1"), (Offsets{0}));
  EXPECT_EQ(find(*s, "U2"), (Offsets{100}));
  EXPECT_TRUE(find(*s, "k1 k2").empty());
  EXPECT_TRUE(find(*s, "k3").empty());
  EXPECT_TRUE(find(*s, "k1", 64, 0, INT64_MAX, "Other").empty());  // keys are per topic
  const QueryOffsetResult r = s->query("T", "k2", 10, 0, INT64_MAX);
  EXPECT_EQ(r.index_last_update_timestamp, kBaseTs + 6000);
  EXPECT_EQ(r.index_last_update_phy_offset, 300);
  EXPECT_EQ(s->indexed_phy_offset(), 300);
}

TEST_F(IndexServiceTest, CollidingChainsKeepKeysApart) {
  auto s = open();
  // 60 keys over 16 slots: every slot chain holds several keys.
  fill(*s, 0, 30);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(find(*s, "k" + std::to_string(i)), (Offsets{int64_t{i} * kMsgSize})) << i;
    EXPECT_EQ(find(*s, "u" + std::to_string(i)), (Offsets{int64_t{i} * kMsgSize})) << i;
  }
  // "Aa" and "BB" have the same Java hashCode: the index cannot tell them apart (as in
  // RocketMQ); the broker compares the keys of the messages it reads back.
  s->dispatch(req(3000, "Aa", "", kBaseTs + 40000));
  s->dispatch(req(3100, "BB", "", kBaseTs + 41000));
  EXPECT_EQ(find(*s, "Aa"), (Offsets{3100, 3000}));
}

TEST_F(IndexServiceTest, NewestFirstAndMaxNum) {
  auto s = open();
  for (int i = 0; i < 10; ++i) s->dispatch(req(i * 100, "same", "", kBaseTs + i * 1000));
  EXPECT_EQ(find(*s, "same", 3), (Offsets{900, 800, 700}));
  EXPECT_EQ(find(*s, "same", 64).size(), 10u);
  EXPECT_TRUE(find(*s, "same", 0).empty());
}

TEST_F(IndexServiceTest, TimeWindow) {
  auto s = open();
  for (int i = 0; i < 10; ++i) s->dispatch(req(i * 100, "k", "", kBaseTs + i * 1000));
  EXPECT_EQ(find(*s, "k", 64, kBaseTs + 3000, kBaseTs + 5000), (Offsets{500, 400, 300}));
  EXPECT_EQ(find(*s, "k", 64, kBaseTs + 3001, kBaseTs + 5000), (Offsets{500, 400}));
  EXPECT_EQ(find(*s, "k", 64, 0, kBaseTs), (Offsets{0}));
  EXPECT_TRUE(find(*s, "k", 64, kBaseTs + 10000, INT64_MAX).empty());
  EXPECT_TRUE(find(*s, "k", 64, 0, kBaseTs - 1).empty());
  // Entries keep whole seconds since the file's first entry (RocketMQ), so a message stored at
  // +10.5 s is found as if stored at +10 s.
  s->dispatch(req(1000, "late", "", kBaseTs + 10500));
  EXPECT_EQ(find(*s, "late", 64, kBaseTs + 10000, kBaseTs + 10000), (Offsets{1000}));
  EXPECT_TRUE(find(*s, "late", 64, kBaseTs + 10200, INT64_MAX).empty());
}

TEST_F(IndexServiceTest, RollsAcrossFilesAndQueriesThemAll) {
  auto s = open();
  fill(*s, 0, 100);  // 2 keys per message, 31 messages per file -> 4 files
  const auto names = files();
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0], MappedFile::file_name(kBaseTs));  // named by the first store timestamp
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(find(*s, "k" + std::to_string(i)), (Offsets{int64_t{i} * kMsgSize})) << i;
    EXPECT_EQ(find(*s, "u" + std::to_string(i)), (Offsets{int64_t{i} * kMsgSize})) << i;
  }
  EXPECT_EQ(s->indexed_phy_offset(), 100 * kMsgSize);
  // A key present in every file, newest first across files, and max_num stops early.
  for (int i = 100; i < 200; ++i) {
    s->dispatch(req(int64_t{i} * kMsgSize, "all", "", kBaseTs + int64_t{i} * 1000));
  }
  const Offsets all = find(*s, "all", 1000);
  ASSERT_EQ(all.size(), 100u);
  EXPECT_TRUE(std::is_sorted(all.rbegin(), all.rend()));
  EXPECT_EQ(find(*s, "all", 5), (Offsets{19900, 19800, 19700, 19600, 19500}));
  // A window in the middle skips the newer files and stops at the older ones.
  EXPECT_EQ(find(*s, "all", 1000, kBaseTs + 150'000, kBaseTs + 152'000),
            (Offsets{15200, 15100, 15000}));
}

TEST_F(IndexServiceTest, RedispatchIsIdempotent) {
  auto s = open();
  fill(*s, 0, 40);  // rolls once
  const int64_t indexed = s->indexed_phy_offset();
  EXPECT_EQ(indexed, 40 * kMsgSize);
  const auto names = files();
  fill(*s, 0, 40);
  fill(*s, 39, 40);
  EXPECT_EQ(s->indexed_phy_offset(), indexed);
  EXPECT_EQ(files(), names);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(find(*s, "k" + std::to_string(i)).size(), 1u) << i;
  }
  fill(*s, 40, 41);
  EXPECT_EQ(find(*s, "k40"), (Offsets{4000}));
}

TEST_F(IndexServiceTest, ReopenAndQueryAgain) {
  {
    auto s = open();
    fill(*s, 0, 50);
    ASSERT_TRUE(s->flush().is_ok());
  }
  auto s = open();
  EXPECT_EQ(s->indexed_phy_offset(), 50 * kMsgSize);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(find(*s, "k" + std::to_string(i)), (Offsets{int64_t{i} * kMsgSize})) << i;
  }
  // Writing goes on in the newest file, then rolls.
  fill(*s, 0, 60);  // the first 50 are skipped
  fill(*s, 60, 80);
  EXPECT_EQ(files().size(), 3u);
  for (int i = 0; i < 80; ++i) {
    EXPECT_EQ(find(*s, "u" + std::to_string(i)), (Offsets{int64_t{i} * kMsgSize})) << i;
  }
}

TEST_F(IndexServiceTest, LoadDropsFilesPastTheLogEndThenRebuilds) {
  {
    auto s = open();
    fill(*s, 0, 100);  // 4 files ending at messages 31, 62, 93 and 100
    ASSERT_EQ(files().size(), 4u);
  }
  // The log was cut back to message 40: files 2..4 index past it and go.
  auto s = open(kSlots, kEntries, 40 * kMsgSize);
  EXPECT_EQ(files().size(), 1u);
  const int64_t indexed = s->indexed_phy_offset();
  EXPECT_LE(indexed, 40 * kMsgSize);
  EXPECT_EQ(indexed, 31 * kMsgSize);
  EXPECT_EQ(find(*s, "k0"), (Offsets{0}));
  EXPECT_TRUE(find(*s, "k35").empty());
  // Re-dispatch from the indexed position rebuilds the rest.
  fill(*s, static_cast<int>(indexed / kMsgSize), 40);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(find(*s, "k" + std::to_string(i)), (Offsets{int64_t{i} * kMsgSize})) << i;
  }
  // With the whole log gone every file goes.
  auto empty = open(kSlots, kEntries, 0);
  EXPECT_EQ(empty->indexed_phy_offset(), 0);
  EXPECT_TRUE(files().empty());
}

TEST_F(IndexServiceTest, DeleteExpired) {
  auto s = open();
  fill(*s, 0, 100);  // files end at messages 31, 62, 93 and 100
  ASSERT_EQ(files().size(), 4u);
  EXPECT_EQ(s->delete_expired(0), 0u);
  EXPECT_EQ(s->delete_expired(31 * kMsgSize - 1), 0u);
  EXPECT_EQ(s->delete_expired(31 * kMsgSize), 1u);
  EXPECT_EQ(files().size(), 3u);
  EXPECT_TRUE(find(*s, "k0").empty());
  EXPECT_EQ(find(*s, "k40"), (Offsets{4000}));
  // Never the newest file, however far the log moved.
  EXPECT_EQ(s->delete_expired(INT64_MAX), 2u);
  EXPECT_EQ(files().size(), 1u);
  EXPECT_EQ(find(*s, "k99"), (Offsets{9900}));
  EXPECT_EQ(s->indexed_phy_offset(), 100 * kMsgSize);
}

TEST_F(IndexServiceTest, KeysWithManyWords) {
  auto s = open();
  s->dispatch(req(0, "  a b  c   d ", ""));
  for (const char* k : {"a", "b", "c", "d"}) EXPECT_EQ(find(*s, k), (Offsets{0})) << k;
  EXPECT_TRUE(find(*s, "").empty());
  EXPECT_TRUE(find(*s, " ").empty());
  // 150 words in one message: it spans three files.
  std::string many;
  for (int i = 0; i < 150; ++i) many += "w" + std::to_string(i) + " ";
  s->dispatch(req(100, many, "uniq", kBaseTs + 1000));
  EXPECT_EQ(files().size(), 3u);
  for (int i = 0; i < 150; ++i) {
    EXPECT_EQ(find(*s, "w" + std::to_string(i)), (Offsets{100})) << i;
  }
  EXPECT_EQ(find(*s, "uniq"), (Offsets{100}));
  EXPECT_EQ(s->indexed_phy_offset(), 200);
}

TEST_F(IndexServiceTest, TransactionPreparedAndRollbackNotIndexed) {
  auto s = open();
  DispatchRequest prepared = req(0, "p", "up");
  prepared.sys_flag = sysflag::kTransactionPrepared;
  DispatchRequest rollback = req(100, "r", "ur");
  rollback.sys_flag = sysflag::kTransactionRollback | sysflag::kMultiTags;
  DispatchRequest commit = req(200, "c", "uc");
  commit.sys_flag = sysflag::kTransactionCommit;
  s->dispatch(prepared);
  s->dispatch(rollback);
  EXPECT_EQ(s->indexed_phy_offset(), 200);  // skipped, but passed
  s->dispatch(commit);
  EXPECT_TRUE(find(*s, "p").empty());
  EXPECT_TRUE(find(*s, "up").empty());
  EXPECT_TRUE(find(*s, "r").empty());
  EXPECT_EQ(find(*s, "c"), (Offsets{200}));
  EXPECT_EQ(find(*s, "uc"), (Offsets{200}));
}

// The on-disk bytes, as documented in FORMAT.md (key hashes computed with Java's hashCode by
// hand: "T#k".hashCode() = 81916, slot 81916 % 16 = 12).
TEST_F(IndexServiceTest, OnDiskLayout) {
  auto s = open(kSlots, 4);
  s->dispatch(req(4096, "k", "", kBaseTs + 123));
  s->dispatch(req(4196, "k", "", kBaseTs + 2623));
  ASSERT_TRUE(s->flush().is_ok());
  const auto names = files();
  ASSERT_EQ(names, (std::vector<std::string>{"00000001700000000123"}));
  auto bytes = posix_file_system().read_file(dir() + "/" + names[0]);
  ASSERT_TRUE(bytes.ok());
  ASSERT_EQ(bytes->size(), 40u + 16 * 4 + 4 * 20);
  const auto hex = common::to_hex_upper(common::as_bytes(*bytes));
  EXPECT_EQ(hex.substr(0, 80),
            "0000018BCFE5687B"  // beginTimestamp
            "0000018BCFE5723F"  // endTimestamp (+2.5 s)
            "0000000000001000"  // beginPhyOffset 4096
            "00000000000010C8"  // endPhyOffset: end of the last message, 4196 + 100
            "00000001"          // hashSlotCount
            "00000003");        // indexCount: next entry number
  EXPECT_EQ(hex.substr(2 * (40 + 12 * 4), 8), "00000002");  // slot 12 -> entry 2
  for (uint32_t slot = 0; slot < 16; ++slot) {
    if (slot != 12) {
      EXPECT_EQ(hex.substr(2 * (40 + slot * 4), 8), "00000000") << slot;
    }
  }
  const size_t entries = 2 * (40 + 16 * 4);
  EXPECT_EQ(hex.substr(entries, 40), std::string(40, '0'));  // entry 0 unused
  EXPECT_EQ(hex.substr(entries + 40, 40),
            "00013FFC"
            "0000000000001000"
            "00000000"
            "00000000");
  EXPECT_EQ(hex.substr(entries + 80, 40),
            "00013FFC"
            "0000000000001064"
            "00000002"
            "00000001");
  EXPECT_EQ(hex.substr(entries + 120, 40), std::string(40, '0'));
  // Three entry positions are usable: the next two keys fill this file and roll.
  s->dispatch(req(4296, "x y", "", kBaseTs + 3000));
  EXPECT_EQ(files().size(), 2u);
}

TEST_F(IndexServiceTest, UnusableFilesAreDeletedOnLoad) {
  {
    auto s = open();
    fill(*s, 0, 40);  // two files
  }
  auto names = files();
  ASSERT_EQ(names.size(), 2u);
  FileSystem& fs = posix_file_system();
  // A bad header in the newest file; a stray file of the wrong size; a foreign name.
  {
    auto region = fs.map_file(dir() + "/" + names[1]);
    ASSERT_TRUE(region.ok());
    common::store_be<int32_t>((*region)->data() + 36, -7);
  }
  ASSERT_TRUE(fs.create_file(dir() + "/" + MappedFile::file_name(1), 100).is_ok());
  ASSERT_TRUE(fs.write_file_atomic(dir() + "/notes.txt", "hello").is_ok());
  auto s = open();
  EXPECT_EQ(files(), (std::vector<std::string>{names[0], "notes.txt"}));
  EXPECT_EQ(find(*s, "k0"), (Offsets{0}));
  EXPECT_EQ(s->indexed_phy_offset(), 31 * kMsgSize);
}

TEST_F(IndexServiceTest, GarbageInSlotsAndEntriesNeverCrashes) {
  {
    auto s = open();
    fill(*s, 0, 20);
    ASSERT_TRUE(s->flush().is_ok());
  }
  const auto names = files();
  ASSERT_EQ(names.size(), 1u);
  {
    auto region = posix_file_system().map_file(dir() + "/" + names[0]);
    ASSERT_TRUE(region.ok());
    uint8_t* p = (*region)->data();
    // Slots pointing past the count, at themselves, and entries whose chains loop or go forward.
    for (uint32_t slot = 0; slot < kSlots; ++slot) {
      common::store_be<int32_t>(p + 40 + slot * 4, static_cast<int32_t>(slot * 7) - 20);
    }
    for (uint32_t e = 1; e < kEntries; ++e) {
      uint8_t* entry = p + 40 + kSlots * 4 + e * 20;
      common::store_be<int32_t>(entry + 12, static_cast<int32_t>(e % 3) - 1);
      common::store_be<int32_t>(entry + 16, static_cast<int32_t>((e * 13) % 70) - 3);
    }
  }
  auto s = open();
  for (int i = 0; i < 40; ++i) {
    (void)find(*s, "k" + std::to_string(i));
    (void)find(*s, "u" + std::to_string(i), 64, kBaseTs, kBaseTs + 100'000);
  }
  fill(*s, 20, 60);  // writing over garbage still works for new keys
  for (int i = 20; i < 60; ++i) {
    const Offsets got = find(*s, "k" + std::to_string(i));
    EXPECT_NE(std::find(got.begin(), got.end(), int64_t{i} * kMsgSize), got.end()) << i;
  }
}

TEST_F(IndexServiceTest, FlushMakesTheIndexDurable) {
  FaultInjectingFileSystem fs(posix_file_system());
  {
    auto s = open(fs);
    fill(*s, 0, 10);
    ASSERT_TRUE(s->flush().is_ok());
    const uint64_t syncs = fs.syncs();
    ASSERT_TRUE(s->flush().is_ok());  // nothing new: no sync
    EXPECT_EQ(fs.syncs(), syncs);
    fill(*s, 10, 20);  // not flushed
    fs.drop_unsynced();
  }
  auto s = open(fs);
  EXPECT_EQ(s->indexed_phy_offset(), 10 * kMsgSize);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(find(*s, "k" + std::to_string(i)).size(), 1u) << i;
  for (int i = 10; i < 20; ++i) EXPECT_TRUE(find(*s, "k" + std::to_string(i)).empty()) << i;
  fill(*s, 10, 20);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(find(*s, "u" + std::to_string(i)).size(), 1u) << i;

  fs.set_sync_fails(true);
  EXPECT_FALSE(s->flush().is_ok());
  fs.set_sync_fails(false);
  EXPECT_TRUE(s->flush().is_ok());  // retried
}

TEST_F(IndexServiceTest, QueriesRunConcurrentlyWithDispatch) {
  auto s = open(kSlots, 4096);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    int rounds = 0;
    while (!done.load() || rounds < 10) {
      for (int i = 0; i < 50; i += 7) {
        const Offsets got = find(*s, "k" + std::to_string(i));
        ASSERT_LE(got.size(), 1u);
        if (!got.empty()) {
          ASSERT_EQ(got[0], int64_t{i} * kMsgSize);
        }
      }
      ++rounds;
    }
  });
  fill(*s, 0, 1500);
  done = true;
  reader.join();
  EXPECT_EQ(find(*s, "k1499"), (Offsets{1499 * kMsgSize}));
}

}  // namespace
}  // namespace rmq::store
