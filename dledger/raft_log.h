// RaftLog: the core's view of the log = persisted entries (LogStorage) + unstable entries not yet
// handed to / persisted by the driver (etcd log.go + log_unstable.go). Tracks the commit index.
// Invariant: committed <= last_index(); committed entries are never truncated (RMQ_CHECK).
#pragma once

#include "common/result.h"
#include "dledger/log_storage.h"
#include "dledger/types.h"

#include <optional>
#include <vector>

namespace rmq::dledger {

class RaftLog {
 public:
  RaftLog(const LogStorage& storage, LogIndex committed);

  LogIndex first_index() const { return storage_.first_index(); }
  LogIndex last_index() const;
  Term last_term() const;
  std::optional<Term> term(LogIndex i) const;
  bool match_term(LogIndex i, Term t) const { return term(i) == t; }
  // §5.4.1: a candidate whose last entry is (last, t) is at least as up to date as we are.
  bool is_up_to_date(LogIndex last, Term t) const;

  // Follower (§5.3): if our entry at prev_index has prev_term, appends `entries` (skipping those
  // already present, truncating from the first conflict) and returns the index of the last new
  // entry; nullopt when the consistency check fails.
  std::optional<LogIndex> maybe_append(LogIndex prev_index, Term prev_term,
                                       std::vector<Entry> entries);
  // Leader: appends entries of its term at the end. Returns the new last index.
  LogIndex append(std::vector<Entry> entries);

  // Entries [lo, last] up to max_bytes (at least one).
  common::Result<std::vector<Entry>> entries_from(LogIndex lo, size_t max_bytes) const;

  LogIndex committed() const { return committed_; }
  void commit_to(LogIndex i);
  // §5.4.2: commits `i` only if its entry is of term `t` (the leader's current term).
  bool maybe_commit(LogIndex i, Term t);

  // The largest index <= `index` whose term is <= `t` (fast backtracking after a rejection).
  LogIndex find_conflict_by_term(LogIndex index, Term t) const;

  // Unstable entries not yet given to the driver / persisted.
  const std::vector<Entry>& unstable() const { return unstable_; }
  LogIndex unstable_offset() const { return offset_; }
  // After the driver persisted entries up to (i, t).
  void stable_to(LogIndex i, Term t);
  // Highest index known persisted locally.
  LogIndex persisted() const { return persisted_; }

 private:
  void truncate_and_append(std::vector<Entry> entries);

  const LogStorage& storage_;
  LogIndex committed_;
  LogIndex offset_;  // index of unstable_[0]
  std::vector<Entry> unstable_;
  LogIndex persisted_;
};

}  // namespace rmq::dledger
