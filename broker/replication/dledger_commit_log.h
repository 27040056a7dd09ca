// DLedgerCommitLog: the store's CommitLog over the Raft module (RocketMQ's DLedgerCommitLog).
// Each append becomes one Raft entry whose body is the RocketMQ stored records; the leader
// stamps queue offsets and store time before proposing, and every replica stamps PHYSICALOFFSET
// as the entry lands in its EntryLog (append hook), so physical offsets, msgIds and consume-queue
// units agree across the group. Physical offsets are positions in the entry log's data space.
// An append completes only when a majority holds the entry. The confirm offset (what dispatch may
// read) is the end of the last committed entry. A new leader accepts sends once its no-op is
// committed and its dispatcher has caught up, after rebuilding next queue offsets from the queues.
// Thread-safe; the RaftNode thread runs callbacks and listeners.
#pragma once

#include "common/clock.h"
#include "dledger/entry_log.h"
#include "dledger/net/raft_node.h"
#include "dledger/net/transport.h"
#include "store/commit_log.h"
#include "store/queue_offset_table.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rmq::broker {

struct DLedgerOptions {
  std::string group = "RaftMQ";                  // dLegerGroup
  dledger::NodeId self;                          // dLegerSelfId (n1 -> 1)
  std::map<dledger::NodeId, std::string> peers;  // dLegerPeers: id -> DLedger "host:port"
  std::string bind_address = "0.0.0.0";
  uint16_t port = 0;  // this node's DLedger port
  std::string dir;    // entry log directory
  uint64_t data_file_size = 1024ull * 1024 * 1024;
  uint64_t index_file_size = 32ull * 5 * 1024 * 1024;
  std::chrono::milliseconds tick{100};
  int election_ticks = 10;  // 1-2 s elections with 100 ms ticks
  int heartbeat_ticks = 1;
  bool sync_flush = false;  // replicas fdatasync before acknowledging
  // Async flush: the entry log is synced this often by a background thread (RocketMQ's
  // flushIntervalCommitLog), which bounds what a crash of a majority can take back.
  std::chrono::milliseconds async_flush_interval{500};
  // The node thread polls this long before it sleeps (raftIdleSpinMicros; 0: never).
  common::Duration idle_spin{0};
  // Synced entry-log bytes kept in the page cache behind the end (commitLogCacheWindow; 0: all).
  uint64_t cache_window = 0;
  dledger::NodeId preferred_leader;
  // TEST ONLY (broker.conf testOnlyAckBeforeCommit): an append completes as soon as the leader
  // wrote the entry to its own log, not at majority commit. Deliberately unsafe (jepsen/).
  bool test_only_ack_before_commit = false;
};

class DLedgerCommitLog final : public store::CommitLog {
 public:
  DLedgerCommitLog(store::FileSystem& fs, DLedgerOptions options, common::Clock& clock,
                   store::QueueOffsetTable& queue_offsets);
  ~DLedgerCommitLog() override;

  common::Status load() override;
  common::Result<int64_t> recover(const store::Checkpoint& checkpoint, bool clean) override;
  common::Status start() override;
  void shutdown() override;

  void append(store::EncodedMessages msgs, store::AppendCallback done) override;
  common::Result<store::LogSlice> read(int64_t offset, uint32_t size) override;
  common::Result<store::LogSlice> read_record(int64_t offset) override;
  common::Result<store::LogSlice> read_available(int64_t offset, int64_t limit) override;
  int64_t min_offset() const override { return 0; }
  int64_t max_offset() const override { return entries_->data_end(); }
  int64_t confirm_offset() const override { return confirm_.load(std::memory_order_acquire); }
  int64_t roll_next_file(int64_t offset) const override;
  int64_t flushed_offset() const override { return entries_->data_end(); }
  bool disk_full() const override { return disk_full_.load(); }
  void set_disk_full(bool full) override { disk_full_.store(full); }
  void set_hooks(Hooks hooks) override { hooks_ = std::move(hooks); }
  store::RecordProbe probe(common::ByteView bytes) const override;

  // One step of a role change (DESIGN.md "Failover, measured"), with wall-clock milliseconds.
  struct TimelineEvent {
    int64_t wall_ms = 0;
    std::string what;  // "role leader term 3 leader n2 (127.0.0.1:40912)", "writable", ...
  };
  // The most recent events (at most 64), oldest first.
  std::vector<TimelineEvent> timeline() const;
  // Adds a broker-side step (e.g. "route published") to the timeline.
  void note(std::string what) { record(std::move(what)); }

  // Raft role changes for the broker (leader => master); runs on the node thread.
  void set_role_listener(std::function<void(const dledger::SoftState&)> l) {
    role_listener_ = std::move(l);
  }
  bool is_leader() const { return node_ && node_->is_leader(); }

  // Replicated metadata (DESIGN.md "Metadata travels through the same log"): entries of type
  // kMetadata, applied on every node in log order. `apply` runs for each committed metadata entry
  // after `applied` (what the caller's state already holds): in recover() for those known
  // committed at start, then on the node thread as commits arrive. Set before load().
  using MetadataApplier = std::function<void(dledger::LogIndex, common::ByteView)>;
  void set_metadata_applier(MetadataApplier apply, dledger::LogIndex applied) {
    meta_apply_ = std::move(apply);
    meta_applied_ = applied;
  }
  // Leader only; `done` runs on the node thread after the entry committed and was applied here,
  // or with an error (not the leader / leadership lost: the entry may still commit later).
  void propose_metadata(std::string data, std::function<void(common::Status)> done);
  // Raft term of this node (0 before start), for send responses and registration.
  int64_t term() const { return term_.load(std::memory_order_acquire); }
  const DLedgerOptions& options() const { return options_; }
  // Accepting sends: leader, no-op committed, dispatch caught up, queue offsets rebuilt.
  bool writable();
  // Why sends are refused here, naming the leader when known (SERVICE_NOT_AVAILABLE's remark).
  std::string not_writable_reason() const { return not_leader_remark(); }
  dledger::net::RaftNode& node() { return *node_; }
  // The context the Raft node runs on (the DLedger transport's I/O thread), after start(); work
  // and connections placed there share the node's thread. Null if the node has a thread of its
  // own.
  boost::asio::io_context* node_context() { return transport_->receiver_context(); }
  uint16_t port() const { return transport_->port(); }
  dledger::EntryLog& entry_log() { return *entries_; }

 private:
  void on_commit(dledger::LogIndex commit);
  void apply_metadata_until(dledger::LogIndex commit);
  void record(std::string what);
  std::string not_leader_remark() const;

  DLedgerOptions options_;
  common::Clock& clock_;
  store::QueueOffsetTable& queue_offsets_;
  std::unique_ptr<dledger::EntryLog> entries_;
  std::unique_ptr<dledger::net::RemotingTransport> transport_;
  std::unique_ptr<dledger::net::RaftNode> node_;
  Hooks hooks_;
  std::function<void(const dledger::SoftState&)> role_listener_;
  std::mutex append_mu_;                // orders queue-offset assignment with proposals
  std::atomic<bool> accepting_{false};  // see writable()
  std::atomic<int64_t> confirm_{0};
  bool dispatch_deferred_ = false;  // node thread only: a dispatch_now is posted
  std::atomic<bool> disk_full_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> first_ack_pending_{false};  // the next acknowledged send is recorded
  std::atomic<int64_t> term_{0};
  MetadataApplier meta_apply_;
  // Node thread (recover() before start): the last metadata entry applied, and the indexes of
  // metadata entries in the log not applied yet.
  dledger::LogIndex meta_applied_;
  std::set<dledger::LogIndex> meta_indexes_;
  // TEST ONLY (test_only_ack_before_commit): appends waiting for the leader's local write, by
  // their entry data (the append hook sees the same shared string).
  struct EarlyAck {
    store::AppendCallback done;
    store::AppendResult result;
    std::atomic<bool> fired{false};
  };
  void early_ack(const dledger::Entry& e, int64_t position);
  std::mutex early_mu_;
  std::map<const std::string*, std::shared_ptr<EarlyAck>> early_;  // GUARDED_BY(early_mu_)
  void flush_loop();                                               // async flush: the periodic sync
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;
  bool flush_stop_ = false;  // GUARDED_BY(flush_mu_)
  std::thread flush_thread_;
  mutable std::mutex timeline_mu_;
  std::deque<TimelineEvent> timeline_;  // GUARDED_BY(timeline_mu_)
};

}  // namespace rmq::broker
