// MemoryLogStorage: LogStorage in memory for tests and the simulation. Tracks which entries were
// synced, so crash() can drop the unsynced tail as a power loss would. Not thread-safe.
#pragma once

#include "dledger/log_storage.h"

#include <vector>

namespace rmq::dledger {

class MemoryLogStorage final : public LogStorage {
 public:
  LogIndex first_index() const override { return LogIndex(1); }
  LogIndex last_index() const override { return LogIndex(static_cast<int64_t>(entries_.size())); }
  std::optional<Term> term(LogIndex index) const override;
  common::Result<std::vector<Entry>> entries(LogIndex lo, LogIndex hi,
                                             size_t max_bytes) const override;
  common::Status append(const std::vector<Entry>& entries) override;
  common::Status set_hard_state(const HardState& hs) override;
  HardState hard_state() const override { return hard_; }
  common::Status sync() override;

  // Power loss: the log and hard state return to what the last sync() saw, so entries written
  // since are lost and entries truncated since come back.
  void crash();
  size_t synced_entries() const { return synced_.size(); }

 private:
  std::vector<Entry> entries_;  // entries_[i] has index i + 1
  HardState hard_;
  // The log as of the last sync(). Invariant: entries_[0, same_prefix_) == synced_[0, same_prefix_)
  // (the part neither truncated nor rewritten since), so sync() and crash() copy only the rest.
  std::vector<Entry> synced_;
  size_t same_prefix_ = 0;
  HardState synced_hard_;
};

}  // namespace rmq::dledger
