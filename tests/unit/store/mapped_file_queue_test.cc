#include "store/mapped_file_queue.h"

#include "common/clock.h"
#include "store/fault_injecting_file_system.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <vector>

namespace rmq::store {
namespace {

using common::Code;

constexpr uint64_t kFile = 4096;
constexpr auto kFileI = static_cast<int64_t>(kFile);

uint8_t pattern(int64_t offset) { return static_cast<uint8_t>(offset % 251); }

// Appends `n` pattern bytes at the end of the queue, rolling segments as needed.
void append_pattern(MappedFileQueue& q, int64_t n) {
  while (n > 0) {
    auto seg = q.last_for_append();
    ASSERT_TRUE(seg.ok()) << seg.status();
    MappedFile& f = *seg.value();
    const auto chunk = std::min<int64_t>(n, static_cast<int64_t>(f.free_space()));
    const int64_t at = f.start_offset() + static_cast<int64_t>(f.wrote_position());
    uint8_t* tail = f.writable_tail();
    for (int64_t i = 0; i < chunk; ++i) tail[i] = pattern(at + i);
    f.publish(static_cast<uint64_t>(chunk));
    n -= chunk;
  }
}

// Checks every byte in [from, to) reads back as the pattern through find().
void expect_pattern(const MappedFileQueue& q, int64_t from, int64_t to) {
  for (int64_t off = from; off < to; ++off) {
    MappedFilePtr f = q.find(off);
    ASSERT_NE(f, nullptr) << off;
    auto b = f->read(static_cast<uint64_t>(off - f->start_offset()), 1);
    ASSERT_TRUE(b.ok()) << off << ": " << b.status();
    ASSERT_EQ((*b)[0], pattern(off)) << off;
  }
}

// Polls `pred` (a background thread's effect) until true or a 10 s deadline. No sleeping.
template <typename Pred>
bool eventually(Pred pred) {
  auto& clock = common::SteadyClock::instance();
  const auto deadline = clock.now() + std::chrono::seconds(10);
  while (!pred()) {
    if (clock.now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class MappedFileQueueTest : public ::testing::Test {
 protected:
  MappedFileQueueOptions options(bool preallocate = false) const {
    return MappedFileQueueOptions{dir_.file("log"), kFile, preallocate};
  }
  std::string seg_path(int64_t start) const {
    return dir_.file("log/" + MappedFile::file_name(start));
  }

  testutil::TempDir dir_;
  FileSystem& posix_ = posix_file_system();
};

TEST_F(MappedFileQueueTest, EmptyQueue) {
  MappedFileQueue q(posix_, options());
  ASSERT_TRUE(q.load().is_ok());  // missing directory
  EXPECT_EQ(q.first(), nullptr);
  EXPECT_EQ(q.last(), nullptr);
  EXPECT_EQ(q.find(0), nullptr);
  EXPECT_EQ(q.min_offset(), 0);
  EXPECT_EQ(q.max_offset(), 0);
  EXPECT_EQ(q.flushed_offset(), 0);
  EXPECT_TRUE(q.flush().value());
  EXPECT_TRUE(q.recover_to(0).is_ok());
}

TEST_F(MappedFileQueueTest, RollsAcrossSegmentsAndFindsEveryBoundary) {
  MappedFileQueue q(posix_, options());
  append_pattern(q, 10 * kFileI + 100);
  ASSERT_EQ(q.segments().size(), 11u);
  EXPECT_EQ(q.min_offset(), 0);
  EXPECT_EQ(q.max_offset(), 10 * kFileI + 100);
  for (int64_t k = 0; k <= 10; ++k) {
    ASSERT_NE(q.find(k * kFileI), nullptr);
    EXPECT_EQ(q.find(k * kFileI)->start_offset(), k * kFileI);
    EXPECT_EQ(q.find(k * kFileI + kFileI - 1)->start_offset(), k * kFileI);
    if (k > 0) {
      EXPECT_EQ(q.find(k * kFileI - 1)->start_offset(), (k - 1) * kFileI);
    }
    EXPECT_TRUE(posix_.exists(seg_path(k * kFileI)));
  }
  EXPECT_EQ(q.find(-1), nullptr);
  EXPECT_EQ(q.find(11 * kFileI), nullptr);
  expect_pattern(q, 0, q.max_offset());
  EXPECT_EQ(q.first()->start_offset(), 0);
  EXPECT_EQ(q.last()->start_offset(), 10 * kFileI);
}

TEST_F(MappedFileQueueTest, FirstSegmentStartsAtTheFileBoundaryBelow) {
  MappedFileQueue q(posix_, options());
  auto seg = q.last_for_append(2 * kFileI + 123);
  ASSERT_TRUE(seg.ok());
  EXPECT_EQ(seg.value()->start_offset(), 2 * kFileI);
  EXPECT_EQ(q.min_offset(), 2 * kFileI);
  EXPECT_EQ(q.max_offset(), 2 * kFileI);
  EXPECT_EQ(q.find(kFileI), nullptr);
  EXPECT_EQ(q.last_for_append(0).value(), seg.value());  // not full: the same one
  EXPECT_EQ(q.last_for_append(-1).status().code(), Code::kOk);
  MappedFileQueue empty(posix_, MappedFileQueueOptions{dir_.file("other"), kFile, false});
  EXPECT_EQ(empty.last_for_append(-1).status().code(), Code::kInvalidArgument);
}

TEST_F(MappedFileQueueTest, FlushGoesAcrossFullSegments) {
  MappedFileQueue q(posix_, options());
  append_pattern(q, 3 * kFileI + 500);
  EXPECT_EQ(q.flushed_offset(), 0);
  EXPECT_FALSE(q.flush(1).value());  // full segments flush, the 500-byte tail waits
  EXPECT_EQ(q.flushed_offset(), 3 * kFileI);
  EXPECT_TRUE(q.flush(0).value());
  EXPECT_EQ(q.flushed_offset(), 3 * kFileI + 500);
  EXPECT_TRUE(q.flush(0).value());
}

TEST_F(MappedFileQueueTest, LoadAfterReopenAndRecoverTo) {
  {
    MappedFileQueue q(posix_, options());
    append_pattern(q, 2 * kFileI + kFileI / 2);
    ASSERT_TRUE(q.flush().value());
  }
  MappedFileQueue q(posix_, options());
  ASSERT_TRUE(q.load().is_ok());
  ASSERT_EQ(q.segments().size(), 3u);
  EXPECT_EQ(q.max_offset(), 2 * kFileI);  // positions start at 0 in every segment
  ASSERT_TRUE(q.recover_to(2 * kFileI + kFileI / 2).is_ok());
  EXPECT_EQ(q.max_offset(), 2 * kFileI + kFileI / 2);
  EXPECT_EQ(q.flushed_offset(), q.max_offset());
  EXPECT_TRUE(q.segments()[0]->is_full());
  expect_pattern(q, 0, q.max_offset());
  // Appending continues where the data ended.
  append_pattern(q, kFileI);
  EXPECT_EQ(q.max_offset(), 3 * kFileI + kFileI / 2);
  expect_pattern(q, 0, q.max_offset());
}

TEST_F(MappedFileQueueTest, RecoverToCutsAndDeletesLaterSegments) {
  {
    MappedFileQueue q(posix_, options());
    append_pattern(q, 4 * kFileI);
    ASSERT_TRUE(q.flush().value());
  }
  MappedFileQueue q(posix_, options());
  ASSERT_TRUE(q.load().is_ok());
  EXPECT_EQ(q.recover_to(5 * kFileI).code(), Code::kInvalidArgument);
  ASSERT_TRUE(q.recover_to(kFileI + 10).is_ok());
  ASSERT_EQ(q.segments().size(), 2u);
  EXPECT_FALSE(posix_.exists(seg_path(2 * kFileI)));
  EXPECT_FALSE(posix_.exists(seg_path(3 * kFileI)));
  EXPECT_EQ(q.max_offset(), kFileI + 10);
  const MappedFilePtr last = q.last();
  for (uint64_t i = 10; i < kFile; ++i) ASSERT_EQ(last->base()[i], 0) << i;
}

TEST_F(MappedFileQueueTest, RecoverToASegmentBoundary) {
  {
    MappedFileQueue q(posix_, options());
    append_pattern(q, 2 * kFileI + 1);
  }
  MappedFileQueue q(posix_, options());
  ASSERT_TRUE(q.load().is_ok());
  ASSERT_TRUE(q.recover_to(2 * kFileI).is_ok());
  EXPECT_EQ(q.segments().size(), 3u);  // the segment starting at the end stays, empty
  EXPECT_EQ(q.max_offset(), 2 * kFileI);
  append_pattern(q, 5);
  expect_pattern(q, 0, q.max_offset());
}

TEST_F(MappedFileQueueTest, TruncateDirtyDeletesLaterSegments) {
  MappedFileQueue q(posix_, options());
  append_pattern(q, 5 * kFileI - 7);
  ASSERT_TRUE(q.truncate_dirty(2 * kFileI + 10).is_ok());
  EXPECT_EQ(q.segments().size(), 3u);
  EXPECT_EQ(q.max_offset(), 2 * kFileI + 10);
  EXPECT_FALSE(posix_.exists(seg_path(3 * kFileI)));
  EXPECT_FALSE(posix_.exists(seg_path(4 * kFileI)));
  EXPECT_EQ(q.last()->base()[10], 0);
  append_pattern(q, 3 * kFileI);
  EXPECT_EQ(q.max_offset(), 5 * kFileI + 10);
  expect_pattern(q, 0, q.max_offset());

  ASSERT_TRUE(q.truncate_dirty(kFileI).is_ok());  // at a boundary
  EXPECT_EQ(q.max_offset(), kFileI);
  EXPECT_EQ(q.segments().size(), 2u);
  ASSERT_TRUE(q.truncate_dirty(10 * kFileI).is_ok());  // past the end: nothing to do
  EXPECT_EQ(q.max_offset(), kFileI);
}

TEST_F(MappedFileQueueTest, DeleteLeadingNeverDeletesTheLast) {
  MappedFileQueue q(posix_, options());
  append_pattern(q, 6 * kFileI + 1);
  ASSERT_EQ(q.segments().size(), 7u);
  const MappedFilePtr held = q.first();
  auto always = [](const MappedFile&) { return true; };
  EXPECT_EQ(q.delete_leading_if(always, 2), 2u);
  EXPECT_EQ(q.min_offset(), 2 * kFileI);
  EXPECT_FALSE(posix_.exists(seg_path(0)));
  EXPECT_EQ(q.find(0), nullptr);
  // A reader holding a deleted segment can still read it.
  EXPECT_EQ(held->read(5, 1).value()[0], pattern(5));

  auto before_4 = [](const MappedFile& f) { return f.start_offset() < 4 * kFileI; };
  EXPECT_EQ(q.delete_leading_if(before_4), 2u);
  EXPECT_EQ(q.min_offset(), 4 * kFileI);
  EXPECT_EQ(q.delete_leading_if(always), 2u);
  ASSERT_EQ(q.segments().size(), 1u);
  EXPECT_EQ(q.min_offset(), 6 * kFileI);
  EXPECT_EQ(q.delete_leading_if(always), 0u);
  EXPECT_EQ(q.max_offset(), 6 * kFileI + 1);
  expect_pattern(q, q.min_offset(), q.max_offset());
}

TEST_F(MappedFileQueueTest, ExpiredPredicateMayReadTheQueue) {
  MappedFileQueue q(posix_, options());
  append_pattern(q, 3 * kFileI + 1);
  // Retention reads the first record of the next segment to decide (a store timestamp).
  auto next_starts_late = [&](const MappedFile& f) {
    MappedFilePtr next = q.find(f.start_offset() + kFileI);
    return next != nullptr && q.max_offset() > 0 && next->read(0, 1).ok();
  };
  EXPECT_EQ(q.delete_leading_if(next_starts_late), 3u);
  EXPECT_EQ(q.min_offset(), 3 * kFileI);
}

TEST_F(MappedFileQueueTest, PreallocatesTheNextSegmentInTheBackground) {
  MappedFileQueue q(posix_, options(/*preallocate=*/true));
  ASSERT_TRUE(q.last_for_append(0).ok());
  EXPECT_TRUE(eventually([&] { return posix_.exists(seg_path(kFileI)); }));
  EXPECT_EQ(q.segments().size(), 1u);  // not part of the queue until needed
  append_pattern(q, 3 * kFileI + 10);
  EXPECT_EQ(q.segments().size(), 4u);
  expect_pattern(q, 0, q.max_offset());
  EXPECT_TRUE(eventually([&] { return posix_.exists(seg_path(4 * kFileI)); }));
}

TEST_F(MappedFileQueueTest, PreallocatedSegmentIsDroppedByTruncateAndIgnoredByRecovery) {
  {
    MappedFileQueue q(posix_, options(/*preallocate=*/true));
    append_pattern(q, kFileI + 10);  // segments 0, 1; 2 pre-allocated
    ASSERT_TRUE(q.truncate_dirty(5).is_ok());
    EXPECT_FALSE(posix_.exists(seg_path(2 * kFileI)));
    append_pattern(q, kFileI);  // rolls to 1 again, pre-allocates 2 again
    EXPECT_EQ(q.max_offset(), kFileI + 5);
    ASSERT_TRUE(q.flush().value());
  }
  MappedFileQueue q(posix_, options());
  ASSERT_TRUE(q.load().is_ok());
  EXPECT_EQ(q.segments().size(), 3u);  // the pre-allocated one is loaded...
  ASSERT_TRUE(q.recover_to(kFileI + 5).is_ok());
  EXPECT_EQ(q.segments().size(), 2u);  // ...and removed past the end
  EXPECT_FALSE(posix_.exists(seg_path(2 * kFileI)));
}

TEST_F(MappedFileQueueTest, StrayFilesAreIgnored) {
  {
    MappedFileQueue q(posix_, options());
    append_pattern(q, kFileI + 1);
  }
  ASSERT_TRUE(posix_.write_file_atomic(dir_.file("log/README"), "x").is_ok());
  ASSERT_TRUE(posix_.write_file_atomic(dir_.file("log/00000000000000008192.tmp"), "x").is_ok());
  ASSERT_TRUE(posix_.write_file_atomic(dir_.file("log/123"), "x").is_ok());
  MappedFileQueue q(posix_, options());
  ASSERT_TRUE(q.load().is_ok());
  EXPECT_EQ(q.segments().size(), 2u);
}

TEST_F(MappedFileQueueTest, WrongSizedSegmentIsCorruption) {
  {
    MappedFileQueue q(posix_, options());
    append_pattern(q, kFileI + 1);
  }
  ASSERT_TRUE(posix_.truncate(seg_path(0), 100).is_ok());
  MappedFileQueue q(posix_, options());
  common::Status st = q.load();
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find(MappedFile::file_name(0)), std::string_view::npos) << st;
}

TEST_F(MappedFileQueueTest, TrailingEmptySegmentIsRemoved) {
  {
    MappedFileQueue q(posix_, options());
    append_pattern(q, kFileI + 1);
  }
  ASSERT_TRUE(posix_.create_file(seg_path(2 * kFileI), 0).is_ok());  // crash before fallocate
  MappedFileQueue q(posix_, options());
  ASSERT_TRUE(q.load().is_ok());
  EXPECT_EQ(q.segments().size(), 2u);
  EXPECT_FALSE(posix_.exists(seg_path(2 * kFileI)));
}

TEST_F(MappedFileQueueTest, MissingSegmentIsCorruption) {
  {
    MappedFileQueue q(posix_, options());
    append_pattern(q, 2 * kFileI + 1);
  }
  ASSERT_TRUE(posix_.remove_file(seg_path(kFileI)).is_ok());
  MappedFileQueue q(posix_, options());
  common::Status st = q.load();
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find(MappedFile::file_name(2 * kFileI)), std::string_view::npos) << st;
}

TEST_F(MappedFileQueueTest, PowerLossKeepsTheFlushedPrefix) {
  FaultInjectingFileSystem fs(posix_);
  const int64_t flushed_end = 2 * kFileI + 1000;
  {
    MappedFileQueue q(fs, options());
    append_pattern(q, flushed_end);
    ASSERT_TRUE(q.flush().value());
    append_pattern(q, 3 * kFileI);  // never flushed
    EXPECT_EQ(q.flushed_offset(), flushed_end);
    fs.drop_unsynced();
    EXPECT_EQ(q.flush().status().code(), Code::kIOError);  // the old mappings are dead
  }
  MappedFileQueue q(fs, options());
  ASSERT_TRUE(q.load().is_ok());
  ASSERT_EQ(q.segments().size(), 6u);  // created files are durable, their data is not
  // What a log's recovery scan would see: the pattern up to the flushed point, zeros after.
  for (const auto& f : q.segments()) {
    for (uint64_t i = 0; i < kFile; ++i) {
      const int64_t off = f->start_offset() + static_cast<int64_t>(i);
      const uint8_t want = off < flushed_end ? pattern(off) : 0;
      ASSERT_EQ(f->base()[i], want) << off;
    }
  }
  ASSERT_TRUE(q.recover_to(flushed_end).is_ok());
  EXPECT_EQ(q.segments().size(), 3u);
  expect_pattern(q, 0, flushed_end);
  append_pattern(q, kFileI);
  ASSERT_TRUE(q.flush().value());
  expect_pattern(q, 0, q.max_offset());
}

TEST_F(MappedFileQueueTest, ReadersFlusherAndRetentionRunBesideTheWriter) {
  MappedFileQueue q(posix_, options(/*preallocate=*/true));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      const int64_t max = q.max_offset();
      if (max == 0) continue;
      MappedFilePtr f = q.find(max - 1);
      if (f == nullptr) continue;  // deleted meanwhile
      auto b = f->read(static_cast<uint64_t>(max - 1 - f->start_offset()), 1);
      if (!b.ok() || (*b)[0] != pattern(max - 1)) bad.fetch_add(1);
    }
  });
  std::thread flusher_and_retention([&] {
    while (!done.load()) {
      if (!q.flush(0).ok()) bad.fetch_add(1);
      q.delete_leading_if(
          [](const MappedFile& f) { return f.flushed_position() == f.file_size(); });
    }
  });
  for (int i = 0; i < 40; ++i) append_pattern(q, kFileI / 2 + 3);
  done.store(true);
  reader.join();
  flusher_and_retention.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(q.max_offset(), 40 * (kFileI / 2 + 3));
  expect_pattern(q, q.min_offset(), q.max_offset());
}

TEST_F(MappedFileQueueTest, CreateFailureIsReported) {
  FaultInjectingFileSystem fs(posix_);
  MappedFileQueue q(fs, options());
  append_pattern(q, kFileI);
  fs.set_disk_full(true);
  EXPECT_EQ(q.last_for_append().status().code(), Code::kNoSpace);
  EXPECT_EQ(q.segments().size(), 1u);
  fs.set_disk_full(false);
  append_pattern(q, 1);
  EXPECT_EQ(q.segments().size(), 2u);
}

// How many of the pages of [p, p+len) are in the page cache.
size_t resident_pages(const uint8_t* p, size_t len) {
  const size_t page = 4096;
  std::vector<unsigned char> vec((len + page - 1) / page);
  if (::mincore(const_cast<uint8_t*>(p), len, vec.data()) != 0) return SIZE_MAX;
  return static_cast<size_t>(
      std::count_if(vec.begin(), vec.end(), [](unsigned char v) { return (v & 1) != 0; }));
}

TEST_F(MappedFileQueueTest, CacheWindowHandsFlushedPagesBackAndReadsStillSeeThem) {
  constexpr uint64_t kSeg = 4ull << 20;
  constexpr auto kSegI = static_cast<int64_t>(kSeg);
  MappedFileQueueOptions o{dir_.file("cached"), kSeg, false, 0, /*cache_window=*/kSeg};
  MappedFileQueue q(posix_, o);
  append_pattern(q, 3 * kSegI + kSegI / 2);
  ASSERT_EQ(q.segments().size(), 4u);
  for (const auto& seg : q.segments()) {
    ASSERT_GT(resident_pages(seg->base(), kSeg), 0u) << "written pages are cached";
  }
  // Probe: some file systems (tmpfs without swap) cannot drop a page; nothing to check there.
  ASSERT_TRUE(q.flush(0).value());
  const auto segs = q.segments();
  if (resident_pages(segs[0]->base(), kSeg) == kSeg / 4096) {
    GTEST_SKIP() << "this file system keeps released pages (tmpfs?)";
  }
  // Flushed to 3.5 segments, window 1 segment: the first 2.5 segments went back to the kernel.
  EXPECT_EQ(resident_pages(segs[0]->base(), kSeg), 0u);
  EXPECT_EQ(resident_pages(segs[1]->base(), kSeg), 0u);
  EXPECT_EQ(resident_pages(segs[2]->base(), kSeg / 2), 0u);
  EXPECT_EQ(resident_pages(segs[2]->base() + kSeg / 2, kSeg / 2), kSeg / 2 / 4096);
  EXPECT_EQ(resident_pages(segs[3]->base(), kSeg / 2), kSeg / 2 / 4096);
  // Less than a step (4 MiB) more: nothing moves. A step more: the window follows.
  append_pattern(q, kSegI / 4);
  ASSERT_TRUE(q.flush(0).value());
  EXPECT_EQ(resident_pages(segs[2]->base() + kSeg / 2, kSeg / 2), kSeg / 2 / 4096);
  append_pattern(q, 3 * kSegI / 4);  // flushed 4.5 segments: released up to 3.5
  ASSERT_TRUE(q.flush(0).value());
  EXPECT_EQ(resident_pages(segs[2]->base(), kSeg), 0u);
  EXPECT_EQ(resident_pages(segs[3]->base(), kSeg / 2), 0u);
  EXPECT_EQ(resident_pages(segs[3]->base() + kSeg / 2, kSeg / 2), kSeg / 2 / 4096);
  // Released pages read back from the file.
  expect_pattern(q, 0, q.max_offset());
  EXPECT_EQ(resident_pages(segs[0]->base(), kSeg), kSeg / 4096);
}

}  // namespace
}  // namespace rmq::store
