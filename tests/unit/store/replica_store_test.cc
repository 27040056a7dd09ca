// The store's part of classic master/slave HA: a slave store takes a master's log bytes at the
// same offsets (append_raw) and builds the same consume queues; append() is refused on it; a
// slave ahead of its master cuts its log, queues and dispatch position at a record boundary
// (truncate_to); the replica hook completes appends (and joins a sync flush).
#include "store/local_commit_log.h"
#include "store/message_store.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/store/store_test_util.h"

#include <gtest/gtest.h>

#include <future>

namespace rmq::store {
namespace {

using testing::make_message;
using testing::put_sync;
using testing::read_queue;
using testing::small_config;
using testing::testutil_wait;

class ReplicaStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<MessageStore> open(const std::string& name, StoreConfig* cfg_out = nullptr,
                                     bool replica = false) {
    StoreConfig cfg = small_config((dir_.path() / name).string());
    if (cfg_out != nullptr) *cfg_out = cfg;
    auto s = std::make_unique<MessageStore>(cfg, posix_file_system(), clock_);
    s->local_log().set_replica_only(replica);
    EXPECT_TRUE(s->load().is_ok());
    EXPECT_TRUE(s->start().is_ok());
    return s;
  }

  // Copies master's log bytes [from, master end) into `slave` the way the HA channel does: in
  // pieces that never cross a segment.
  static void replicate(MessageStore& master, MessageStore& slave, int64_t from) {
    ASSERT_TRUE(testutil_wait([&] { return master.reput().behind() == 0; }));
    int64_t at = from;
    while (at < master.commit_log().max_offset()) {
      auto chunk = master.commit_log().read_available(at, master.commit_log().max_offset());
      ASSERT_TRUE(chunk.ok()) << chunk.status().to_string();
      const auto n = std::min<size_t>(chunk->bytes.size(), 3000);
      ASSERT_TRUE(slave.local_log().append_raw(at, chunk->bytes.first(n)).is_ok());
      at += static_cast<int64_t>(n);
    }
  }

  testutil::TempDir dir_;
  common::ManualClock clock_;
};

TEST_F(ReplicaStoreTest, SlaveTakesMasterBytesAndBuildsTheSameQueues) {
  auto master = open("m");
  auto slave = open("s", nullptr, /*replica=*/true);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(put_sync(*master, make_message("T", i % 3,
                                             "body-" + std::to_string(i) + std::string(300, 'x')))
                  .status,
              PutStatus::kOk);
  }
  ASSERT_GT(master->local_log().files().segments().size(), 1u);  // crosses segments
  replicate(*master, *slave, 0);
  EXPECT_EQ(slave->commit_log().max_offset(), master->commit_log().max_offset());
  ASSERT_TRUE(testutil_wait([&] { return slave->reput().behind() == 0; }));
  for (int q = 0; q < 3; ++q) {
    EXPECT_EQ(read_queue(*slave, "T", q), read_queue(*master, "T", q)) << "queue " << q;
    EXPECT_EQ(slave->max_offset_in_queue("T", q), 100);
  }
  // A slave's own appends are refused; bytes that do not continue the log are refused.
  EXPECT_EQ(put_sync(*slave, make_message("T", 0, "x")).status, PutStatus::kServiceNotAvailable);
  const uint8_t junk[16] = {};
  EXPECT_FALSE(
      slave->local_log().append_raw(slave->commit_log().max_offset() + 8, {junk, 16}).is_ok());
  EXPECT_FALSE(slave->local_log().append_raw(0, {junk, 16}).is_ok());
}

TEST_F(ReplicaStoreTest, SlaveEndingInsideARecordDispatchesWholeRecordsAndResumesAfterRestart) {
  auto master = open("m");
  std::vector<AppendResult> results;
  for (int i = 0; i < 20; ++i) {
    results.push_back(put_sync(*master, make_message("T", 0, "body-" + std::to_string(i))));
  }
  const int64_t inside = results[10].physical_offset + 5;
  {
    auto slave = open("s", nullptr, /*replica=*/true);
    auto head = master->commit_log().read(0, static_cast<uint32_t>(inside));
    ASSERT_TRUE(head.ok());
    ASSERT_TRUE(slave->local_log().append_raw(0, head->bytes).is_ok());
    EXPECT_EQ(slave->commit_log().confirm_offset(), results[10].physical_offset);
    ASSERT_TRUE(testutil_wait([&] { return slave->max_offset_in_queue("T", 0) == 10; }));
    slave->shutdown();  // clean, with half a record at the end
  }
  auto slave = open("s", nullptr, /*replica=*/true);
  EXPECT_EQ(slave->commit_log().max_offset(), inside);
  EXPECT_EQ(slave->commit_log().confirm_offset(), results[10].physical_offset);
  EXPECT_EQ(slave->max_offset_in_queue("T", 0), 10);
  replicate(*master, *slave, inside);
  ASSERT_TRUE(testutil_wait([&] { return slave->reput().behind() == 0; }));
  EXPECT_EQ(read_queue(*slave, "T", 0), read_queue(*master, "T", 0));
}

TEST_F(ReplicaStoreTest, EmptySlaveStartsAtTheMastersFirstSegment) {
  StoreConfig cfg;
  auto slave = open("s", &cfg, /*replica=*/true);
  const auto seg = static_cast<int64_t>(cfg.mapped_file_size_commit_log);
  const uint8_t junk[16] = {1};
  // Not a segment start: refused; a segment start: a new first segment there.
  EXPECT_FALSE(slave->local_log().append_raw(seg + 16, {junk, 16}).is_ok());
  ASSERT_TRUE(slave->local_log().append_raw(2 * seg, {junk, 16}).is_ok());
  EXPECT_EQ(slave->commit_log().min_offset(), 2 * seg);
  EXPECT_EQ(slave->commit_log().max_offset(), 2 * seg + 16);
  // A piece crossing the segment end is refused.
  std::vector<uint8_t> big(static_cast<size_t>(seg), 0);
  EXPECT_FALSE(slave->local_log().append_raw(2 * seg + 16, {big.data(), big.size()}).is_ok());
}

TEST_F(ReplicaStoreTest, TruncateCutsAtARecordBoundaryWithQueuesAndDispatch) {
  auto master = open("m");
  auto slave = open("s", nullptr, /*replica=*/true);
  std::vector<AppendResult> results;
  for (int i = 0; i < 200; ++i) {
    results.push_back(put_sync(*master, make_message("T", i % 2, "v" + std::to_string(i))));
  }
  replicate(*master, *slave, 0);
  ASSERT_TRUE(testutil_wait([&] { return slave->reput().behind() == 0; }));
  // Cut in the middle of message 150: the log ends where message 150 starts.
  const int64_t boundary = results[150].physical_offset;
  auto cut = slave->truncate_to(boundary + 7);
  ASSERT_TRUE(cut.ok()) << cut.status().to_string();
  EXPECT_EQ(*cut, boundary);
  EXPECT_EQ(slave->commit_log().max_offset(), boundary);
  EXPECT_EQ(slave->max_offset_in_queue("T", 0), 75);
  EXPECT_EQ(slave->max_offset_in_queue("T", 1), 75);
  EXPECT_LE(slave->reput().reput_offset(), boundary);
  // It continues from there with the master's bytes: queues end up equal again.
  replicate(*master, *slave, boundary);
  ASSERT_TRUE(testutil_wait([&] { return slave->reput().behind() == 0; }));
  EXPECT_EQ(read_queue(*slave, "T", 0), read_queue(*master, "T", 0));
  EXPECT_EQ(read_queue(*slave, "T", 1), read_queue(*master, "T", 1));
  // Truncating to a segment start or below the log keeps the log consistent.
  auto all = slave->truncate_to(0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(slave->commit_log().max_offset(), 0);
  EXPECT_EQ(slave->max_offset_in_queue("T", 0), 0);
  replicate(*master, *slave, 0);
  ASSERT_TRUE(testutil_wait([&] { return slave->reput().behind() == 0; }));
  EXPECT_EQ(read_queue(*slave, "T", 1), read_queue(*master, "T", 1));
}

TEST_F(ReplicaStoreTest, ReplicaHookCompletesAppendsAndJoinsTheSyncFlush) {
  for (const auto flush : {FlushDiskType::kAsyncFlush, FlushDiskType::kSyncFlush}) {
    StoreConfig cfg = small_config(
        (dir_.path() / (flush == FlushDiskType::kSyncFlush ? "sync" : "async")).string());
    cfg.flush_disk_type = flush;
    MessageStore store(cfg, posix_file_system(), clock_);
    std::mutex mu;
    std::vector<std::pair<AppendResult, AppendCallback>> held;
    store.local_log().set_replica_hook([&](const AppendResult& r, AppendCallback done) {
      std::lock_guard lock(mu);
      held.emplace_back(r, std::move(done));
    });
    ASSERT_TRUE(store.load().is_ok());
    ASSERT_TRUE(store.start().is_ok());
    std::promise<AppendResult> p;
    store.put_message(make_message("H", 0, "x"), [&](const AppendResult& r) { p.set_value(r); });
    auto fut = p.get_future();
    // Not answered while the hook holds it (the flush alone does not answer).
    EXPECT_EQ(fut.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
    {
      std::lock_guard lock(mu);
      ASSERT_EQ(held.size(), 1u);
      AppendResult r = held[0].first;
      r.status = PutStatus::kFlushSlaveTimeout;
      r.remark = "no slave acknowledged";
      held[0].second(r);
    }
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    const AppendResult r = fut.get();
    EXPECT_EQ(r.status, PutStatus::kFlushSlaveTimeout);
    EXPECT_EQ(r.physical_offset, 0);
    EXPECT_GT(r.wrote_bytes, 0u);
    store.shutdown();
  }
}

}  // namespace
}  // namespace rmq::store
