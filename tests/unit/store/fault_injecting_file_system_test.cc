#include "store/fault_injecting_file_system.h"

#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace rmq::store {
namespace {

using common::Code;

class FaultInjectingFileSystemTest : public ::testing::Test {
 protected:
  std::unique_ptr<MappedRegion> create_and_map(const std::string& path, uint64_t size) {
    EXPECT_TRUE(fs_.create_file(path, size).is_ok());
    auto region = fs_.map_file(path);
    EXPECT_TRUE(region.ok()) << region.status();
    return region.ok() ? std::move(region).value() : nullptr;
  }

  testutil::TempDir dir_;
  FaultInjectingFileSystem fs_{posix_file_system()};
};

TEST_F(FaultInjectingFileSystemTest, DropUnsyncedKeepsOnlySyncedBytes) {
  const std::string path = dir_.file("seg");
  auto region = create_and_map(path, 2 * 4096);
  ASSERT_NE(region, nullptr);
  std::memcpy(region->data(), "hello", 5);
  std::memcpy(region->data() + 4096, "world", 5);
  ASSERT_TRUE(region->sync(0, 5).is_ok());
  EXPECT_EQ(fs_.syncs(), 1u);
  EXPECT_EQ(fs_.bytes_synced(), 5u);

  fs_.drop_unsynced();
  const std::string content = fs_.read_file(path).value();
  ASSERT_EQ(content.size(), 2u * 4096);
  EXPECT_EQ(content.substr(0, 5), "hello");
  EXPECT_EQ(content.substr(4096, 5), std::string(5, '\0'));

  // The old mapping is dead; a new one sees what survived.
  common::Status st = region->sync(4096, 5);
  EXPECT_EQ(st.code(), Code::kIOError);
  EXPECT_NE(st.message().find("crashed"), std::string_view::npos) << st;
  auto again = fs_.map_file(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::memcmp(again.value()->data(), "hello", 5), 0);
  EXPECT_EQ(again.value()->data()[4096], 0);
  EXPECT_TRUE(again.value()->sync(0, 10).is_ok());
}

TEST_F(FaultInjectingFileSystemTest, UnsyncedWritesNeverReachTheFile) {
  const std::string path = dir_.file("seg");
  auto region = create_and_map(path, 4096);
  ASSERT_NE(region, nullptr);
  std::memset(region->data(), 'x', 4096);
  EXPECT_EQ(fs_.read_file(path).value(), std::string(4096, '\0'));
  ASSERT_TRUE(region->sync(10, 20).is_ok());
  const std::string content = fs_.read_file(path).value();
  EXPECT_EQ(content.substr(10, 20), std::string(20, 'x'));
  EXPECT_EQ(content[9], '\0');
  EXPECT_EQ(content[30], '\0');
}

TEST_F(FaultInjectingFileSystemTest, MappingsOfOneFileShareMemory) {
  const std::string path = dir_.file("seg");
  auto a = create_and_map(path, 4096);
  ASSERT_NE(a, nullptr);
  auto b = fs_.map_file(path);
  ASSERT_TRUE(b.ok());
  a->data()[7] = 42;
  EXPECT_EQ(b.value()->data()[7], 42);
}

TEST_F(FaultInjectingFileSystemTest, SyncFailureWritesNothing) {
  const std::string path = dir_.file("seg");
  auto region = create_and_map(path, 4096);
  ASSERT_NE(region, nullptr);
  region->data()[0] = 'a';
  fs_.set_sync_fails(true);
  common::Status st = region->sync(0, 1);
  EXPECT_EQ(st.code(), Code::kIOError);
  EXPECT_NE(st.message().find(path), std::string_view::npos) << st;
  EXPECT_EQ(fs_.write_file_atomic(dir_.file("meta"), "x").code(), Code::kIOError);
  EXPECT_EQ(fs_.syncs(), 0u);
  fs_.drop_unsynced();
  EXPECT_EQ(fs_.read_file(path).value()[0], '\0');

  fs_.set_sync_fails(false);
  auto again = fs_.map_file(path);
  ASSERT_TRUE(again.ok());
  again.value()->data()[0] = 'b';
  EXPECT_TRUE(again.value()->sync(0, 1).is_ok());
  EXPECT_EQ(fs_.read_file(path).value()[0], 'b');
}

TEST_F(FaultInjectingFileSystemTest, DiskFullRefusesNewFiles) {
  const std::string path = dir_.file("seg");
  fs_.set_disk_full(true);
  common::Status st = fs_.create_file(path, 4096);
  EXPECT_EQ(st.code(), Code::kNoSpace);
  EXPECT_NE(st.message().find(path), std::string_view::npos) << st;
  EXPECT_FALSE(fs_.exists(path));
  EXPECT_EQ(fs_.write_file_atomic(dir_.file("meta"), "x").code(), Code::kNoSpace);
  EXPECT_FALSE(fs_.exists(dir_.file("meta")));
  fs_.set_disk_full(false);
  EXPECT_TRUE(fs_.create_file(path, 4096).is_ok());
  EXPECT_TRUE(fs_.write_file_atomic(dir_.file("meta"), "x").is_ok());
}

TEST_F(FaultInjectingFileSystemTest, CrashedFreezesTheDisk) {
  const std::string path = dir_.file("seg");
  auto region = create_and_map(path, 4096);
  ASSERT_NE(region, nullptr);
  ASSERT_TRUE(fs_.write_file_atomic(dir_.file("meta"), "v1").is_ok());
  region->data()[0] = 'a';
  fs_.drop_unsynced();
  fs_.set_crashed(true);
  // The dying process's shutdown path changes nothing.
  EXPECT_EQ(fs_.write_file_atomic(dir_.file("meta"), "v2").code(), Code::kIOError);
  EXPECT_EQ(fs_.remove_file(dir_.file("meta")).code(), Code::kIOError);
  EXPECT_EQ(fs_.create_file(dir_.file("seg2"), 4096).code(), Code::kIOError);
  EXPECT_EQ(fs_.create_dirs(dir_.file("d")).code(), Code::kIOError);
  EXPECT_EQ(fs_.truncate(path, 0).code(), Code::kIOError);
  EXPECT_EQ(fs_.remove_all(dir_.path().string()).code(), Code::kIOError);
  EXPECT_EQ(region->sync(0, 1).code(), Code::kIOError);
  auto fresh = fs_.map_file(path);  // reading still works
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh.value()->sync(0, 1).code(), Code::kIOError);
  fs_.set_crashed(false);
  EXPECT_EQ(fs_.read_file(dir_.file("meta")).value(), "v1");
  EXPECT_FALSE(fs_.exists(dir_.file("seg2")));
  EXPECT_EQ(fs_.file_size(path).value(), 4096u);
  EXPECT_EQ(fs_.read_file(path).value()[0], '\0');
  EXPECT_TRUE(fresh.value()->sync(0, 1).is_ok());  // mapped after the crash: alive again
}

TEST_F(FaultInjectingFileSystemTest, WriteFileAtomicIsDurable) {
  ASSERT_TRUE(fs_.write_file_atomic(dir_.file("meta"), "v1").is_ok());
  fs_.drop_unsynced();
  EXPECT_EQ(fs_.read_file(dir_.file("meta")).value(), "v1");
}

TEST_F(FaultInjectingFileSystemTest, FakeDiskUsage) {
  fs_.set_disk_usage(DiskUsage{1000, 100});
  auto usage = fs_.disk_usage(dir_.path().string());
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->total_bytes, 1000u);
  EXPECT_DOUBLE_EQ(usage->used_ratio(), 0.9);
  fs_.set_disk_usage(std::nullopt);
  EXPECT_NE(fs_.disk_usage(dir_.path().string())->total_bytes, 1000u);
}

TEST_F(FaultInjectingFileSystemTest, SyncAfterUnlinkDoesNotTouchANewFileOfTheSameName) {
  const std::string path = dir_.file("seg");
  auto old_region = create_and_map(path, 4096);
  ASSERT_NE(old_region, nullptr);
  ASSERT_TRUE(fs_.remove_file(path).is_ok());
  auto new_region = create_and_map(path, 4096);
  ASSERT_NE(new_region, nullptr);
  EXPECT_EQ(new_region->data()[0], 0);
  old_region->data()[0] = 'o';
  EXPECT_TRUE(old_region->sync(0, 1).is_ok());  // lands in the unlinked inode
  EXPECT_EQ(new_region->data()[0], 0);
  EXPECT_EQ(fs_.read_file(path).value()[0], '\0');
}

TEST_F(FaultInjectingFileSystemTest, DelegatesTheRest) {
  ASSERT_TRUE(fs_.create_dirs(dir_.file("a/b")).is_ok());
  ASSERT_TRUE(fs_.write_file_atomic(dir_.file("a/b/f"), "12345").is_ok());
  EXPECT_TRUE(fs_.exists(dir_.file("a/b/f")));
  EXPECT_EQ(fs_.file_size(dir_.file("a/b/f")).value(), 5u);
  EXPECT_EQ(fs_.list_dir(dir_.file("a")).value(), std::vector<std::string>{"b"});
  ASSERT_TRUE(fs_.truncate(dir_.file("a/b/f"), 2).is_ok());
  EXPECT_EQ(fs_.read_file(dir_.file("a/b/f")).value(), "12");
  EXPECT_TRUE(fs_.modified_ms(dir_.file("a/b/f")).ok());
  ASSERT_TRUE(fs_.remove_all(dir_.file("a")).is_ok());
  EXPECT_FALSE(fs_.exists(dir_.file("a")));
  EXPECT_EQ(fs_.map_file(dir_.file("a/b/f")).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace rmq::store
