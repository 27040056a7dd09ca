#include "store/mapped_file.h"

#include "store/fault_injecting_file_system.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace rmq::store {
namespace {

using common::Code;

constexpr uint64_t kSize = 4 * 4096;

std::string str(common::ByteView v) { return std::string(common::as_string_view(v)); }

class MappedFileTest : public ::testing::Test {
 protected:
  MappedFilePtr create(FileSystem& fs, int64_t start = 0, uint64_t size = kSize) {
    auto f = MappedFile::create(fs, dir_.path().string(), start, size);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? f.value() : nullptr;
  }

  testutil::TempDir dir_;
  FileSystem& posix_ = posix_file_system();
};

TEST(MappedFileNameTest, TwentyDigitsZeroPadded) {
  EXPECT_EQ(MappedFile::file_name(0), "00000000000000000000");
  EXPECT_EQ(MappedFile::file_name(1073741824), "00000000001073741824");
  EXPECT_EQ(MappedFile::file_name(INT64_MAX), "09223372036854775807");
}

TEST_F(MappedFileTest, AppendAndRead) {
  auto f = create(posix_, 8192);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->start_offset(), 8192);
  EXPECT_EQ(f->path(), dir_.file("00000000000000008192"));
  EXPECT_EQ(f->file_size(), kSize);
  EXPECT_EQ(f->wrote_position(), 0u);
  ASSERT_TRUE(f->append(common::as_bytes("abc")).is_ok());
  ASSERT_TRUE(f->append(common::as_bytes("defg")).is_ok());
  EXPECT_EQ(f->wrote_position(), 7u);
  EXPECT_EQ(f->free_space(), kSize - 7);
  EXPECT_EQ(str(f->read(0, 7).value()), "abcdefg");
  EXPECT_EQ(str(f->read(3, 2).value()), "de");
  EXPECT_TRUE(f->read(7, 0).ok());
  EXPECT_EQ(f->read(5, 3).status().code(), Code::kOutOfRange);  // past the written part
  EXPECT_EQ(f->read(8, 0).status().code(), Code::kOutOfRange);
  EXPECT_EQ(f->read(UINT64_MAX, 2).status().code(), Code::kOutOfRange);
}

TEST_F(MappedFileTest, WritableTailAndPublish) {
  auto f = create(posix_);
  ASSERT_NE(f, nullptr);
  std::memcpy(f->writable_tail(), "xyz", 3);
  EXPECT_EQ(f->read(0, 1).status().code(), Code::kOutOfRange);  // not published yet
  f->publish(3);
  EXPECT_EQ(str(f->read(0, 3).value()), "xyz");
}

TEST_F(MappedFileTest, AppendThatDoesNotFitIsOutOfRange) {
  auto f = create(posix_);
  ASSERT_NE(f, nullptr);
  const std::string almost(kSize - 2, 'a');
  ASSERT_TRUE(f->append(common::as_bytes(almost)).is_ok());
  common::Status st = f->append(common::as_bytes("xyz"));
  EXPECT_EQ(st.code(), Code::kOutOfRange);
  EXPECT_EQ(f->wrote_position(), kSize - 2);
  ASSERT_TRUE(f->append(common::as_bytes("xy")).is_ok());
  EXPECT_TRUE(f->is_full());
  EXPECT_EQ(f->append(common::as_bytes("z")).code(), Code::kOutOfRange);
}

TEST_F(MappedFileTest, FlushHonoursLeastPages) {
  FaultInjectingFileSystem fs(posix_);
  auto f = create(fs);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->append(common::as_bytes(std::string(100, 'a'))).is_ok());
  EXPECT_EQ(f->flush(1).value(), 0u);  // less than a page dirty
  EXPECT_EQ(fs.syncs(), 0u);
  EXPECT_EQ(f->flush(0).value(), 100u);
  EXPECT_EQ(f->flushed_position(), 100u);
  EXPECT_EQ(fs.bytes_synced(), 100u);
  EXPECT_EQ(f->flush(0).value(), 100u);  // nothing dirty: no sync
  EXPECT_EQ(fs.syncs(), 1u);

  ASSERT_TRUE(f->append(common::as_bytes(std::string(8192, 'b'))).is_ok());
  EXPECT_EQ(f->flush(3).value(), 100u);
  EXPECT_EQ(f->flush(2).value(), 8292u);
  EXPECT_EQ(fs.bytes_synced(), 8292u);
}

TEST_F(MappedFileTest, FullSegmentFlushesWhateverLeastPages) {
  auto f = create(posix_);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->append(common::as_bytes(std::string(kSize - 10, 'a'))).is_ok());
  ASSERT_EQ(f->flush(0).value(), kSize - 10);
  ASSERT_TRUE(f->append(common::as_bytes(std::string(10, 'b'))).is_ok());
  EXPECT_EQ(f->flush(4).value(), kSize);
}

TEST_F(MappedFileTest, FlushFailureKeepsPosition) {
  FaultInjectingFileSystem fs(posix_);
  auto f = create(fs);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->append(common::as_bytes("abc")).is_ok());
  fs.set_sync_fails(true);
  auto r = f->flush(0);
  EXPECT_EQ(r.status().code(), Code::kIOError);
  EXPECT_NE(r.status().message().find(f->path()), std::string_view::npos) << r.status();
  EXPECT_EQ(f->flushed_position(), 0u);
  fs.set_sync_fails(false);
  EXPECT_EQ(f->flush(0).value(), 3u);
}

TEST_F(MappedFileTest, ResetPositionsZeroesTheTailDurably) {
  FaultInjectingFileSystem fs(posix_);
  auto f = create(fs);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->append(common::as_bytes(std::string(6000, 'x'))).is_ok());
  ASSERT_EQ(f->flush(0).value(), 6000u);
  ASSERT_TRUE(f->append(common::as_bytes(std::string(1000, 'y'))).is_ok());  // not flushed

  f->reset_positions(1000);
  EXPECT_EQ(f->wrote_position(), 1000u);
  EXPECT_EQ(f->flushed_position(), 1000u);
  for (uint64_t i = 1000; i < kSize; ++i) ASSERT_EQ(f->base()[i], 0) << i;
  EXPECT_EQ(f->read(999, 2).status().code(), Code::kOutOfRange);

  // The zeros are durable: after a power loss the flushed 'x' bytes past 1000 do not come back.
  fs.drop_unsynced();
  const std::string content = fs.read_file(f->path()).value();
  EXPECT_EQ(content.substr(0, 1000), std::string(1000, 'x'));
  EXPECT_EQ(content.substr(1000), std::string(kSize - 1000, '\0'));
}

TEST_F(MappedFileTest, ResetPositionsMakesUnflushedPrefixDurable) {
  FaultInjectingFileSystem fs(posix_);
  auto f = create(fs);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->append(common::as_bytes(std::string(3000, 'x'))).is_ok());
  f->reset_positions(2000);  // a Raft truncation of an unflushed suffix
  EXPECT_EQ(f->flushed_position(), 2000u);
  fs.drop_unsynced();
  const std::string content = fs.read_file(f->path()).value();
  EXPECT_EQ(content.substr(0, 2000), std::string(2000, 'x'));
  EXPECT_EQ(content[2000], '\0');
}

TEST_F(MappedFileTest, ResetAfterOpenOnlyTouchesGarbage) {
  {
    auto f = create(posix_);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(f->append(common::as_bytes(std::string(5000, 'x'))).is_ok());
    ASSERT_TRUE(f->flush(0).ok());
  }
  FaultInjectingFileSystem fs(posix_);
  auto f = MappedFile::open(fs, dir_.file(MappedFile::file_name(0)), kSize);
  ASSERT_TRUE(f.ok()) << f.status();
  (*f)->reset_positions(kSize);  // recovery of a full segment: no write at all
  EXPECT_EQ(fs.syncs(), 0u);
  EXPECT_TRUE((*f)->is_full());
  (*f)->reset_positions(4000);  // garbage in page 0 (from 4000) and page 1 only
  EXPECT_EQ(fs.syncs(), 1u);
  EXPECT_EQ(fs.bytes_synced(), 8192u - 4000u);
  EXPECT_EQ(str((*f)->read(3998, 2).value()), "xx");
}

TEST_F(MappedFileTest, OpenChecksSizeAndName) {
  auto created = create(posix_, 4096, kSize);
  ASSERT_NE(created, nullptr);
  auto wrong = MappedFile::open(posix_, created->path(), 2 * kSize);
  EXPECT_EQ(wrong.status().code(), Code::kCorruption);
  EXPECT_NE(wrong.status().message().find(created->path()), std::string_view::npos)
      << wrong.status();

  auto ok = MappedFile::open(posix_, created->path(), kSize);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok.value()->start_offset(), 4096);
  EXPECT_EQ(ok.value()->wrote_position(), 0u);

  ASSERT_TRUE(posix_.create_file(dir_.file("not-a-segment"), kSize).is_ok());
  EXPECT_FALSE(MappedFile::open(posix_, dir_.file("not-a-segment"), kSize).ok());
  EXPECT_EQ(MappedFile::open(posix_, dir_.file("00000000000000099999"), kSize).status().code(),
            Code::kNotFound);
}

TEST_F(MappedFileTest, DataSurvivesReopen) {
  {
    auto f = create(posix_);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(f->append(common::as_bytes("persisted")).is_ok());
    ASSERT_TRUE(f->flush(0).ok());
  }
  auto f = MappedFile::open(posix_, dir_.file(MappedFile::file_name(0)), kSize);
  ASSERT_TRUE(f.ok());
  (*f)->reset_positions(9);
  EXPECT_EQ(str((*f)->read(0, 9).value()), "persisted");
}

TEST_F(MappedFileTest, DestroyUnlinksButMappingLives) {
  auto f = create(posix_);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->append(common::as_bytes("still here")).is_ok());
  ASSERT_TRUE(f->destroy().is_ok());
  EXPECT_FALSE(posix_.exists(f->path()));
  EXPECT_EQ(str(f->read(0, 10).value()), "still here");
}

TEST_F(MappedFileTest, WarmUpKeepsContent) {
  auto f = create(posix_);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->append(common::as_bytes("abc")).is_ok());
  f->warm_up();
  EXPECT_EQ(str(f->read(0, 3).value()), "abc");
  EXPECT_EQ(f->base()[3], 0);
}

TEST_F(MappedFileTest, CreateFailsWhenDiskIsFull) {
  FaultInjectingFileSystem fs(posix_);
  fs.set_disk_full(true);
  auto f = MappedFile::create(fs, dir_.path().string(), 0, kSize);
  EXPECT_EQ(f.status().code(), Code::kNoSpace);
}

}  // namespace
}  // namespace rmq::store
