#include "store/local_commit_log.h"

#include "store/fault_injecting_file_system.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/store/store_test_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace rmq::store {
namespace {

using testing::make_message;
using testing::small_config;

EncodedMessages encode(const std::string& topic, int32_t q, const std::string& body) {
  auto m = make_message(topic, q, body);
  return encode_message(m, 1 << 20).value();
}

AppendResult append_sync(LocalCommitLog& log, EncodedMessages msgs) {
  std::promise<AppendResult> p;
  log.append(std::move(msgs), [&](const AppendResult& r) { p.set_value(r); });
  return p.get_future().get();
}

class LocalCommitLogTest : public ::testing::Test {
 protected:
  testutil::TempDir dir_;
  common::ManualClock clock_;
  QueueOffsetTable offsets_;
};

TEST_F(LocalCommitLogTest, AppendsAssignQueueOffsetsAndReadBack) {
  StoreConfig cfg = small_config(dir_.path().string());
  LocalCommitLog log(posix_file_system(), cfg, clock_, offsets_);
  ASSERT_TRUE(log.load().is_ok());
  log.start();
  int64_t expected_phys = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = append_sync(log, encode("T", i % 2, "body-" + std::to_string(i)));
    ASSERT_EQ(r.status, PutStatus::kOk);
    EXPECT_EQ(r.queue_offset, i / 2);
    EXPECT_EQ(r.physical_offset, expected_phys);
    expected_phys += r.wrote_bytes;
    auto rec = log.read_record(r.physical_offset);
    ASSERT_TRUE(rec.ok());
    auto m = decode_message(rec->bytes, true);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->queue_offset, i / 2);
    EXPECT_EQ(m->physical_offset, r.physical_offset);
    EXPECT_EQ(m->store_timestamp, clock_.wall_ms());
    EXPECT_EQ(common::as_string_view(m->body), "body-" + std::to_string(i));
  }
  EXPECT_EQ(log.max_offset(), expected_phys);
  EXPECT_FALSE(log.read(expected_phys + 10, 4).ok());
}

TEST_F(LocalCommitLogTest, RollsToNextSegmentWithBlankFill) {
  StoreConfig cfg = small_config(dir_.path().string());
  cfg.mapped_file_size_commit_log = 4096;
  LocalCommitLog log(posix_file_system(), cfg, clock_, offsets_);
  ASSERT_TRUE(log.load().is_ok());
  log.start();
  const std::string body(1000, 'x');
  std::vector<int64_t> offsets;
  for (int i = 0; i < 12; ++i) {
    auto r = append_sync(log, encode("T", 0, body));
    ASSERT_EQ(r.status, PutStatus::kOk);
    // A record never straddles two segments.
    EXPECT_EQ(r.physical_offset / 4096, (r.physical_offset + r.wrote_bytes - 1) / 4096);
    offsets.push_back(r.physical_offset);
  }
  EXPECT_GE(log.files().segments().size(), 4u);
  // Three 1 KiB records fit in a 4 KiB segment; the bytes after the third are a blank record.
  ASSERT_EQ(offsets[3], 4096);
  auto blank_at = offsets[2] + static_cast<int64_t>(log.read_record(offsets[2])->bytes.size());
  ASSERT_LT(blank_at, 4096);
  auto blank = log.read_record(blank_at);
  ASSERT_TRUE(blank.ok());
  EXPECT_EQ(probe_record(blank->bytes, false).kind, RecordProbe::Kind::kBlank);
  EXPECT_EQ(log.roll_next_file(blank_at), 4096);
}

TEST_F(LocalCommitLogTest, BatchGetsConsecutiveQueueOffsets) {
  StoreConfig cfg = small_config(dir_.path().string());
  LocalCommitLog log(posix_file_system(), cfg, clock_, offsets_);
  ASSERT_TRUE(log.load().is_ok());
  log.start();
  ASSERT_EQ(append_sync(log, encode("B", 1, "first")).queue_offset, 0);
  // A batch body of three entries (PROTOCOL.md §6.4).
  common::Buffer batch;
  for (const std::string body : {"a", "bb", "ccc"}) {
    const std::string props = "KEYS\x01k-" + body + "\x02";
    batch.put_i32(static_cast<int32_t>(20 + body.size() + 2 + props.size()));
    batch.put_i32(0);
    batch.put_i32(0);
    batch.put_i32(0);
    batch.put_i32(static_cast<int32_t>(body.size()));
    batch.put_string(body);
    batch.put_i16(static_cast<int16_t>(props.size()));
    batch.put_string(props);
  }
  auto common_part = make_message("B", 1, "");
  auto encoded = encode_batch(common_part, batch.view(), 1 << 20);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  auto r = append_sync(log, std::move(encoded).value());
  ASSERT_EQ(r.status, PutStatus::kOk);
  EXPECT_EQ(r.msg_count, 3u);
  EXPECT_EQ(r.queue_offset, 1);
  EXPECT_EQ(offsets_.next("B", 1), 4);
  int64_t pos = r.physical_offset;
  for (int i = 0; i < 3; ++i) {
    auto m = decode_message(log.read_record(pos)->bytes, true);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->queue_offset, 1 + i);
    EXPECT_EQ(m->physical_offset, pos);
    pos += m->total_size;
  }
}

TEST_F(LocalCommitLogTest, SyncFlushGroupCommitsConcurrentWriters) {
  StoreConfig cfg = small_config(dir_.path().string());
  cfg.flush_disk_type = FlushDiskType::kSyncFlush;
  cfg.mapped_file_size_commit_log = 1 << 20;
  store::FaultInjectingFileSystem fs(posix_file_system());
  LocalCommitLog log(fs, cfg, clock_, offsets_);
  ASSERT_TRUE(log.load().is_ok());
  log.start();
  constexpr int kWriters = 16;
  constexpr int kPerWriter = 50;
  std::atomic<int> ok{0};
  std::atomic<int> not_durable{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        auto r = append_sync(log, encode("S", w % 4, std::string(200, 'a' + w % 26)));
        // When the callback runs, the record must already be durable.
        if (r.status == PutStatus::kOk) {
          ok.fetch_add(1);
          if (log.flushed_offset() < r.physical_offset + r.wrote_bytes) not_durable.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(ok.load(), kWriters * kPerWriter);
  EXPECT_EQ(not_durable.load(), 0);
  // Group commit: far fewer syncs than appends.
  EXPECT_LT(fs.syncs(), static_cast<uint64_t>(kWriters * kPerWriter));
}

TEST_F(LocalCommitLogTest, FailingSyncReportsFlushDiskTimeout) {
  StoreConfig cfg = small_config(dir_.path().string());
  cfg.flush_disk_type = FlushDiskType::kSyncFlush;
  cfg.sync_flush_timeout = std::chrono::milliseconds(0);  // the manual clock never moves
  store::FaultInjectingFileSystem fs(posix_file_system());
  LocalCommitLog log(fs, cfg, clock_, offsets_);
  ASSERT_TRUE(log.load().is_ok());
  log.start();
  fs.set_sync_fails(true);
  auto r = append_sync(log, encode("F", 0, "not durable"));
  EXPECT_EQ(r.status, PutStatus::kFlushDiskTimeout);
  fs.set_sync_fails(false);
  auto r2 = append_sync(log, encode("F", 0, "durable"));
  EXPECT_EQ(r2.status, PutStatus::kOk);
  EXPECT_GE(log.flushed_offset(), r2.physical_offset + r2.wrote_bytes);
}

TEST_F(LocalCommitLogTest, DiskFullRefusesAppendsAndKeepsWhatWasStored) {
  StoreConfig cfg = small_config(dir_.path().string());
  cfg.mapped_file_size_commit_log = 4096;
  store::FaultInjectingFileSystem fs(posix_file_system());
  LocalCommitLog log(fs, cfg, clock_, offsets_);
  ASSERT_TRUE(log.load().is_ok());
  log.start();
  auto first = append_sync(log, encode("D", 0, std::string(1000, 'k')));
  ASSERT_EQ(first.status, PutStatus::kOk);
  // The next segment cannot be created: appends that need it fail cleanly.
  fs.set_disk_full(true);
  PutStatus last = PutStatus::kOk;
  for (int i = 0; i < 10 && last == PutStatus::kOk; ++i) {
    last = append_sync(log, encode("D", 0, std::string(1000, 'k'))).status;
  }
  EXPECT_EQ(last, PutStatus::kDiskFull);
  EXPECT_TRUE(log.disk_full());
  auto again = append_sync(log, encode("D", 0, "x"));
  EXPECT_EQ(again.status, PutStatus::kDiskFull);
  auto m = decode_message(log.read_record(first.physical_offset)->bytes, true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->body.size(), 1000u);
  fs.set_disk_full(false);
  log.set_disk_full(false);  // retention clears it once space is back
  EXPECT_EQ(append_sync(log, encode("D", 0, "after")).status, PutStatus::kOk);
}

}  // namespace
}  // namespace rmq::store
