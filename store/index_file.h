// IndexFile / IndexService: RocketMQ's hash index from message key to commit log offsets.
// File layout (FORMAT.md): 40-byte header [8 beginTimestamp][8 endTimestamp][8 beginPhyOffset]
// [8 endPhyOffset][4 hashSlotCount][4 indexCount], then max_hash_slot_num 4-byte slots (the index
// number of the newest entry for that hash, 0 = none), then max_index_num 20-byte entries
// [4 keyHash][8 phyOffset][4 timeDiff seconds from beginTimestamp][4 previous index in chain].
// Keys are indexed as "<topic>#<key>" for every KEYS word and for UNIQ_KEY.
// The dispatcher thread writes; queries run concurrently (entries are published before slots).
#pragma once

#include "common/result.h"
#include "store/dispatch.h"
#include "store/mapped_file.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rmq::store {

inline constexpr uint32_t kIndexHeaderSize = 40;
inline constexpr uint32_t kIndexSlotSize = 4;
inline constexpr uint32_t kIndexEntrySize = 20;

struct QueryOffsetResult {
  std::vector<int64_t> physical_offsets;  // newest first
  int64_t index_last_update_timestamp = 0;
  int64_t index_last_update_phy_offset = 0;
};

class IndexService final : public CommitLogDispatcher {
 public:
  IndexService(FileSystem& fs, std::string dir, uint32_t max_hash_slot_num, uint32_t max_index_num);
  ~IndexService() override;

  // Opens existing index files; drops entries of files that point at or past
  // `max_commit_log_offset`... conservatively: a file whose endPhyOffset is beyond it is deleted
  // and rebuilt by re-dispatch.
  [[nodiscard]] common::Status load(int64_t max_commit_log_offset);
  // Indexes KEYS and UNIQ_KEY of the message. Messages at or below the last indexed physical
  // offset are skipped (idempotent re-dispatch). Rolls to a new file when one is full.
  void dispatch(const DispatchRequest& request) override;
  // Up to max_num offsets of messages with `key` in `topic` stored within [begin, end] ms.
  QueryOffsetResult query(const std::string& topic, const std::string& key, uint32_t max_num,
                          int64_t begin_ms, int64_t end_ms) const;
  // Deletes index files whose entries all point below `min_commit_log_offset`.
  size_t delete_expired(int64_t min_commit_log_offset);
  // Physical end offset up to which the index is complete.
  int64_t indexed_phy_offset() const;
  common::Status flush();

 private:
  class IndexFile;
  FileSystem& fs_;
  const std::string dir_;
  const uint32_t max_hash_slot_num_;
  const uint32_t max_index_num_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<IndexFile>> files_;  // GUARDED_BY(mu_), oldest first
};

}  // namespace rmq::store
