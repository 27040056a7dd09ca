// LogStorage: what the Raft core reads of the persisted log. The driver writes it (append with
// truncation of a conflicting suffix, hard state) when it handles a Ready; the core only reads.
// Implementations: MemoryLogStorage (tests, simulation) and the mmap EntryLog (production).
#pragma once

#include "common/result.h"
#include "dledger/types.h"

#include <optional>
#include <vector>

namespace rmq::dledger {

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  // Index of the first retained entry (1 for a log never compacted) and of the last persisted one
  // (first_index() - 1 when empty).
  virtual LogIndex first_index() const = 0;
  virtual LogIndex last_index() const = 0;
  // Term of the entry at `index`; Term{0} for index first_index()-1 when nothing was compacted;
  // nullopt outside the log.
  virtual std::optional<Term> term(LogIndex index) const = 0;
  // Entries [lo, hi) but stop after `max_bytes` of payload (always at least one entry).
  virtual common::Result<std::vector<Entry>> entries(LogIndex lo, LogIndex hi,
                                                     size_t max_bytes) const = 0;

  // Writes, called by the driver only.
  // Appends entries; entries at or after entries.front().index are replaced (truncation of a
  // conflicting uncommitted suffix). Entries must be contiguous with the log.
  [[nodiscard]] virtual common::Status append(const std::vector<Entry>& entries) = 0;
  [[nodiscard]] virtual common::Status set_hard_state(const HardState& hs) = 0;
  virtual HardState hard_state() const = 0;
  // Makes everything written so far durable (fdatasync; a no-op where meaningless).
  [[nodiscard]] virtual common::Status sync() = 0;
};

}  // namespace rmq::dledger
