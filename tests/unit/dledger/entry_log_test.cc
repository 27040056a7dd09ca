// EntryLog: layout (golden bytes), placement and blank fill across small segments, identical
// positions on leader and follower, truncation, recovery from torn and corrupt tails at every byte,
// index rebuild, hard state, and power loss through FaultInjectingFileSystem.
#include "dledger/entry_log.h"

#include "common/bytes.h"
#include "common/crc32.h"
#include "common/logging.h"
#include "store/fault_injecting_file_system.h"
#include "store/file_system.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace rmq::dledger {
namespace {

namespace fs = std::filesystem;
using common::Code;

constexpr uint64_t kDataFile = 4096;
constexpr uint64_t kIndexFile = 32 * 16;  // 16 units per index segment
constexpr size_t kAll = SIZE_MAX;

EntryLogOptions small_options(const std::string& dir) {
  EntryLogOptions o;
  o.dir = dir;
  o.data_file_size = kDataFile;
  o.index_file_size = kIndexFile;
  return o;
}

std::string body_for(int64_t index, uint64_t term) {
  return "e" + std::to_string(index) + "t" + std::to_string(term) + ":" +
         std::string(static_cast<size_t>((index * 37) % 300), static_cast<char>('a' + index % 26));
}

Entry make_entry(int64_t index, uint64_t term, std::string body,
                 EntryType type = EntryType::kMessage) {
  Entry e;
  e.index = LogIndex(index);
  e.term = Term(term);
  e.type = type;
  e.data = std::make_shared<const std::string>(std::move(body));
  return e;
}

std::vector<Entry> make_range(int64_t from, int64_t to, uint64_t term) {
  std::vector<Entry> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(make_entry(i, term, body_for(i, term)));
  return out;
}

// 1..n of term 1 whose last entry is short, so tests that damage it byte by byte stay quick.
std::vector<Entry> short_last_range(int64_t n) {
  std::vector<Entry> out = make_range(1, n - 1, 1);
  out.push_back(make_entry(n, 1, "last-entry-body"));
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Every segment of a queue directory concatenated, in name order.
std::string read_queue(const fs::path& dir) {
  std::vector<fs::path> files;
  if (fs::exists(dir)) {
    for (const auto& d : fs::directory_iterator(dir)) files.push_back(d.path());
  }
  std::sort(files.begin(), files.end());
  std::string out;
  for (const auto& f : files) out += read_file(f);
  return out;
}

fs::path segment_path(const fs::path& dir, int64_t start) {
  return dir / store::MappedFile::file_name(start);
}

// Overwrites bytes of a file in place (no O_TRUNC: ext4 flushes a truncated-and-rewritten file
// on close, which makes loops of reopens slow).
void overwrite(const fs::path& p, uint64_t at, const std::string& bytes) {
  std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
  ASSERT_TRUE(f.is_open()) << p;
  f.seekp(static_cast<std::streamoff>(at));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << p;
}
// Flips (xor 0xFF) one byte, or zeroes every byte from `from` on.
void flip_byte(const fs::path& p, uint64_t at) {
  const std::string b = read_file(p);
  ASSERT_LT(at, b.size());
  overwrite(p, at, std::string(1, static_cast<char>(b[at] ^ 0xFF)));
}
void zero_from(const fs::path& p, uint64_t from) {
  const uint64_t size = fs::file_size(p);
  ASSERT_LE(from, size);
  overwrite(p, from, std::string(size - from, '\0'));
}

class EntryLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    common::LoggingOptions quiet;
    quiet.level = "off";
    common::init_logging(quiet);
  }

  std::string dir() const { return tmp_.file("log"); }
  fs::path data_dir() const { return fs::path(dir()) / "data"; }
  fs::path index_dir() const { return fs::path(dir()) / "index"; }

  std::unique_ptr<EntryLog> open_log(store::FileSystem& fs, EntryLogOptions o) {
    auto log = std::make_unique<EntryLog>(fs, std::move(o));
    common::Status st = log->open();
    EXPECT_TRUE(st.is_ok()) << st;
    return st.is_ok() ? std::move(log) : nullptr;
  }
  std::unique_ptr<EntryLog> open_log() {
    return open_log(store::posix_file_system(), small_options(dir()));
  }
  // For tests that reopen hundreds of times: syncs are plain writes, without fsync or msync.
  std::unique_ptr<EntryLog> open_fast() { return open_log(no_fsync_, small_options(dir())); }

  static std::vector<Entry> all(const EntryLog& log) {
    auto r = log.entries(LogIndex(1), log.last_index().next(), kAll);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<Entry>{};
  }

  testutil::TempDir tmp_;
  store::FaultInjectingFileSystem no_fsync_{store::posix_file_system()};
};

TEST_F(EntryLogTest, GoldenEntryAndIndexUnitBytes) {
  auto log = open_log();
  ASSERT_TRUE(log->append({make_entry(1, 2, "hello")}).is_ok());
  ASSERT_TRUE(log->close().is_ok());

  common::Buffer h;
  h.put_u32(0xD1ED0E01);  // magic
  h.put_u32(53);          // header 48 + body 5
  h.put_i64(1);           // index
  h.put_u64(2);           // term
  h.put_i64(0);           // position
  h.put_u8(1);            // EntryType::kMessage
  h.put_bytes("\0\0\0", 3);
  h.put_u32(5);           // body length
  h.put_u32(0x3610A686);  // crc32("hello")
  h.put_u32(common::crc32(h.data(), h.size()));
  ASSERT_EQ(h.size(), 48u);
  const std::string data = read_file(segment_path(data_dir(), 0));
  ASSERT_EQ(data.size(), kDataFile);
  EXPECT_EQ(data.substr(0, 48), std::string(h.str()));
  EXPECT_EQ(data.substr(48, 5), "hello");
  EXPECT_EQ(data.substr(53), std::string(kDataFile - 53, '\0'));

  common::Buffer u;
  u.put_u32(0xD1ED01DC);
  u.put_i64(0);   // position
  u.put_u32(53);  // size
  u.put_i64(1);   // index
  u.put_u64(2);   // term
  const std::string index = read_file(segment_path(index_dir(), 0));
  EXPECT_EQ(index.substr(0, 32), std::string(u.str()));
  EXPECT_EQ(index.substr(32), std::string(kIndexFile - 32, '\0'));

  EXPECT_EQ(read_file(fs::path(dir()) / "clean"), "1 53\n");
}

TEST_F(EntryLogTest, AppendsAndReadsAcrossManySegments) {
  auto log = open_log();
  EXPECT_EQ(log->first_index(), LogIndex(1));
  EXPECT_EQ(log->last_index(), LogIndex(0));
  EXPECT_EQ(log->term(LogIndex(0)), Term(0));
  EXPECT_EQ(log->term(LogIndex(1)), std::nullopt);
  std::vector<Entry> want;
  for (int64_t from = 1; from <= 300; from += 7) {
    std::vector<Entry> batch = make_range(from, std::min<int64_t>(from + 6, 300), 1 + from / 50);
    ASSERT_TRUE(log->append(batch).is_ok());
    want.insert(want.end(), batch.begin(), batch.end());
  }
  ASSERT_EQ(log->last_index(), LogIndex(300));
  EXPECT_GT(fs::file_size(segment_path(data_dir(), 0)), 0u);
  EXPECT_GE(std::distance(fs::directory_iterator(data_dir()), fs::directory_iterator()), 10);
  EXPECT_GE(std::distance(fs::directory_iterator(index_dir()), fs::directory_iterator()), 18);

  const std::vector<Entry> got = all(*log);
  ASSERT_EQ(got, want);
  int64_t prev_end = 0;
  for (const Entry& e : got) {
    EXPECT_EQ(log->term(e.index), e.term);
    const auto size = static_cast<int64_t>(EntryLog::kHeaderSize + e.size());
    EXPECT_GE(e.position, prev_end);
    // Never straddles a segment, and always leaves room for a blank record.
    EXPECT_EQ(e.position / 4096, (e.position + size + 7) / 4096) << e.index;
    EXPECT_EQ(*log->position_of(e.index), e.position);
    prev_end = e.position + size;
  }
  EXPECT_EQ(log->data_end(), prev_end);
  EXPECT_EQ(log->term(LogIndex(301)), std::nullopt);

  // Byte limits: stop before exceeding max_bytes, but always at least one entry.
  auto one = log->entries(LogIndex(10), LogIndex(20), 0);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front(), want[9]);
  const size_t two = want[9].size() + want[10].size();
  auto limited = log->entries(LogIndex(10), LogIndex(20), two);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 2u);
  auto empty = log->entries(LogIndex(5), LogIndex(5), kAll);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(log->entries(LogIndex(0), LogIndex(3), kAll).status().code(), Code::kOutOfRange);
  EXPECT_EQ(log->entries(LogIndex(299), LogIndex(302), kAll).status().code(), Code::kOutOfRange);
  EXPECT_EQ(log->locate(LogIndex(301)).status().code(), Code::kOutOfRange);
}

TEST_F(EntryLogTest, BlankRecordClosesASegmentTheNextEntryDoesNotFit) {
  auto log = open_log();
  // 48 + 3000 = 3048; the next 48 + 1000 = 1048 needs 1048 + 8 > 4096 - 3048 bytes.
  std::vector<Entry> batch = {make_entry(1, 1, std::string(3000, 'x')),
                              make_entry(2, 1, std::string(1000, 'y')),
                              make_entry(3, 1, std::string(4040, 'z')),  // fills to 4096-8
                              make_entry(4, 1, "")};
  ASSERT_TRUE(log->append_assign(batch).is_ok());
  EXPECT_EQ(batch[0].position, 0);
  EXPECT_EQ(batch[1].position, 4096);
  EXPECT_EQ(batch[2].position, 8192);
  EXPECT_EQ(batch[3].position, 12288);  // only the 8-byte blank was left
  ASSERT_TRUE(log->sync().is_ok());
  const std::string seg0 = read_file(segment_path(data_dir(), 0));
  common::Buffer blank;
  blank.put_u32(EntryLog::kBlankMagic);
  blank.put_u32(4096 - 3048);
  EXPECT_EQ(seg0.substr(3048, 8), std::string(blank.str()));
  EXPECT_EQ(seg0.substr(3056), std::string(4096 - 3056, '\0'));
  const std::string seg2 = read_file(segment_path(data_dir(), 8192));
  common::Buffer small_blank;
  small_blank.put_u32(EntryLog::kBlankMagic);
  small_blank.put_u32(8);
  EXPECT_EQ(seg2.substr(4088), std::string(small_blank.str()));
  EXPECT_EQ(all(*log), batch);

  // Too large for any segment (4096 - 48 - 8 = 4040 is the largest body).
  EXPECT_EQ(log->append({make_entry(5, 1, std::string(4041, 'q'))}).code(), Code::kInvalidArgument);
  EXPECT_EQ(log->last_index(), LogIndex(4));
}

TEST_F(EntryLogTest, FollowerLandsEntriesAtTheLeadersPositions) {
  store::FileSystem& posix = store::posix_file_system();
  EntryLog leader(posix, small_options(tmp_.file("leader")));
  EntryLog follower(posix, small_options(tmp_.file("follower")));
  ASSERT_TRUE(leader.open().is_ok());
  ASSERT_TRUE(follower.open().is_ok());
  for (int64_t from = 1; from <= 120; from += 10) {
    std::vector<Entry> batch = make_range(from, from + 9, 3);
    ASSERT_TRUE(leader.append_assign(batch).is_ok());
    for (const Entry& e : batch) ASSERT_GE(e.position, 0);
    ASSERT_TRUE(follower.append(batch).is_ok());
  }
  EXPECT_EQ(all(leader), all(follower));
  EXPECT_EQ(leader.data_end(), follower.data_end());

  // A wrong position is refused and nothing is written.
  std::vector<Entry> next = make_range(121, 122, 3);
  ASSERT_TRUE(leader.append_assign(next).is_ok());
  std::vector<Entry> wrong = next;
  wrong[1].position += 1;
  const int64_t end_before = follower.data_end();
  EXPECT_EQ(follower.append(wrong).code(), Code::kCorruption);
  EXPECT_EQ(follower.last_index(), LogIndex(120));
  EXPECT_EQ(follower.data_end(), end_before);
  ASSERT_TRUE(follower.append(next).is_ok());

  ASSERT_TRUE(leader.close().is_ok());
  ASSERT_TRUE(follower.close().is_ok());
  EXPECT_EQ(read_queue(fs::path(tmp_.file("leader")) / "data"),
            read_queue(fs::path(tmp_.file("follower")) / "data"));
  EXPECT_EQ(read_queue(fs::path(tmp_.file("leader")) / "index"),
            read_queue(fs::path(tmp_.file("follower")) / "index"));
}

TEST_F(EntryLogTest, TruncatesAConflictingSuffixAndStaysCanonical) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_range(1, 60, 1)).is_ok());
  // Replace 30.. with fewer, differently sized entries of term 2 (crosses blank records).
  std::vector<Entry> replacement;
  for (int64_t i = 30; i <= 40; ++i)
    replacement.push_back(make_entry(i, 2, "short" + std::to_string(i)));
  ASSERT_TRUE(log->append(replacement).is_ok());
  EXPECT_EQ(log->last_index(), LogIndex(40));
  EXPECT_EQ(log->term(LogIndex(29)), Term(1));
  EXPECT_EQ(log->term(LogIndex(30)), Term(2));
  std::vector<Entry> want = make_range(1, 29, 1);
  want.insert(want.end(), replacement.begin(), replacement.end());
  EXPECT_EQ(all(*log), want);
  ASSERT_TRUE(log->append(make_range(41, 45, 2)).is_ok());
  ASSERT_TRUE(log->close().is_ok());

  // Byte-identical to a log that never held the truncated entries.
  EntryLog fresh(store::posix_file_system(), small_options(tmp_.file("fresh")));
  ASSERT_TRUE(fresh.open().is_ok());
  ASSERT_TRUE(fresh.append(want).is_ok());
  ASSERT_TRUE(fresh.append(make_range(41, 45, 2)).is_ok());
  ASSERT_TRUE(fresh.close().is_ok());
  EXPECT_EQ(read_queue(data_dir()), read_queue(fs::path(tmp_.file("fresh")) / "data"));
  EXPECT_EQ(read_queue(index_dir()), read_queue(fs::path(tmp_.file("fresh")) / "index"));

  auto reopened = open_log();
  const std::vector<Entry> tail = make_range(41, 45, 2);
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(reopened->last_index(), LogIndex(45));
  EXPECT_EQ(all(*reopened), want);
  // Truncate everything.
  ASSERT_TRUE(reopened->append(make_range(1, 2, 7)).is_ok());
  EXPECT_EQ(all(*reopened), make_range(1, 2, 7));
  EXPECT_EQ(reopened->data_end(),
            all(*reopened)[1].position + 48 + static_cast<int64_t>(all(*reopened)[1].size()));
}

TEST_F(EntryLogTest, RefusesNonContiguousAppends) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_range(1, 3, 1)).is_ok());
  EXPECT_EQ(log->append(make_range(5, 6, 1)).code(), Code::kInvalidArgument);
  EXPECT_EQ(log->append({make_entry(0, 1, "zero")}).code(), Code::kInvalidArgument);
  EXPECT_EQ(log->append({make_entry(4, 1, "a"), make_entry(6, 1, "b")}).code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(log->append({}).is_ok());
  EXPECT_EQ(log->last_index(), LogIndex(3));
}

TEST_F(EntryLogTest, ReopensAfterCleanAndUncleanShutdown) {
  std::vector<Entry> want = make_range(1, 80, 1);
  {
    auto log = open_log();
    ASSERT_TRUE(log->append(want).is_ok());
    ASSERT_TRUE(log->close().is_ok());
  }
  EXPECT_TRUE(fs::exists(fs::path(dir()) / "clean"));
  {
    auto log = open_log();
    EXPECT_FALSE(fs::exists(fs::path(dir()) / "clean"));  // consumed at open
    EXPECT_EQ(all(*log), want);
    std::vector<Entry> more = make_range(81, 90, 2);
    ASSERT_TRUE(log->append(more).is_ok());
    want.insert(want.end(), more.begin(), more.end());
    // No close(): the next open recovers by scanning.
  }
  auto log = open_log();
  EXPECT_EQ(all(*log), want);
  const std::vector<Entry> got = all(*log);
  EXPECT_EQ(log->data_end(), got.back().position + 48 + static_cast<int64_t>(got.back().size()));
  ASSERT_TRUE(log->append(make_range(91, 95, 2)).is_ok());
  EXPECT_EQ(log->last_index(), LogIndex(95));
}

// Cuts the last entry (data) at every byte offset: recovery keeps exactly the entries before it,
// with or without a clean marker, and the log accepts the entry again at the same position.
TEST_F(EntryLogTest, TornDataTailAtEveryByteRecoversToThePreviousEntry) {
  std::vector<Entry> want = short_last_range(40);
  Entry last_entry;
  {
    auto log = open_fast();
    ASSERT_TRUE(log->append(want).is_ok());
    last_entry = all(*log).back();
    ASSERT_TRUE(log->close().is_ok());
  }
  const fs::path pristine = tmp_.file("pristine");
  fs::copy(dir(), pristine, fs::copy_options::recursive);
  const int64_t seg_start = last_entry.position / 4096 * 4096;
  const auto in_seg = static_cast<uint64_t>(last_entry.position - seg_start);
  const uint64_t size = 48 + last_entry.size();
  std::vector<Entry> prefix(want.begin(), want.end() - 1);
  for (uint64_t cut = 0; cut < size; ++cut) {
    for (bool keep_marker : {false, true}) {
      SCOPED_TRACE("cut " + std::to_string(cut) + (keep_marker ? " clean" : " crash"));
      fs::remove_all(dir());
      fs::copy(pristine, dir(), fs::copy_options::recursive);
      if (!keep_marker) fs::remove(fs::path(dir()) / "clean");
      zero_from(segment_path(data_dir(), seg_start), in_seg + cut);
      auto log = open_fast();
      ASSERT_NE(log, nullptr);
      ASSERT_EQ(log->last_index(), LogIndex(39));
      ASSERT_EQ(all(*log), prefix);
      std::vector<Entry> again = {last_entry};
      ASSERT_TRUE(log->append(again).is_ok());  // same position
    }
  }
}

TEST_F(EntryLogTest, TornIndexTailAtEveryByteIsRebuiltFromTheData) {
  std::vector<Entry> want = make_range(1, 40, 1);
  {
    auto log = open_fast();
    ASSERT_TRUE(log->append(want).is_ok());
    want = all(*log);
    ASSERT_TRUE(log->close().is_ok());
  }
  const std::string index_before = read_queue(index_dir());
  const fs::path pristine = tmp_.file("pristine");
  fs::copy(dir(), pristine, fs::copy_options::recursive);
  const int64_t unit = 39 * 32;  // the unit of index 40
  const int64_t seg_start =
      unit / static_cast<int64_t>(kIndexFile) * static_cast<int64_t>(kIndexFile);
  for (uint64_t cut = 0; cut < 32; ++cut) {
    SCOPED_TRACE("cut " + std::to_string(cut));
    fs::remove_all(dir());
    fs::copy(pristine, dir(), fs::copy_options::recursive);
    fs::remove(fs::path(dir()) / "clean");
    zero_from(segment_path(index_dir(), seg_start), static_cast<uint64_t>(unit - seg_start) + cut);
    auto log = open_fast();
    ASSERT_NE(log, nullptr);
    ASSERT_EQ(all(*log), want);
    ASSERT_TRUE(log->close().is_ok());
    ASSERT_EQ(read_queue(index_dir()), index_before);
  }
  // Data and index both torn: back to the previous entry.
  for (uint64_t cut : {0u, 5u, 31u}) {
    fs::remove_all(dir());
    fs::copy(pristine, dir(), fs::copy_options::recursive);
    fs::remove(fs::path(dir()) / "clean");
    zero_from(segment_path(index_dir(), seg_start), static_cast<uint64_t>(unit - seg_start) + cut);
    const int64_t pos = want.back().position;
    zero_from(segment_path(data_dir(), pos / 4096 * 4096), static_cast<uint64_t>(pos % 4096) + cut);
    auto log = open_fast();
    ASSERT_EQ(log->last_index(), LogIndex(39));
  }
}

TEST_F(EntryLogTest, CorruptByteInTheLastEntryIsCut) {
  std::vector<Entry> want;
  {
    auto log = open_fast();
    ASSERT_TRUE(log->append(short_last_range(40)).is_ok());
    want = all(*log);
    ASSERT_TRUE(log->close().is_ok());
  }
  const fs::path pristine = tmp_.file("pristine");
  fs::copy(dir(), pristine, fs::copy_options::recursive);
  const Entry& last = want.back();
  for (uint64_t at = 0; at < 48 + last.size(); ++at) {
    SCOPED_TRACE("byte " + std::to_string(at));
    fs::remove_all(dir());
    fs::copy(pristine, dir(), fs::copy_options::recursive);
    flip_byte(segment_path(data_dir(), last.position / 4096 * 4096),
              static_cast<uint64_t>(last.position % 4096) + at);
    auto log = open_fast();  // the clean marker no longer matches: a full scan
    ASSERT_NE(log, nullptr);
    ASSERT_EQ(log->last_index(), LogIndex(39));
  }
}

TEST_F(EntryLogTest, CorruptBodyCrcCutsTheLogThere) {
  std::vector<Entry> want;
  {
    auto log = open_log();
    ASSERT_TRUE(log->append(make_range(1, 100, 1)).is_ok());
    want = all(*log);
  }  // unclean
  // The first entry of the next-to-last segment (inside the recovery window).
  const int64_t window_start = (want.back().position / 4096 - 1) * 4096;
  size_t k = want.size() - 1;
  while (k > 0 && want[k - 1].position >= window_start) --k;
  ASSERT_GT(k, 0u);
  ASSERT_LT(k, want.size() - 2);
  const Entry& bad = want[k];
  ASSERT_GT(bad.size(), 0u);
  flip_byte(segment_path(data_dir(), bad.position / 4096 * 4096),
            static_cast<uint64_t>(bad.position % 4096) + 48);
  auto log = open_log();
  EXPECT_EQ(log->last_index(), bad.index.prev());
  EXPECT_EQ(all(*log),
            std::vector<Entry>(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(k)));
  EXPECT_EQ(log->data_end(), want[k - 1].position + 48 + static_cast<int64_t>(want[k - 1].size()));
  // Later segments are gone and appends continue from the cut.
  ASSERT_TRUE(log->append(make_range(bad.index.value(), bad.index.value() + 3, 2)).is_ok());
}

TEST_F(EntryLogTest, MissingIndexUnitsAreRebuiltFromTheData) {
  std::vector<Entry> want;
  {
    auto log = open_log();
    ASSERT_TRUE(log->append(make_range(1, 150, 1)).is_ok());
    want = all(*log);
    ASSERT_TRUE(log->close().is_ok());
  }
  const std::string index_before = read_queue(index_dir());
  // The whole index lost.
  fs::remove_all(index_dir());
  {
    auto log = open_log();
    EXPECT_EQ(all(*log), want);
    ASSERT_TRUE(log->close().is_ok());
  }
  EXPECT_EQ(read_queue(index_dir()), index_before);
  // Only the first 20 units left (16 in the first index segment, 4 in the second): far more than
  // the recovery window lost.
  for (const auto& d : fs::directory_iterator(index_dir())) {
    if (d.path().filename().string() > store::MappedFile::file_name(kIndexFile)) {
      fs::remove(d.path());
    }
  }
  zero_from(segment_path(index_dir(), kIndexFile), 4 * 32);
  {
    auto log = open_log();
    EXPECT_EQ(all(*log), want);
    ASSERT_TRUE(log->close().is_ok());
  }
  EXPECT_EQ(read_queue(index_dir()), index_before);
}

TEST_F(EntryLogTest, IndexUnitsBeyondTheDataAreCut) {
  std::vector<Entry> want;
  {
    auto log = open_log();
    ASSERT_TRUE(log->append(make_range(1, 50, 1)).is_ok());
    want = all(*log);
  }
  // The data of 45.. never reached the disk, its units did.
  const Entry& lost = want[44];
  zero_from(segment_path(data_dir(), lost.position / 4096 * 4096),
            static_cast<uint64_t>(lost.position % 4096));
  for (const auto& d : fs::directory_iterator(data_dir())) {
    if (d.path().filename().string() > store::MappedFile::file_name(lost.position / 4096 * 4096)) {
      fs::remove(d.path());
    }
  }
  auto log = open_log();
  EXPECT_EQ(log->last_index(), LogIndex(44));
  EXPECT_EQ(log->term(LogIndex(45)), std::nullopt);
  std::vector<Entry> again = make_range(45, 50, 2);
  ASSERT_TRUE(log->append_assign(again).is_ok());
  EXPECT_EQ(again.front().position, lost.position);  // same sizes, same places
  EXPECT_EQ(log->term(LogIndex(50)), Term(2));
}

TEST_F(EntryLogTest, HardStatePersistsAndADamagedFileIsAnError) {
  {
    auto log = open_log();
    EXPECT_EQ(log->hard_state(), HardState{});
    ASSERT_TRUE(log->set_hard_state({Term(5), NodeId(2), LogIndex(17)}).is_ok());
    ASSERT_TRUE(log->set_hard_state({Term(6), NodeId(3), LogIndex(17)}).is_ok());
  }
  const fs::path file = fs::path(dir()) / "hardstate";
  {
    auto log = open_log();
    EXPECT_EQ(log->hard_state(), (HardState{Term(6), NodeId(3), LogIndex(17)}));
  }
  const std::string good = read_file(file);
  EXPECT_EQ(good, "6 3 17 0613d905\n");  // FORMAT.md §5
  for (const std::string& bad :
       {std::string("7") + good.substr(1), good.substr(0, good.size() - 1), std::string(""),
        std::string("garbage\n"), std::string("6 3 17\n"), std::string("1 2 3 4 5\n")}) {
    write_file(file, bad);
    EntryLog log(store::posix_file_system(), small_options(dir()));
    EXPECT_EQ(log.open().code(), Code::kCorruption) << bad;
  }
}

TEST_F(EntryLogTest, ReadAtReturnsBodiesThatOutliveTruncation) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_range(1, 30, 1)).is_ok());
  const Entry e = all(*log)[20];
  auto slice = log->read_at(*log->position_of(e.index) + EntryLog::body_offset(),
                            static_cast<uint32_t>(e.size()));
  ASSERT_TRUE(slice.ok()) << slice.status();
  EXPECT_EQ(common::as_string_view(slice->bytes), *e.data);
  EXPECT_EQ(slice->offset, e.position + 48);
  EXPECT_EQ(log->read_at(1 << 20, 4).status().code(), Code::kNotFound);
  EXPECT_FALSE(log->read_at(log->data_end(), 64).ok());
  auto loc = log->locate(e.index);
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(*loc,
            (EntryLocation{e.index, e.term, e.position, static_cast<uint32_t>(48 + e.size())}));
}

TEST_F(EntryLogTest, RejectsBadOptionsAndUseBeforeOpen) {
  EntryLogOptions o = small_options(dir());
  o.index_file_size = 100;
  EXPECT_EQ(EntryLog(store::posix_file_system(), o).open().code(), Code::kInvalidArgument);
  o = small_options(dir());
  o.data_file_size = 32;
  EXPECT_EQ(EntryLog(store::posix_file_system(), o).open().code(), Code::kInvalidArgument);
  EntryLog closed(store::posix_file_system(), small_options(dir()));
  EXPECT_EQ(closed.append(make_range(1, 1, 1)).code(), Code::kUnavailable);
  EXPECT_EQ(closed.sync().code(), Code::kUnavailable);
}

// --- Power loss through FaultInjectingFileSystem. ---

class EntryLogPowerLossTest : public EntryLogTest {
 protected:
  // Power loss, the dying process's shutdown cannot write, then a restart.
  std::unique_ptr<EntryLog> crash_and_reopen(std::unique_ptr<EntryLog> log, EntryLogOptions o) {
    fault_.drop_unsynced();
    fault_.set_crashed(true);
    EXPECT_FALSE(log->close().is_ok());
    log.reset();
    fault_.set_crashed(false);
    return open_log(fault_, std::move(o));
  }

  store::FaultInjectingFileSystem fault_{store::posix_file_system()};
};

TEST_F(EntryLogPowerLossTest, OnlySyncedEntriesSurvive) {
  auto log = open_log(fault_, small_options(dir()));
  ASSERT_TRUE(log->append(make_range(1, 60, 1)).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  const std::vector<Entry> synced = all(*log);
  ASSERT_TRUE(log->append(make_range(61, 90, 1)).is_ok());
  log = crash_and_reopen(std::move(log), small_options(dir()));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_index(), LogIndex(60));
  EXPECT_EQ(all(*log), synced);
  // The unsynced entries can be appended again at the same positions.
  std::vector<Entry> again = make_range(61, 90, 1);
  ASSERT_TRUE(log->append_assign(again).is_ok());
  EXPECT_EQ(log->last_index(), LogIndex(90));
}

TEST_F(EntryLogPowerLossTest, TruncationThenPowerLossKeepsAValidPrefix) {
  auto log = open_log(fault_, small_options(dir()));
  ASSERT_TRUE(log->append(make_range(1, 40, 1)).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  ASSERT_TRUE(log->append(make_range(20, 50, 2)).is_ok());
  log = crash_and_reopen(std::move(log), small_options(dir()));
  ASSERT_NE(log, nullptr);
  // The truncation itself is durable (the cut is synced); the new entries were not.
  ASSERT_GE(log->last_index(), LogIndex(19));
  const std::vector<Entry> got = all(*log);
  for (const Entry& e : got) EXPECT_EQ(e.term, Term(e.index < LogIndex(20) ? 1 : 2)) << e.index;

  ASSERT_TRUE(log->append(make_range(20, 50, 3)).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  log = crash_and_reopen(std::move(log), small_options(dir()));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_index(), LogIndex(50));
  EXPECT_EQ(log->term(LogIndex(50)), Term(3));
}

TEST_F(EntryLogPowerLossTest, EveryAppendSyncOptionMakesAppendsDurable) {
  EntryLogOptions o = small_options(dir());
  o.sync = EntryLogSync::kEveryAppend;
  auto log = open_log(fault_, o);
  ASSERT_TRUE(log->append(make_range(1, 25, 1)).is_ok());
  log = crash_and_reopen(std::move(log), o);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_index(), LogIndex(25));
}

TEST_F(EntryLogPowerLossTest, HardStateWrittenAtOnceSurvives) {
  auto log = open_log(fault_, small_options(dir()));
  ASSERT_TRUE(log->set_hard_state({Term(4), NodeId(1), LogIndex(0)}).is_ok());
  log = crash_and_reopen(std::move(log), small_options(dir()));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->hard_state(), (HardState{Term(4), NodeId(1), LogIndex(0)}));
  fault_.set_sync_fails(true);
  EXPECT_FALSE(log->set_hard_state({Term(5), NodeId(1), LogIndex(0)}).is_ok());
  EXPECT_EQ(log->hard_state(), (HardState{Term(4), NodeId(1), LogIndex(0)}));
  ASSERT_TRUE(log->append(make_range(1, 3, 4)).is_ok());
  EXPECT_EQ(log->sync().code(), Code::kIOError);
  fault_.set_sync_fails(false);
  EXPECT_TRUE(log->sync().is_ok());
}

TEST_F(EntryLogPowerLossTest, DiskFullRollsBackAndKeepsPlacementCanonical) {
  auto log = open_log(fault_, small_options(dir()));
  std::vector<Entry> first = {make_entry(1, 1, std::string(3000, 'a'))};
  ASSERT_TRUE(log->append(first).is_ok());
  fault_.set_disk_full(true);
  // Needs a new segment: refused, nothing changes (the blank record is rolled back).
  EXPECT_EQ(log->append({make_entry(2, 1, std::string(2000, 'b'))}).code(), Code::kNoSpace);
  EXPECT_EQ(log->last_index(), LogIndex(1));
  EXPECT_EQ(log->data_end(), 3048);
  // A small entry still fits in the segment, right after the first.
  std::vector<Entry> small = {make_entry(2, 1, "tiny")};
  ASSERT_TRUE(log->append_assign(small).is_ok());
  EXPECT_EQ(small[0].position, 3048);
  fault_.set_disk_full(false);
  std::vector<Entry> big = {make_entry(3, 1, std::string(2000, 'c'))};
  ASSERT_TRUE(log->append_assign(big).is_ok());
  EXPECT_EQ(big[0].position, 4096);
  ASSERT_TRUE(log->sync().is_ok());
  log = crash_and_reopen(std::move(log), small_options(dir()));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(all(*log), (std::vector<Entry>{first[0], small[0], big[0]}));
}

}  // namespace
}  // namespace rmq::dledger
