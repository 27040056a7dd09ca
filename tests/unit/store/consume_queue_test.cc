#include "store/consume_queue.h"

#include "store/fault_injecting_file_system.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace rmq::store {
namespace {

using common::Code;

constexpr uint32_t kUnitsPerFile = 10;

// Unit i points at commit log offset i*100, 50+i bytes, tags code i.
CqUnit unit_for(int64_t i) { return CqUnit{i * 100, static_cast<int32_t>(50 + i), i}; }

void expect_unit(const std::optional<CqUnit>& got, const CqUnit& want) {
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->commit_log_offset, want.commit_log_offset);
  EXPECT_EQ(got->size, want.size);
  EXPECT_EQ(got->tags_code, want.tags_code);
}

std::vector<int64_t> scan_indexes(const ConsumeQueue& cq, int64_t from, uint32_t max) {
  std::vector<int64_t> out;
  cq.scan(from, max, [&](int64_t i, const CqUnit&) {
    out.push_back(i);
    return true;
  });
  return out;
}

class ConsumeQueueTest : public ::testing::Test {
 protected:
  std::unique_ptr<ConsumeQueue> make(FileSystem& fs) {
    return std::make_unique<ConsumeQueue>(fs, dir_.path().string(), "TopicA", 3, kUnitsPerFile);
  }
  void put_range(ConsumeQueue& cq, int64_t from, int64_t to) {
    for (int64_t i = from; i < to; ++i) ASSERT_TRUE(cq.put(unit_for(i), i).is_ok()) << i;
  }
  std::string queue_dir() const { return dir_.file("TopicA/3"); }

  testutil::TempDir dir_;
  FileSystem& posix_ = posix_file_system();
};

TEST_F(ConsumeQueueTest, EmptyQueue) {
  auto cq = make(posix_);
  ASSERT_TRUE(cq->load_and_recover(0).is_ok());
  EXPECT_EQ(cq->min_offset(), 0);
  EXPECT_EQ(cq->max_offset(), 0);
  EXPECT_EQ(cq->max_physical_end(), -1);
  EXPECT_FALSE(cq->get(0).has_value());
  EXPECT_TRUE(scan_indexes(*cq, 0, 10).empty());
  EXPECT_EQ(cq->offset_by_time(5, [](int64_t) { return std::optional<int64_t>(1); }), 0);
  EXPECT_EQ(cq->topic(), "TopicA");
  EXPECT_EQ(cq->queue_id(), 3);
}

TEST_F(ConsumeQueueTest, PutGetScanAcrossFiles) {
  auto cq = make(posix_);
  put_range(*cq, 0, 25);
  EXPECT_EQ(cq->min_offset(), 0);
  EXPECT_EQ(cq->max_offset(), 25);
  EXPECT_EQ(posix_.list_dir(queue_dir()).value(),
            (std::vector<std::string>{MappedFile::file_name(0), MappedFile::file_name(200),
                                      MappedFile::file_name(400)}));
  for (int64_t i = 0; i < 25; ++i) expect_unit(cq->get(i), unit_for(i));
  EXPECT_FALSE(cq->get(25).has_value());
  EXPECT_FALSE(cq->get(-1).has_value());
  EXPECT_EQ(cq->max_physical_end(), 2400 + 74);

  EXPECT_EQ(scan_indexes(*cq, 5, 7), (std::vector<int64_t>{5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(scan_indexes(*cq, 22, 100), (std::vector<int64_t>{22, 23, 24}));
  EXPECT_TRUE(scan_indexes(*cq, 25, 100).empty());
  std::vector<int64_t> stopped;
  cq->scan(0, 100, [&](int64_t i, const CqUnit& u) {
    EXPECT_EQ(u.commit_log_offset, i * 100);
    stopped.push_back(i);
    return i < 3;
  });
  EXPECT_EQ(stopped, (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST_F(ConsumeQueueTest, RePutIsIgnored) {
  auto cq = make(posix_);
  put_range(*cq, 0, 5);
  ASSERT_TRUE(cq->put(CqUnit{99999, 1, 1}, 2).is_ok());
  expect_unit(cq->get(2), unit_for(2));
  EXPECT_EQ(cq->max_offset(), 5);
}

TEST_F(ConsumeQueueTest, BadUnitsAreRejected) {
  auto cq = make(posix_);
  EXPECT_EQ(cq->put(CqUnit{0, 0, 0}, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(cq->put(CqUnit{0, INT32_MAX, 0}, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(cq->put(unit_for(1), -1).code(), Code::kInvalidArgument);
  EXPECT_EQ(cq->max_offset(), 0);
}

TEST_F(ConsumeQueueTest, GapIsFilledWithBlanks) {
  auto cq = make(posix_);
  put_range(*cq, 0, 2);
  ASSERT_TRUE(cq->put(unit_for(13), 13).is_ok());  // blanks 2..12 span a file boundary
  EXPECT_EQ(cq->max_offset(), 14);
  for (int64_t i = 2; i < 13; ++i) EXPECT_FALSE(cq->get(i).has_value()) << i;
  expect_unit(cq->get(13), unit_for(13));
  EXPECT_EQ(scan_indexes(*cq, 0, 100), (std::vector<int64_t>{0, 1, 13}));
  EXPECT_EQ(scan_indexes(*cq, 1, 2), (std::vector<int64_t>{1, 13}));  // blanks do not count
  EXPECT_EQ(cq->max_physical_end(), 1300 + 63);
}

TEST_F(ConsumeQueueTest, QueueStartingAtANonZeroOffset) {
  auto cq = make(posix_);
  ASSERT_TRUE(cq->put(unit_for(1005), 1005).is_ok());
  EXPECT_EQ(posix_.list_dir(queue_dir()).value(),
            std::vector<std::string>{MappedFile::file_name(1000 * 20)});
  EXPECT_EQ(cq->min_offset(), 1005);
  EXPECT_EQ(cq->max_offset(), 1006);
  EXPECT_FALSE(cq->get(1004).has_value());
  expect_unit(cq->get(1005), unit_for(1005));
  EXPECT_EQ(scan_indexes(*cq, 0, 10), std::vector<int64_t>{1005});
  put_range(*cq, 1006, 1012);
  EXPECT_EQ(cq->max_offset(), 1012);

  auto reopened = make(posix_);
  ASSERT_TRUE(cq->flush(0).value());
  ASSERT_TRUE(reopened->load_and_recover(INT64_MAX).is_ok());
  EXPECT_EQ(reopened->min_offset(), 1005);
  EXPECT_EQ(reopened->max_offset(), 1012);
  expect_unit(reopened->get(1011), unit_for(1011));
}

TEST_F(ConsumeQueueTest, ReopenAndRecover) {
  {
    auto cq = make(posix_);
    put_range(*cq, 0, 25);
    ASSERT_TRUE(cq->flush(0).value());
  }
  auto cq = make(posix_);
  ASSERT_TRUE(cq->load_and_recover(INT64_MAX).is_ok());
  EXPECT_EQ(cq->min_offset(), 0);
  EXPECT_EQ(cq->max_offset(), 25);
  for (int64_t i = 0; i < 25; ++i) expect_unit(cq->get(i), unit_for(i));
  put_range(*cq, 25, 31);
  expect_unit(cq->get(30), unit_for(30));
}

TEST_F(ConsumeQueueTest, RecoveryDropsUnitsBeyondTheCommitLog) {
  {
    auto cq = make(posix_);
    put_range(*cq, 0, 25);
    ASSERT_TRUE(cq->put(unit_for(28), 28).is_ok());  // with blanks before it
    ASSERT_TRUE(cq->flush(0).value());
  }
  auto cq = make(posix_);
  // Unit i ends at i*100 + 50 + i: units 0..9 end by 1059, unit 10 ends at 1060.
  ASSERT_TRUE(cq->load_and_recover(1059).is_ok());
  EXPECT_EQ(cq->max_offset(), 10);
  EXPECT_EQ(cq->max_physical_end(), 900 + 59);
  EXPECT_FALSE(posix_.exists(queue_dir() + "/" + MappedFile::file_name(400)));
  put_range(*cq, 10, 12);
  expect_unit(cq->get(11), unit_for(11));
}

TEST_F(ConsumeQueueTest, RecoveryAfterPowerLossKeepsFlushedUnits) {
  FaultInjectingFileSystem fs(posix_);
  {
    auto cq = make(fs);
    put_range(*cq, 0, 25);
    ASSERT_TRUE(cq->flush(0).value());
    put_range(*cq, 25, 37);  // lost
    fs.drop_unsynced();
  }
  auto cq = make(fs);
  ASSERT_TRUE(cq->load_and_recover(INT64_MAX).is_ok());
  EXPECT_EQ(cq->max_offset(), 25);
  for (int64_t i = 0; i < 25; ++i) expect_unit(cq->get(i), unit_for(i));
  put_range(*cq, 25, 37);  // re-dispatch
  EXPECT_EQ(cq->max_offset(), 37);
}

TEST_F(ConsumeQueueTest, RecoveryCutsAtAHoleLeftByOutOfOrderWriteback) {
  {
    auto cq = make(posix_);
    put_range(*cq, 0, 15);
    ASSERT_TRUE(cq->flush(0).value());
  }
  {
    // Unit 12 never reached the disk while later pages did.
    auto region = posix_.map_file(queue_dir() + "/" + MappedFile::file_name(200));
    ASSERT_TRUE(region.ok());
    std::memset(region.value()->data() + 2 * 20, 0, 20);
    ASSERT_TRUE(region.value()->sync(0, 200).is_ok());
  }
  auto cq = make(posix_);
  ASSERT_TRUE(cq->load_and_recover(INT64_MAX).is_ok());
  EXPECT_EQ(cq->max_offset(), 12);
  put_range(*cq, 12, 15);
  for (int64_t i = 0; i < 15; ++i) expect_unit(cq->get(i), unit_for(i));
}

TEST_F(ConsumeQueueTest, TruncateDirty) {
  auto cq = make(posix_);
  put_range(*cq, 0, 25);
  ASSERT_TRUE(cq->truncate_dirty(1250).is_ok());  // units 13.. point at or past it
  EXPECT_EQ(cq->max_offset(), 13);
  EXPECT_EQ(cq->max_physical_end(), 1200 + 62);
  EXPECT_FALSE(cq->get(13).has_value());
  EXPECT_FALSE(posix_.exists(queue_dir() + "/" + MappedFile::file_name(400)));
  put_range(*cq, 13, 16);
  expect_unit(cq->get(15), unit_for(15));

  ASSERT_TRUE(cq->truncate_dirty(1000).is_ok());  // exactly at a file boundary
  EXPECT_EQ(cq->max_offset(), 10);
  ASSERT_TRUE(cq->truncate_dirty(5000).is_ok());  // nothing past it
  EXPECT_EQ(cq->max_offset(), 10);
  ASSERT_TRUE(cq->truncate_dirty(0).is_ok());
  EXPECT_EQ(cq->max_offset(), 0);
  EXPECT_EQ(cq->min_offset(), 0);
  EXPECT_EQ(cq->max_physical_end(), -1);
}

TEST_F(ConsumeQueueTest, TruncateDirtyDropsBlanksLeadingToCutUnits) {
  auto cq = make(posix_);
  put_range(*cq, 0, 3);
  ASSERT_TRUE(cq->put(unit_for(8), 8).is_ok());
  ASSERT_TRUE(cq->truncate_dirty(800).is_ok());
  EXPECT_EQ(cq->max_offset(), 3);
  put_range(*cq, 3, 5);
  EXPECT_EQ(scan_indexes(*cq, 0, 10), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST_F(ConsumeQueueTest, OffsetByTime) {
  auto cq = make(posix_);
  put_range(*cq, 0, 25);
  // Message i stored at time 1000 + i*100 (its commit log offset + 1000).
  auto time_of = [](int64_t offset) { return std::optional<int64_t>(1000 + offset); };
  EXPECT_EQ(cq->offset_by_time(0, time_of), 0);
  EXPECT_EQ(cq->offset_by_time(1000, time_of), 0);
  EXPECT_EQ(cq->offset_by_time(1001, time_of), 1);
  EXPECT_EQ(cq->offset_by_time(1000 + 1700, time_of), 17);
  EXPECT_EQ(cq->offset_by_time(1000 + 2400, time_of), 24);
  EXPECT_EQ(cq->offset_by_time(1000 + 2401, time_of), 25);  // after everything: max
  // Messages before offset 500 were deleted from the log: they count as older.
  auto partly_deleted = [](int64_t offset) {
    return offset < 500 ? std::nullopt : std::optional<int64_t>(1000 + offset);
  };
  EXPECT_EQ(cq->offset_by_time(0, partly_deleted), 5);
  EXPECT_EQ(cq->offset_by_time(1000 + 750, partly_deleted), 8);
}

TEST_F(ConsumeQueueTest, OffsetByTimeSkipsBlanks) {
  auto cq = make(posix_);
  put_range(*cq, 0, 3);
  ASSERT_TRUE(cq->put(unit_for(9), 9).is_ok());
  put_range(*cq, 10, 12);
  auto time_of = [](int64_t offset) { return std::optional<int64_t>(offset); };
  EXPECT_EQ(cq->offset_by_time(201, time_of), 9);
  EXPECT_EQ(cq->offset_by_time(900, time_of), 9);
  EXPECT_EQ(cq->offset_by_time(901, time_of), 10);
  EXPECT_EQ(cq->offset_by_time(200, time_of), 2);
}

TEST_F(ConsumeQueueTest, DeleteExpiredMovesTheMinOffset) {
  auto cq = make(posix_);
  put_range(*cq, 0, 25);
  EXPECT_EQ(cq->delete_expired(0), 0u);
  EXPECT_EQ(cq->min_offset(), 0);

  // File 0 ends with offset 900 < 1050: deleted; in file 1, unit 11 (1100) is the first kept.
  EXPECT_EQ(cq->delete_expired(1050), 1u);
  EXPECT_FALSE(posix_.exists(queue_dir() + "/" + MappedFile::file_name(0)));
  EXPECT_EQ(cq->min_offset(), 11);
  EXPECT_FALSE(cq->get(10).has_value());
  expect_unit(cq->get(11), unit_for(11));
  EXPECT_EQ(scan_indexes(*cq, 0, 2), (std::vector<int64_t>{11, 12}));
  EXPECT_EQ(cq->offset_by_time(0, [](int64_t o) { return std::optional<int64_t>(o); }), 11);

  // Everything expired: the last file stays, the min offset reaches the max.
  EXPECT_EQ(cq->delete_expired(1'000'000), 1u);
  EXPECT_EQ(cq->min_offset(), 25);
  EXPECT_EQ(cq->max_offset(), 25);
  EXPECT_FALSE(cq->get(24).has_value());
  EXPECT_EQ(cq->max_physical_end(), 2400 + 74);
  ASSERT_TRUE(cq->put(unit_for(25), 25).is_ok());
  EXPECT_EQ(cq->min_offset(), 25);
  expect_unit(cq->get(25), unit_for(25));
}

TEST_F(ConsumeQueueTest, FlushAndMinOffsetSurviveReopenAfterDelete) {
  {
    auto cq = make(posix_);
    put_range(*cq, 0, 25);
    EXPECT_EQ(cq->delete_expired(1050), 1u);
    EXPECT_FALSE(cq->flush(1).value());  // less than a page dirty in the last file
    ASSERT_TRUE(cq->flush(0).value());
  }
  auto cq = make(posix_);
  ASSERT_TRUE(cq->load_and_recover(INT64_MAX).is_ok());
  EXPECT_EQ(cq->min_offset(), 10);  // the first file now starts at 10
  EXPECT_EQ(cq->delete_expired(1050), 0u);
  EXPECT_EQ(cq->min_offset(), 11);
  EXPECT_EQ(cq->max_offset(), 25);
}

TEST_F(ConsumeQueueTest, DiskFullIsReported) {
  FaultInjectingFileSystem fs(posix_);
  auto cq = make(fs);
  put_range(*cq, 0, 10);
  fs.set_disk_full(true);
  EXPECT_EQ(cq->put(unit_for(10), 10).code(), Code::kNoSpace);
  EXPECT_EQ(cq->max_offset(), 10);
  fs.set_disk_full(false);
  put_range(*cq, 10, 11);
  expect_unit(cq->get(10), unit_for(10));
}

}  // namespace
}  // namespace rmq::store
