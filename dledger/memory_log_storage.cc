#include "dledger/memory_log_storage.h"

#include <fmt/format.h>

#include <algorithm>

namespace rmq::dledger {

using common::Result;
using common::Status;

std::optional<Term> MemoryLogStorage::term(LogIndex index) const {
  if (index == LogIndex(0)) return Term(0);
  if (index < first_index() || index > last_index()) return std::nullopt;
  return entries_[static_cast<size_t>(index.value() - 1)].term;
}

Result<std::vector<Entry>> MemoryLogStorage::entries(LogIndex lo, LogIndex hi,
                                                     size_t max_bytes) const {
  if (lo < first_index() || hi > last_index().next() || lo > hi) {
    return Status::out_of_range(fmt::format("memory log: entries [{}, {}) outside [1, {}]",
                                            lo.value(), hi.value(), last_index().value()));
  }
  std::vector<Entry> out;
  size_t bytes = 0;
  for (LogIndex i = lo; i < hi; i = i.next()) {
    const Entry& e = entries_[static_cast<size_t>(i.value() - 1)];
    if (!out.empty() && bytes + e.size() > max_bytes) break;
    bytes += e.size();
    out.push_back(e);
  }
  return out;
}

Status MemoryLogStorage::append(const std::vector<Entry>& entries) {
  if (entries.empty()) return Status::ok();
  const LogIndex front = entries.front().index;
  if (front < first_index() || front > last_index().next()) {
    return Status::invalid_argument(
        fmt::format("memory log: append at {} is not contiguous with [1, {}]", front.value(),
                    last_index().value()));
  }
  for (size_t k = 1; k < entries.size(); ++k) {
    if (entries[k].index != entries[k - 1].index.next()) {
      return Status::invalid_argument("memory log: appended entries are not contiguous");
    }
  }
  const auto keep = static_cast<size_t>(front.value() - 1);
  entries_.resize(keep);  // drops a conflicting suffix
  same_prefix_ = std::min(same_prefix_, keep);
  entries_.insert(entries_.end(), entries.begin(), entries.end());
  return Status::ok();
}

Status MemoryLogStorage::set_hard_state(const HardState& hs) {
  hard_ = hs;
  return Status::ok();
}

Status MemoryLogStorage::sync() {
  synced_.resize(same_prefix_);
  synced_.insert(synced_.end(), entries_.begin() + static_cast<std::ptrdiff_t>(same_prefix_),
                 entries_.end());
  same_prefix_ = entries_.size();
  synced_hard_ = hard_;
  return Status::ok();
}

void MemoryLogStorage::crash() {
  entries_.resize(same_prefix_);
  entries_.insert(entries_.end(), synced_.begin() + static_cast<std::ptrdiff_t>(same_prefix_),
                  synced_.end());
  same_prefix_ = entries_.size();
  hard_ = synced_hard_;
}

}  // namespace rmq::dledger
