// MemoryLogStorage: the LogStorage contract (append with truncation, term lookups, byte limits)
// and its power-loss model: crash() returns to the last sync(), bringing back truncated entries.
#include "dledger/memory_log_storage.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace rmq::dledger {
namespace {

using common::Code;

Entry make_entry(int64_t index, uint64_t term, size_t body_size = 10) {
  Entry e;
  e.index = LogIndex(index);
  e.term = Term(term);
  e.type = EntryType::kMessage;
  e.data = std::make_shared<const std::string>(body_size, static_cast<char>('a' + index % 26));
  return e;
}

std::vector<Entry> make_range(int64_t from, int64_t to, uint64_t term) {
  std::vector<Entry> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(make_entry(i, term));
  return out;
}

std::vector<Entry> all(const MemoryLogStorage& s) {
  auto r = s.entries(LogIndex(1), s.last_index().next(), SIZE_MAX);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Entry>{};
}

std::vector<Entry> concat(std::vector<Entry> a, const std::vector<Entry>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(MemoryLogStorageTest, AppendsReadsAndLooksUpTerms) {
  MemoryLogStorage s;
  EXPECT_EQ(s.first_index(), LogIndex(1));
  EXPECT_EQ(s.last_index(), LogIndex(0));
  EXPECT_EQ(s.term(LogIndex(0)), Term(0));
  EXPECT_EQ(s.term(LogIndex(1)), std::nullopt);
  ASSERT_TRUE(s.append(make_range(1, 5, 1)).is_ok());
  ASSERT_TRUE(s.append(make_range(6, 9, 2)).is_ok());
  EXPECT_EQ(s.last_index(), LogIndex(9));
  EXPECT_EQ(s.term(LogIndex(5)), Term(1));
  EXPECT_EQ(s.term(LogIndex(6)), Term(2));
  EXPECT_EQ(s.term(LogIndex(10)), std::nullopt);
  EXPECT_EQ(all(s), concat(make_range(1, 5, 1), make_range(6, 9, 2)));

  auto one = s.entries(LogIndex(2), LogIndex(8), 0);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);  // always at least one
  auto three = s.entries(LogIndex(2), LogIndex(8), 35);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->size(), 3u);  // 10-byte bodies
  auto none = s.entries(LogIndex(4), LogIndex(4), SIZE_MAX);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(s.entries(LogIndex(0), LogIndex(2), SIZE_MAX).status().code(), Code::kOutOfRange);
  EXPECT_EQ(s.entries(LogIndex(8), LogIndex(11), SIZE_MAX).status().code(), Code::kOutOfRange);
}

TEST(MemoryLogStorageTest, TruncatesAConflictingSuffixAndRefusesGaps) {
  MemoryLogStorage s;
  ASSERT_TRUE(s.append(make_range(1, 10, 1)).is_ok());
  ASSERT_TRUE(s.append(make_range(4, 6, 2)).is_ok());
  EXPECT_EQ(s.last_index(), LogIndex(6));
  EXPECT_EQ(all(s), concat(make_range(1, 3, 1), make_range(4, 6, 2)));
  EXPECT_EQ(s.append(make_range(8, 9, 2)).code(), Code::kInvalidArgument);
  EXPECT_EQ(s.append({make_entry(0, 2)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(s.append({make_entry(7, 2), make_entry(9, 2)}).code(), Code::kInvalidArgument);
  EXPECT_TRUE(s.append({}).is_ok());
  EXPECT_EQ(s.last_index(), LogIndex(6));
  ASSERT_TRUE(s.append(make_range(1, 1, 3)).is_ok());
  EXPECT_EQ(all(s), make_range(1, 1, 3));
}

TEST(MemoryLogStorageTest, CrashDropsWhatWasNotSynced) {
  MemoryLogStorage s;
  ASSERT_TRUE(s.append(make_range(1, 5, 1)).is_ok());
  ASSERT_TRUE(s.set_hard_state({Term(1), NodeId(2), LogIndex(3)}).is_ok());
  ASSERT_TRUE(s.sync().is_ok());
  EXPECT_EQ(s.synced_entries(), 5u);
  ASSERT_TRUE(s.append(make_range(6, 8, 1)).is_ok());
  ASSERT_TRUE(s.set_hard_state({Term(2), NodeId(1), LogIndex(5)}).is_ok());
  s.crash();
  EXPECT_EQ(s.last_index(), LogIndex(5));
  EXPECT_EQ(all(s), make_range(1, 5, 1));
  EXPECT_EQ(s.hard_state(), (HardState{Term(1), NodeId(2), LogIndex(3)}));
  s.crash();  // idempotent
  EXPECT_EQ(all(s), make_range(1, 5, 1));
}

TEST(MemoryLogStorageTest, CrashAfterTruncationBringsBackTheSyncedEntries) {
  MemoryLogStorage s;
  ASSERT_TRUE(s.append(make_range(1, 5, 1)).is_ok());
  ASSERT_TRUE(s.sync().is_ok());
  ASSERT_TRUE(s.append(make_range(3, 4, 2)).is_ok());
  EXPECT_EQ(s.last_index(), LogIndex(4));
  s.crash();
  EXPECT_EQ(all(s), make_range(1, 5, 1));

  // A synced truncation is kept; a later unsynced one is undone again.
  ASSERT_TRUE(s.append(make_range(3, 6, 2)).is_ok());
  ASSERT_TRUE(s.sync().is_ok());
  const std::vector<Entry> synced = concat(make_range(1, 2, 1), make_range(3, 6, 2));
  ASSERT_TRUE(s.append(make_range(7, 7, 2)).is_ok());
  ASSERT_TRUE(s.append(make_range(2, 3, 3)).is_ok());
  EXPECT_EQ(s.synced_entries(), 6u);
  s.crash();
  EXPECT_EQ(all(s), synced);
  EXPECT_EQ(s.synced_entries(), 6u);

  // Truncate below the synced prefix, extend past it, sync: the new log is what survives.
  ASSERT_TRUE(s.append(make_range(2, 9, 4)).is_ok());
  ASSERT_TRUE(s.sync().is_ok());
  s.crash();
  EXPECT_EQ(all(s), concat(make_range(1, 1, 1), make_range(2, 9, 4)));
}

TEST(MemoryLogStorageTest, CrashWithoutAnySyncLosesEverything) {
  MemoryLogStorage s;
  ASSERT_TRUE(s.append(make_range(1, 3, 1)).is_ok());
  ASSERT_TRUE(s.set_hard_state({Term(1), NodeId(1), LogIndex(0)}).is_ok());
  s.crash();
  EXPECT_EQ(s.last_index(), LogIndex(0));
  EXPECT_EQ(s.hard_state(), HardState{});
}

}  // namespace
}  // namespace rmq::dledger
