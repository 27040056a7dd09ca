// MetadataLog: where the broker's metadata changes go (topics, subscription groups, consumer
// offsets, delay-level progress), as DESIGN.md "Metadata travels through the same log" asks.
// DLedger mode: each batch becomes one kMetadata entry of the Raft log; every node applies it to
// its MetaStore when committed, with the applied index in the same RocksDB batch, so a restart
// replays only the entries it had not applied (the store may then run without WAL syncs: the log
// is the source of truth). Local mode: a batch is applied to the MetaStore at once.
// Listeners (the managers' in-memory tables) hear every applied batch in log order, on the
// applying thread (the Raft node thread in DLedger mode). Thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "store/meta/meta_store.h"

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace rmq::broker {

class DLedgerCommitLog;

// The bytes of a metadata entry: "RMQM" [u32 count] then per op [u8 kind][u32 n][key][u32
// n][value].
std::string encode_meta_batch(const store::MetaBatch& batch);
[[nodiscard]] common::Result<store::MetaBatch> decode_meta_batch(common::ByteView bytes);

class MetadataLog {
 public:
  using Listener = std::function<void(const store::MetaBatch&)>;
  using Done = std::function<void(common::Status)>;

  // Local mode.
  explicit MetadataLog(store::MetaStore& meta);
  // DLedger mode; hooks itself into `log` (REQUIRES: before the log's load()).
  MetadataLog(store::MetaStore& meta, DLedgerCommitLog& log);

  // Before start: every applied batch, in order.
  void add_listener(Listener l) { listeners_.push_back(std::move(l)); }

  // Applies `batch` (local) or proposes it (DLedger: only the serving leader may; otherwise
  // `done` gets Unavailable naming the leader). `done` runs once the batch is applied here.
  void submit(store::MetaBatch batch, Done done);
  // Whether submit() can succeed now (local mode, or the serving Raft leader; never read-only).
  bool writable() const;
  // Classic HA slave: submit() fails with Unavailable(`reason`); its metadata comes from the
  // master through apply_replicated(). Set before start.
  void set_read_only(std::string reason) { read_only_reason_ = std::move(reason); }
  // Classic HA slave: applies a batch copied from the master (local mode only).
  void apply_replicated(const store::MetaBatch& batch);
  bool replicated() const { return log_ != nullptr; }
  int64_t applied_index() const { return applied_.load(std::memory_order_acquire); }

  static constexpr const char* kAppliedKey = "raft.metaAppliedIndex";

 private:
  void apply(int64_t index, const store::MetaBatch& batch);

  store::MetaStore& meta_;
  DLedgerCommitLog* log_ = nullptr;
  std::vector<Listener> listeners_;
  std::string read_only_reason_;  // non-empty: a classic slave
  std::mutex local_mu_;           // local mode: one batch at a time, in submission order
  std::atomic<int64_t> applied_{0};
};

}  // namespace rmq::broker
