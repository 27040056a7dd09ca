#include "store/message_store.h"

#include "store/fault_injecting_file_system.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/store/store_test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rmq::store {
namespace {

namespace fsys = std::filesystem;
using testing::make_message;
using testing::put_sync;
using testing::read_queue;
using testing::small_config;
using testing::testutil_wait;

class MessageStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<MessageStore> open(FileSystem& fs = posix_file_system()) {
    auto s = std::make_unique<MessageStore>(small_config(root()), fs, clock_);
    EXPECT_TRUE(s->load().is_ok());
    EXPECT_TRUE(s->start().is_ok());
    return s;
  }
  std::string root() const { return dir_.file("store"); }

  testutil::TempDir dir_;
  common::ManualClock clock_;
};

TEST_F(MessageStoreTest, PutThenGetThroughConsumeQueue) {
  auto store = open();
  for (int i = 0; i < 300; ++i) {
    auto r = put_sync(*store, make_message("TopicA", i % 3, "m" + std::to_string(i)));
    ASSERT_EQ(r.status, PutStatus::kOk);
    EXPECT_EQ(r.queue_offset, i / 3);
  }
  ASSERT_TRUE(testutil_wait([&] { return store->max_offset_in_queue("TopicA", 2) == 100; }));
  const auto q1 = read_queue(*store, "TopicA", 1);
  ASSERT_EQ(q1.size(), 100u);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(q1[static_cast<size_t>(i)], "m" + std::to_string(3 * i + 1));
}

TEST_F(MessageStoreTest, GetMessageStatusesFollowRocketMq) {
  auto store = open();
  EXPECT_EQ(store->get_message("Nope", 0, 0, 32, 1 << 20).status, GetStatus::kNoMatchedLogicQueue);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(put_sync(*store, make_message("Q", 0, "x")).status, PutStatus::kOk);
  ASSERT_TRUE(testutil_wait([&] { return store->max_offset_in_queue("Q", 0) == 5; }));
  auto found = store->get_message("Q", 0, 2, 32, 1 << 20);
  EXPECT_EQ(found.status, GetStatus::kFound);
  EXPECT_EQ(found.messages.size(), 3u);
  EXPECT_EQ(found.next_begin_offset, 5);
  EXPECT_EQ(found.min_offset, 0);
  EXPECT_EQ(found.max_offset, 5);
  auto one = store->get_message("Q", 0, 5, 32, 1 << 20);
  EXPECT_EQ(one.status, GetStatus::kOffsetOverflowOne);
  EXPECT_EQ(one.next_begin_offset, 5);
  auto badly = store->get_message("Q", 0, 50, 32, 1 << 20);
  EXPECT_EQ(badly.status, GetStatus::kOffsetOverflowBadly);
  EXPECT_EQ(badly.next_begin_offset, 0);  // min is 0
  auto limited = store->get_message("Q", 0, 0, 2, 1 << 20);
  EXPECT_EQ(limited.messages.size(), 2u);
  EXPECT_EQ(limited.next_begin_offset, 2);
}

TEST_F(MessageStoreTest, TagFilterSkipsButAdvances) {
  auto store = open();
  for (int i = 0; i < 6; ++i) {
    put_sync(*store, make_message("Tg", 0, std::to_string(i), "", i % 2 ? "TagB" : "TagA"));
  }
  ASSERT_TRUE(testutil_wait([&] { return store->max_offset_in_queue("Tg", 0) == 6; }));
  const int64_t tag_b = tags_hash_code("TagB");
  auto r = store->get_message("Tg", 0, 0, 32, 1 << 20, [&](int64_t code) { return code == tag_b; });
  EXPECT_EQ(r.status, GetStatus::kFound);
  EXPECT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.next_begin_offset, 6);
  auto none = store->get_message("Tg", 0, 0, 32, 1 << 20, [](int64_t) { return false; });
  EXPECT_EQ(none.status, GetStatus::kNoMatchedMessage);
  EXPECT_EQ(none.next_begin_offset, 6);
}

TEST_F(MessageStoreTest, LookupsByOffsetKeyAndTime) {
  auto store = open();
  std::vector<AppendResult> results;
  for (int i = 0; i < 20; ++i) {
    clock_.advance(std::chrono::seconds(10));
    results.push_back(put_sync(*store, make_message("K", 0, "v" + std::to_string(i),
                                                    "order-" + std::to_string(i % 5) + " all")));
  }
  ASSERT_TRUE(testutil_wait([&] { return store->max_offset_in_queue("K", 0) == 20; }));
  auto rec = store->look_message_by_offset(results[7].physical_offset);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(common::as_string_view(decode_message(rec->bytes, true)->body), "v7");
  EXPECT_FALSE(store->look_message_by_offset(results[7].physical_offset + 3).ok());

  auto by_key = store->query_message("K", "order-2", 32, 0, INT64_MAX);
  EXPECT_EQ(by_key.messages.size(), 4u);
  auto all = store->query_message("K", "all", 7, 0, INT64_MAX);
  EXPECT_EQ(all.messages.size(), 7u);
  EXPECT_TRUE(store->query_message("Other", "all", 32, 0, INT64_MAX).messages.empty());

  const int64_t t10 = results[10].store_timestamp;
  EXPECT_EQ(store->offset_in_queue_by_time("K", 0, t10), 10);
  EXPECT_EQ(store->offset_in_queue_by_time("K", 0, t10 - 1), 10);
  EXPECT_EQ(store->offset_in_queue_by_time("K", 0, 0), 0);
  EXPECT_EQ(store->offset_in_queue_by_time("K", 0, INT64_MAX), 20);
  EXPECT_EQ(store->earliest_message_time("K", 0), results[0].store_timestamp);
}

TEST_F(MessageStoreTest, CleanRestartScansNothingAndKeepsOffsets) {
  {
    auto store = open();
    for (int i = 0; i < 500; ++i) put_sync(*store, make_message("R", i % 4, std::string(100, 'r')));
    store->shutdown();
  }
  EXPECT_FALSE(fsys::exists(root() + "/abort"));
  auto store = open();
  EXPECT_FALSE(store->recovery_info().abnormal);
  EXPECT_TRUE(store->recovery_info().rebuilt.empty());
  EXPECT_EQ(store->recovery_info().reput_from, store->recovery_info().commit_log_end);
  EXPECT_EQ(store->max_offset_in_queue("R", 3), 125);
  EXPECT_EQ(put_sync(*store, make_message("R", 3, "next")).queue_offset, 125);
}

// Leaves the store as a crash would: abort file present, no clean checkpoint.
void simulate_crash(const std::string& root) { std::ofstream(root + "/abort") << "running\n"; }

TEST_F(MessageStoreTest, AbnormalRestartRecoversEverythingWritten) {
  {
    auto store = open();
    for (int i = 0; i < 400; ++i) put_sync(*store, make_message("A", i % 2, std::to_string(i)));
    store->shutdown();
  }
  simulate_crash(root());
  fsys::remove(root() + "/checkpoint");
  auto store = open();
  EXPECT_TRUE(store->recovery_info().abnormal);
  EXPECT_EQ(read_queue(*store, "A", 0).size(), 200u);
  EXPECT_EQ(put_sync(*store, make_message("A", 0, "n")).queue_offset, 200);
}

TEST_F(MessageStoreTest, TornTailIsCutAtEveryByteOfTheLastMessage) {
  int64_t last_phys = 0;
  uint32_t last_size = 0;
  {
    auto store = open();
    for (int i = 0; i < 30; ++i) {
      auto r = put_sync(
          *store, make_message("Torn", 0, "message-" + std::to_string(i), "k" + std::to_string(i)));
      last_phys = r.physical_offset;
      last_size = r.wrote_bytes;
    }
    store->shutdown();
  }
  const std::string pristine = dir_.file("pristine");
  fsys::copy(root(), pristine, fsys::copy_options::recursive);
  const uint64_t seg_size = small_config(root()).mapped_file_size_commit_log;
  const int64_t seg_start = last_phys - last_phys % static_cast<int64_t>(seg_size);
  for (uint32_t keep = 0; keep <= last_size; ++keep) {
    fsys::remove_all(root());
    fsys::copy(pristine, root(), fsys::copy_options::recursive);
    {
      // Zero the bytes of the last record past `keep`, as if the write was torn there.
      char name[32];
      std::snprintf(name, sizeof(name), "%020lld", static_cast<long long>(seg_start));
      std::fstream f(root() + "/commitlog/" + name,
                     std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(last_phys - seg_start + keep);
      const std::string zeros(last_size - keep, '\0');
      f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
    simulate_crash(root());
    auto store = open();
    const size_t expect = keep == last_size ? 30 : 29;
    const auto bodies = read_queue(*store, "Torn", 0);
    ASSERT_EQ(bodies.size(), expect) << "keep=" << keep;
    for (size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(bodies[i], "message-" + std::to_string(i));
    EXPECT_EQ(store->commit_log().max_offset(),
              keep == last_size ? last_phys + last_size : last_phys);
    EXPECT_EQ(store->query_message("Torn", "k29", 4, 0, INT64_MAX).messages.size(),
              expect == 30 ? 1u : 0u);
    // The next append goes where the torn one was, with the next queue offset.
    auto r = put_sync(*store, make_message("Torn", 0, "after"));
    EXPECT_EQ(r.queue_offset, static_cast<int64_t>(expect));
    store->shutdown();
  }
}

TEST_F(MessageStoreTest, DeletedConsumeQueuesAndIndexAreRebuiltEqual) {
  std::vector<std::string> before;
  {
    auto store = open();
    for (int i = 0; i < 700; ++i) {
      put_sync(*store, make_message("Rb", i % 3, std::to_string(i), "key" + std::to_string(i % 7)));
    }
    store->shutdown();
  }
  {
    auto store = open();
    for (int q = 0; q < 3; ++q) {
      for (auto& b : read_queue(*store, "Rb", q)) before.push_back(b);
    }
    store->shutdown();
  }
  fsys::remove_all(root() + "/consumequeue/Rb/1");
  fsys::remove_all(root() + "/index");
  auto store = open();
  EXPECT_FALSE(store->recovery_info().rebuilt.empty());
  std::vector<std::string> after;
  for (int q = 0; q < 3; ++q) {
    for (auto& b : read_queue(*store, "Rb", q)) after.push_back(b);
  }
  EXPECT_EQ(after, before);
  EXPECT_EQ(store->query_message("Rb", "key3", 1000, 0, INT64_MAX).messages.size(), 100u);
  EXPECT_EQ(put_sync(*store, make_message("Rb", 1, "next")).queue_offset, 233);
}

TEST_F(MessageStoreTest, CorruptConsumeQueueTailIsDetectedAndRebuilt) {
  {
    auto store = open();
    for (int i = 0; i < 50; ++i) put_sync(*store, make_message("Cq", 0, std::to_string(i)));
    store->shutdown();
  }
  {
    // Point the last unit somewhere else.
    std::fstream f(root() + "/consumequeue/Cq/0/00000000000000000000",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(49 * 20);
    const char junk[8] = {0, 0, 0, 0, 0, 0, 0, 8};
    f.write(junk, 8);
  }
  auto store = open();
  const auto bodies = read_queue(*store, "Cq", 0);
  ASSERT_EQ(bodies.size(), 50u);
  EXPECT_EQ(bodies.back(), "49");
}

TEST_F(MessageStoreTest, PowerLossKeepsEverySyncFlushedMessage) {
  FaultInjectingFileSystem fs(posix_file_system());
  StoreConfig cfg = small_config(root());
  cfg.flush_disk_type = FlushDiskType::kSyncFlush;
  int acked = 0;
  {
    MessageStore store(cfg, fs, clock_);
    ASSERT_TRUE(store.load().is_ok());
    ASSERT_TRUE(store.start().is_ok());
    for (int i = 0; i < 200; ++i) {
      if (put_sync(store, make_message("P", 0, std::to_string(i))).status == PutStatus::kOk)
        ++acked;
    }
    fs.drop_unsynced();    // power loss: only fsynced bytes survive
    fs.set_crashed(true);  // and nothing the dying process does reaches the disk
  }
  fs.set_crashed(false);
  MessageStore store(cfg, fs, clock_);
  ASSERT_TRUE(store.load().is_ok());
  ASSERT_TRUE(store.start().is_ok());
  EXPECT_TRUE(store.recovery_info().abnormal);
  const auto bodies = read_queue(store, "P", 0);
  ASSERT_EQ(static_cast<int>(bodies.size()), acked);
  for (int i = 0; i < acked; ++i) EXPECT_EQ(bodies[static_cast<size_t>(i)], std::to_string(i));
}

TEST_F(MessageStoreTest, RetentionByTimeDeletesOldSegmentsAndMovesQueueMinimums) {
  StoreConfig cfg = small_config(root());
  cfg.mapped_file_size_commit_log = 4096;
  cfg.consume_queue_units_per_file = 10;
  cfg.file_reserved_time_hours = 1;
  cfg.delete_when = "";
  FaultInjectingFileSystem fs(posix_file_system());
  fs.set_disk_usage(DiskUsage{100, 50});  // 50%: no space pressure
  MessageStore store(cfg, fs, clock_);
  ASSERT_TRUE(store.load().is_ok());
  ASSERT_TRUE(store.start().is_ok());
  for (int i = 0; i < 60; ++i) put_sync(store, make_message("Old", 0, std::string(500, 'o')));
  clock_.advance(std::chrono::hours(2));
  for (int i = 0; i < 20; ++i) put_sync(store, make_message("Old", 0, std::string(500, 'n')));
  ASSERT_TRUE(testutil_wait([&] { return store.max_offset_in_queue("Old", 0) == 80; }));
  auto pass = store.retention().run_once();  // not a delete hour, no pressure
  EXPECT_EQ(pass.commit_log_files_deleted, 0u);
  store.retention().request_manual_delete();
  pass = store.retention().run_once();
  EXPECT_GT(pass.commit_log_files_deleted, 0u);
  EXPECT_GT(store.commit_log().min_offset(), 0);
  const int64_t min_q = store.min_offset_in_queue("Old", 0);
  EXPECT_GT(min_q, 0);
  EXPECT_LE(min_q, 60);
  // What remains readable starts at the new minimum; the new messages all survive.
  auto bodies = read_queue(store, "Old", 0);
  EXPECT_EQ(static_cast<int64_t>(bodies.size()), 80 - min_q);
  EXPECT_EQ(store.get_message("Old", 0, 0, 1, 1 << 20).status, GetStatus::kOffsetTooSmall);
}

TEST_F(MessageStoreTest, RetentionByRatioAndDiskFullRefusal) {
  StoreConfig cfg = small_config(root());
  cfg.mapped_file_size_commit_log = 4096;
  FaultInjectingFileSystem fs(posix_file_system());
  fs.set_disk_usage(DiskUsage{100, 50});
  MessageStore store(cfg, fs, clock_);
  ASSERT_TRUE(store.load().is_ok());
  ASSERT_TRUE(store.start().is_ok());
  std::vector<AppendResult> acked;
  for (int i = 0; i < 40; ++i)
    acked.push_back(put_sync(store, make_message("F", 0, std::string(500, 'f'))));
  ASSERT_TRUE(testutil_wait([&] { return store.max_offset_in_queue("F", 0) == 40; }));
  // Above the hard limit: writes refused, nothing stored is lost.
  fs.set_disk_usage(DiskUsage{100, 5});
  auto pass = store.retention().run_once();
  EXPECT_TRUE(pass.disk_full);
  EXPECT_TRUE(pass.forced);
  EXPECT_EQ(put_sync(store, make_message("F", 0, "refused")).status, PutStatus::kDiskFull);
  // Forced cleaning deleted the oldest (dispatched) segments even though they are young.
  EXPECT_GT(pass.commit_log_files_deleted, 0u);
  // Space back: writes accepted again, queue offsets continue.
  fs.set_disk_usage(DiskUsage{100, 60});
  pass = store.retention().run_once();
  EXPECT_FALSE(pass.disk_full);
  auto r = put_sync(store, make_message("F", 0, "accepted"));
  EXPECT_EQ(r.status, PutStatus::kOk);
  EXPECT_EQ(r.queue_offset, 40);
  // Between the limits (80%): deletion by age only, which nothing qualifies for yet.
  fs.set_disk_usage(DiskUsage{100, 20});
  const int64_t min_before = store.commit_log().min_offset();
  pass = store.retention().run_once();
  EXPECT_TRUE(pass.deleting);
  EXPECT_FALSE(pass.forced);
  EXPECT_EQ(store.commit_log().min_offset(), min_before);
}

}  // namespace
}  // namespace rmq::store
