#include "store/file_system.h"

#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace rmq::store {
namespace {

using common::Code;

class PosixFileSystemTest : public ::testing::Test {
 protected:
  FileSystem& fs_ = posix_file_system();
  testutil::TempDir dir_;
};

TEST_F(PosixFileSystemTest, CreateMapSyncAndReadBackAfterUnmap) {
  const std::string path = dir_.file("seg");
  ASSERT_TRUE(fs_.create_file(path, 3 * 4096).is_ok());
  EXPECT_TRUE(fs_.exists(path));
  EXPECT_EQ(fs_.file_size(path).value(), 3u * 4096);
  {
    auto region = fs_.map_file(path);
    ASSERT_TRUE(region.ok()) << region.status();
    auto& r = *region.value();
    ASSERT_EQ(r.size(), 3u * 4096);
    for (size_t i = 0; i < r.size(); ++i) ASSERT_EQ(r.data()[i], 0) << i;  // allocated zeros
    std::memcpy(r.data() + 100, "hello", 5);
    std::memcpy(r.data() + 5000, "world", 5);
    // An unaligned range: the page-aligned msync must cover it.
    ASSERT_TRUE(r.sync(100, 4905).is_ok());
  }
  auto content = fs_.read_file(path);
  ASSERT_TRUE(content.ok());
  ASSERT_EQ(content->size(), 3u * 4096);
  EXPECT_EQ(content->substr(100, 5), "hello");
  EXPECT_EQ(content->substr(5000, 5), "world");
  EXPECT_EQ(content->at(99), '\0');
}

TEST_F(PosixFileSystemTest, CreateExistingFile) {
  const std::string path = dir_.file("seg");
  ASSERT_TRUE(fs_.create_file(path, 4096).is_ok());
  EXPECT_TRUE(fs_.create_file(path, 4096).is_ok());  // same size: nothing to do
  common::Status st = fs_.create_file(path, 8192);
  EXPECT_EQ(st.code(), Code::kAlreadyExists);
  EXPECT_NE(st.message().find(path), std::string_view::npos) << st;
}

TEST_F(PosixFileSystemTest, ZeroSizedFileMaps) {
  const std::string path = dir_.file("empty");
  ASSERT_TRUE(fs_.create_file(path, 0).is_ok());
  auto region = fs_.map_file(path);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_EQ(region.value()->size(), 0u);
  EXPECT_TRUE(region.value()->sync(0, 0).is_ok());
}

TEST_F(PosixFileSystemTest, SyncOutsideMappingIsRejected) {
  const std::string path = dir_.file("seg");
  ASSERT_TRUE(fs_.create_file(path, 4096).is_ok());
  auto region = fs_.map_file(path);
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(region.value()->sync(4000, 97).code(), Code::kInvalidArgument);
  EXPECT_TRUE(region.value()->sync(4000, 96).is_ok());
}

TEST_F(PosixFileSystemTest, PrefaultKeepsContent) {
  const std::string path = dir_.file("seg");
  ASSERT_TRUE(fs_.create_file(path, 4 * 4096).is_ok());
  auto region = fs_.map_file(path);
  ASSERT_TRUE(region.ok());
  auto& r = *region.value();
  r.data()[4097] = 7;
  r.prefault(0, r.size());
  r.prefault(10, 100000);  // clamped to the mapping
  EXPECT_EQ(r.data()[4097], 7);
  EXPECT_EQ(r.data()[0], 0);
}

TEST_F(PosixFileSystemTest, WriteFileAtomicReplacesWholeFile) {
  const std::string path = dir_.file("checkpoint");
  ASSERT_TRUE(fs_.write_file_atomic(path, "first version").is_ok());
  ASSERT_TRUE(fs_.write_file_atomic(path, "v2").is_ok());
  EXPECT_EQ(fs_.read_file(path).value(), "v2");
  EXPECT_FALSE(fs_.exists(path + ".tmp"));
  ASSERT_TRUE(fs_.write_file_atomic(path, std::string(100000, 'z')).is_ok());
  EXPECT_EQ(fs_.read_file(path).value(), std::string(100000, 'z'));
}

TEST_F(PosixFileSystemTest, ListDirIsSortedAndMissingDirIsEmpty) {
  ASSERT_TRUE(fs_.create_dirs(dir_.file("sub/deeper")).is_ok());
  for (const char* name : {"c", "a", "b"}) {
    ASSERT_TRUE(fs_.write_file_atomic(dir_.file(name), name).is_ok());
  }
  auto names = fs_.list_dir(dir_.path().string());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), (std::vector<std::string>{"a", "b", "c", "sub"}));
  auto missing = fs_.list_dir(dir_.file("nope"));
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST_F(PosixFileSystemTest, RemoveTruncateAndTimes) {
  const std::string path = dir_.file("f");
  ASSERT_TRUE(fs_.write_file_atomic(path, "0123456789abc").is_ok());
  ASSERT_TRUE(fs_.truncate(path, 10).is_ok());
  EXPECT_EQ(fs_.read_file(path).value(), "0123456789");
  auto mtime = fs_.modified_ms(path);
  ASSERT_TRUE(mtime.ok());
  EXPECT_GT(mtime.value(), 1'600'000'000'000);  // after 2020
  ASSERT_TRUE(fs_.remove_file(path).is_ok());
  EXPECT_FALSE(fs_.exists(path));

  ASSERT_TRUE(fs_.create_dirs(dir_.file("tree/a/b")).is_ok());
  ASSERT_TRUE(fs_.write_file_atomic(dir_.file("tree/a/b/x"), "x").is_ok());
  ASSERT_TRUE(fs_.remove_all(dir_.file("tree")).is_ok());
  EXPECT_FALSE(fs_.exists(dir_.file("tree")));
  EXPECT_TRUE(fs_.remove_all(dir_.file("tree")).is_ok());  // already gone
}

TEST_F(PosixFileSystemTest, DiskUsageIsSaneAndUsesNearestExistingDir) {
  auto usage = fs_.disk_usage(dir_.path().string());
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_GT(usage->total_bytes, 0u);
  EXPECT_LE(usage->free_bytes, usage->total_bytes);
  EXPECT_GE(usage->used_ratio(), 0.0);
  EXPECT_LE(usage->used_ratio(), 1.0);
  auto missing = fs_.disk_usage(dir_.file("not/yet/created"));
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->total_bytes, usage->total_bytes);
}

TEST_F(PosixFileSystemTest, ErrorsNameThePath) {
  const std::string missing = dir_.file("missing");
  auto expect_names = [&](const common::Status& st, Code code) {
    EXPECT_EQ(st.code(), code) << st;
    EXPECT_NE(st.message().find(missing), std::string_view::npos) << st;
    EXPECT_NE(st.message().find("No such file"), std::string_view::npos) << st;
  };
  expect_names(fs_.read_file(missing).status(), Code::kNotFound);
  expect_names(fs_.map_file(missing).status(), Code::kNotFound);
  expect_names(fs_.file_size(missing).status(), Code::kNotFound);
  expect_names(fs_.modified_ms(missing).status(), Code::kNotFound);
  expect_names(fs_.remove_file(missing), Code::kNotFound);
  expect_names(fs_.truncate(missing, 0), Code::kNotFound);
  const std::string in_missing_dir = missing + "/seg";
  common::Status st = fs_.create_file(in_missing_dir, 4096);
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find(in_missing_dir), std::string_view::npos) << st;
  EXPECT_FALSE(fs_.write_file_atomic(in_missing_dir, "x").is_ok());
}

}  // namespace
}  // namespace rmq::store
