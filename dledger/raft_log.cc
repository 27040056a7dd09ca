#include "dledger/raft_log.h"

#include "common/check.h"

#include <algorithm>

namespace rmq::dledger {

RaftLog::RaftLog(const LogStorage& storage, LogIndex committed)
    : storage_(storage),
      committed_(std::min(committed, storage.last_index())),
      offset_(storage.last_index().next()),
      persisted_(storage.last_index()) {}

LogIndex RaftLog::last_index() const {
  if (!unstable_.empty()) return offset_ + static_cast<int64_t>(unstable_.size()) - 1;
  return storage_.last_index();
}

Term RaftLog::last_term() const { return term(last_index()).value_or(Term(0)); }

std::optional<Term> RaftLog::term(LogIndex i) const {
  if (i >= offset_ && !unstable_.empty()) {
    const auto k = static_cast<size_t>((i - offset_.value()).value());
    if (k < unstable_.size()) return unstable_[k].term;
    return std::nullopt;
  }
  if (i.value() == 0) return Term(0);
  if (i > storage_.last_index()) return std::nullopt;
  return storage_.term(i);
}

bool RaftLog::is_up_to_date(LogIndex last, Term t) const {
  const Term my_term = last_term();
  return t > my_term || (t == my_term && last >= last_index());
}

std::optional<LogIndex> RaftLog::maybe_append(LogIndex prev_index, Term prev_term,
                                              std::vector<Entry> entries) {
  if (!match_term(prev_index, prev_term)) return std::nullopt;
  // The leader numbers entries consecutively after prev_index; anything else is a bug upstream.
  for (size_t k = 0; k < entries.size(); ++k) {
    if (entries[k].index != prev_index + static_cast<int64_t>(k + 1)) return std::nullopt;
  }
  const LogIndex last_new = prev_index + static_cast<int64_t>(entries.size());
  size_t first_conflict = entries.size();
  for (size_t k = 0; k < entries.size(); ++k) {
    if (!match_term(entries[k].index, entries[k].term)) {
      first_conflict = k;
      break;
    }
  }
  if (first_conflict < entries.size()) {
    // §5.3: delete the conflicting entry and all that follow it. Committed entries never conflict.
    RMQ_CHECK_MSG(entries[first_conflict].index > committed_,
                  "append would truncate a committed entry");
    entries.erase(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(first_conflict));
    truncate_and_append(std::move(entries));
  }
  return last_new;
}

LogIndex RaftLog::append(std::vector<Entry> entries) {
  if (entries.empty()) return last_index();
  RMQ_CHECK(entries.front().index == last_index().next());
  truncate_and_append(std::move(entries));
  return last_index();
}

void RaftLog::truncate_and_append(std::vector<Entry> entries) {
  const LogIndex first = entries.front().index;
  const LogIndex end = offset_ + static_cast<int64_t>(unstable_.size());
  if (first == end) {
    for (auto& e : entries) unstable_.push_back(std::move(e));
  } else if (first <= offset_) {
    // Replaces every unstable entry and (when the driver appends) the persisted suffix from here.
    offset_ = first;
    unstable_ = std::move(entries);
  } else {
    unstable_.resize(static_cast<size_t>((first - offset_.value()).value()));
    for (auto& e : entries) unstable_.push_back(std::move(e));
  }
  if (persisted_ >= first) persisted_ = first.prev();
}

common::Result<std::vector<Entry>> RaftLog::entries_from(LogIndex lo, size_t max_bytes) const {
  std::vector<Entry> out;
  const LogIndex last = last_index();
  if (lo > last) return out;
  size_t bytes = 0;
  if (lo < offset_) {
    const LogIndex hi = std::min(offset_, last.next());
    RMQ_ASSIGN_OR_RETURN(out, storage_.entries(lo, hi, max_bytes));
    for (const Entry& e : out) bytes += e.size();
    if (out.empty() || out.back().index.next() < hi || bytes >= max_bytes) return out;
    lo = hi;
  }
  for (size_t k = static_cast<size_t>((lo - offset_.value()).value()); k < unstable_.size(); ++k) {
    if (!out.empty() && bytes + unstable_[k].size() > max_bytes) break;
    bytes += unstable_[k].size();
    out.push_back(unstable_[k]);
  }
  return out;
}

void RaftLog::commit_to(LogIndex i) {
  if (i <= committed_) return;
  RMQ_CHECK_MSG(i <= last_index(), "commit index beyond the last entry");
  committed_ = i;
}

bool RaftLog::maybe_commit(LogIndex i, Term t) {
  if (i > committed_ && term(i) == t) {
    commit_to(i);
    return true;
  }
  return false;
}

LogIndex RaftLog::find_conflict_by_term(LogIndex index, Term t) const {
  for (LogIndex i = std::min(index, last_index()); i.value() > 0; i = i.prev()) {
    const auto it = term(i);
    if (!it || *it <= t) return i;
  }
  return LogIndex(0);
}

void RaftLog::stable_to(LogIndex i, Term t) {
  if (unstable_.empty() || i < offset_) return;
  const auto k = static_cast<size_t>((i - offset_.value()).value());
  if (k >= unstable_.size() || unstable_[k].term != t) return;  // replaced meanwhile
  unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<ptrdiff_t>(k + 1));
  offset_ = i.next();
  persisted_ = std::max(persisted_, i);
}

}  // namespace rmq::dledger
