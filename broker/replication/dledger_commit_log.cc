#include "broker/replication/dledger_commit_log.h"

#include "common/logging.h"

#include <pthread.h>

namespace rmq::broker {

using common::Result;
using common::Status;
using dledger::EntryLog;
using dledger::LogIndex;

DLedgerCommitLog::DLedgerCommitLog(store::FileSystem& fs, DLedgerOptions options,
                                   common::Clock& clock, store::QueueOffsetTable& queue_offsets)
    : options_(std::move(options)), clock_(clock), queue_offsets_(queue_offsets) {
  dledger::EntryLogOptions eo;
  eo.dir = options_.dir;
  eo.data_file_size = options_.data_file_size;
  eo.index_file_size = options_.index_file_size;
  // Appends never fault into fresh pages: the next segment and a window past the end are
  // populated by background threads (RocketMQ's warmMappedFile).
  eo.preallocate_next = true;
  eo.warm_ahead = 16ull << 20;
  eo.cache_window = options_.cache_window;
  entries_ = std::make_unique<EntryLog>(fs, eo);
  // Every replica stamps each record's PHYSICALOFFSET as the entry lands: same bytes everywhere.
  // Metadata entries are noted as they land, so commits apply them without looking at the type
  // of every committed entry (node thread).
  entries_->set_append_hook([this](const dledger::Entry& e, uint8_t* body, int64_t position) {
    if (options_.test_only_ack_before_commit) early_ack(e, position);  // TEST ONLY
    if (e.type == dledger::EntryType::kMetadata && meta_apply_) meta_indexes_.insert(e.index);
    if (e.type != dledger::EntryType::kMessage) return;
    const int64_t base = position + EntryLog::body_offset();
    size_t k = 0;
    while (k + store::kPosPhysicalOffset + 8 <= e.size()) {
      const auto size = common::load_be<int32_t>(body + k);
      if (size <= 0 || k + static_cast<size_t>(size) > e.size()) break;
      common::store_be<int64_t>(body + k + store::kPosPhysicalOffset,
                                base + static_cast<int64_t>(k));
      k += static_cast<size_t>(size);
    }
  });
}

DLedgerCommitLog::~DLedgerCommitLog() { shutdown(); }

Status DLedgerCommitLog::load() { return entries_->open(); }

Result<int64_t> DLedgerCommitLog::recover(const store::Checkpoint&, bool) {
  // The entry log recovered itself in open(). Consumers may see what is known committed.
  const LogIndex commit = std::min(entries_->hard_state().commit, entries_->last_index());
  int64_t end = 0;
  if (commit.value() > 0) {
    RMQ_ASSIGN_OR_RETURN(dledger::EntryLocation loc, entries_->locate(commit));
    end = loc.position + static_cast<int64_t>(loc.size);
  }
  confirm_.store(end, std::memory_order_release);
  term_.store(entries_->hard_state().term.value(), std::memory_order_release);
  // Metadata entries already in the log: committed ones are applied now, later ones when their
  // commit arrives (the append hook only sees entries appended from now on).
  if (meta_apply_) {
    for (LogIndex i = meta_applied_ + 1; i <= entries_->last_index(); i = i + 1) {
      auto loc = entries_->locate(i);
      if (!loc.ok()) break;
      auto type = entries_->read_at(loc->position + EntryLog::kTypeOffset, 1);
      if (type.ok() &&
          static_cast<dledger::EntryType>(type->bytes[0]) == dledger::EntryType::kMetadata) {
        meta_indexes_.insert(i);
      }
    }
    apply_metadata_until(commit);
  }
  return end;
}

void DLedgerCommitLog::apply_metadata_until(LogIndex commit) {
  if (!meta_apply_) return;
  while (!meta_indexes_.empty() && *meta_indexes_.begin() <= commit) {
    const LogIndex i = *meta_indexes_.begin();
    meta_indexes_.erase(meta_indexes_.begin());
    if (i <= meta_applied_) continue;
    // The entry noted at `i` may have been replaced by a new leader's entry: check its type.
    auto loc = entries_->locate(i);
    auto type = loc.ok() ? entries_->read_at(loc->position + EntryLog::kTypeOffset, 1)
                         : common::Result<store::LogSlice>(loc.status());
    if (!type.ok()) {
      common::logger("broker")->error("metadata apply: cannot read entry {}: {}", i.value(),
                                      type.status().to_string());
      continue;
    }
    if (static_cast<dledger::EntryType>(type->bytes[0]) != dledger::EntryType::kMetadata) continue;
    auto body = entries_->read_at(loc->position + EntryLog::body_offset(),
                                  loc->size - EntryLog::body_offset());
    if (!body.ok()) {
      common::logger("broker")->error("metadata apply: cannot read entry {}: {}", i.value(),
                                      body.status().to_string());
      continue;
    }
    meta_apply_(i, body->bytes);
    meta_applied_ = i;
  }
}

void DLedgerCommitLog::propose_metadata(std::string data, std::function<void(Status)> done) {
  if (!running_.load() || !node_ || !node_->serving()) {
    done(Status::unavailable(not_leader_remark()));
    return;
  }
  node_->propose(dledger::EntryType::kMetadata, std::make_shared<std::string>(std::move(data)),
                 [done = std::move(done)](Result<dledger::net::Committed> c) {
                   done(c.ok() ? Status::ok() : c.status());
                 });
}

Status DLedgerCommitLog::start() {
  if (running_.exchange(true)) return Status::ok();
  dledger::net::RemotingTransportOptions to;
  to.bind_address = options_.bind_address;
  to.port = options_.port;
  to.peers = options_.peers;
  to.idle_spin = options_.idle_spin;
  transport_ = std::make_unique<dledger::net::RemotingTransport>(to, clock_);
  if (Status st = transport_->start(); !st.is_ok()) {
    common::logger("broker")->critical("DLedger transport cannot start: {}", st.to_string());
    running_.store(false);
    return Status::io_error("DLedger port: " + std::string(st.message()));
  }
  dledger::net::RaftNodeOptions no;
  no.raft.id = options_.self;
  for (const auto& [id, addr] : options_.peers) no.raft.peers.push_back(id);
  no.raft.election_ticks = options_.election_ticks;
  no.raft.heartbeat_ticks = options_.heartbeat_ticks;
  // Producers hear of a commit from the leader; followers learn it from the next append or the
  // next heartbeat (one tick), not from an extra empty append per commit (two wake-ups per
  // follower per message at low load). Followers' committed reads lag by at most a tick.
  no.raft.announce_commit_at_once = false;
  no.raft.preferred_leader = options_.preferred_leader;
  no.tick = options_.tick;
  no.sync_flush = options_.sync_flush;
  no.name = options_.group + "-n" + std::to_string(options_.self.value());
  node_ = std::make_unique<dledger::net::RaftNode>(no, *entries_, *transport_);
  node_->set_commit_listener([this](LogIndex commit) { on_commit(commit); });
  node_->set_role_listener([this](const dledger::SoftState& ss) {
    if (ss.role != dledger::Role::kLeader) accepting_.store(false);
    term_.store(ss.term.value(), std::memory_order_release);
    std::string what = std::string("role ") + dledger::to_string(ss.role) + " term " +
                       std::to_string(ss.term.value());
    if (ss.leader != dledger::kNoNode) {
      auto it = options_.peers.find(ss.leader);
      what += " leader n" + std::to_string(ss.leader.value()) +
              (it != options_.peers.end() ? " (" + it->second + ")" : std::string());
    }
    record(std::move(what));
    if (role_listener_) role_listener_(ss);
  });
  node_->start();
  if (!options_.sync_flush && options_.async_flush_interval.count() > 0) {
    flush_thread_ = std::thread([this] { flush_loop(); });
  }
  return Status::ok();
}

void DLedgerCommitLog::flush_loop() {
  pthread_setname_np(pthread_self(), "rmq-raft-flush");
  std::unique_lock lock(flush_mu_);
  while (!flush_cv_.wait_for(lock, options_.async_flush_interval, [&] { return flush_stop_; })) {
    lock.unlock();
    if (Status st = entries_->flush_written(); !st.is_ok()) {
      common::logger("broker")->error("async flush of the entry log failed: {}", st.to_string());
    }
    lock.lock();
  }
}

void DLedgerCommitLog::shutdown() {
  if (!running_.exchange(false)) return;
  accepting_.store(false);
  // The node runs on the transport's I/O thread: stop it there first (it detaches from the
  // transport), then join the transport's threads.
  if (node_) node_->stop();
  if (transport_) transport_->stop();
  {
    std::lock_guard lock(flush_mu_);
    flush_stop_ = true;
  }
  flush_cv_.notify_all();
  if (flush_thread_.joinable()) flush_thread_.join();
  if (Status st = entries_->close(); !st.is_ok()) {
    common::logger("broker")->error("closing the entry log: {}", st.to_string());
  }
}

void DLedgerCommitLog::on_commit(LogIndex commit) {
  // Node thread: the entry log is ours to read here.
  auto loc = entries_->locate(commit);
  if (!loc.ok()) {
    common::logger("broker")->error("cannot locate committed entry {}: {}", commit.value(),
                                    loc.status().to_string());
    return;
  }
  apply_metadata_until(commit);
  confirm_.store(loc->position + static_cast<int64_t>(loc->size), std::memory_order_release);
  if (!hooks_.dispatch_now) {
    if (hooks_.on_confirm) hooks_.on_confirm();
    return;
  }
  // Dispatch here, once the commit's answers have gone out, instead of waking the dispatch thread
  // per commit (a wake-up per message per node at low load).
  if (!dispatch_deferred_) {
    dispatch_deferred_ = true;
    node_->defer([this] {
      dispatch_deferred_ = false;
      hooks_.dispatch_now();
    });
  }
}

bool DLedgerCommitLog::writable() {
  if (accepting_.load(std::memory_order_acquire)) return true;
  if (!node_ || !node_->serving()) return false;
  // Everything before our no-op is committed; once dispatched, the queues know every offset used.
  if (hooks_.dispatched_offset && hooks_.dispatched_offset() < confirm_offset()) return false;
  if (hooks_.reset_queue_offsets) hooks_.reset_queue_offsets();
  accepting_.store(true, std::memory_order_release);
  first_ack_pending_.store(true);
  record("writable: no-op committed, dispatch caught up, queue offsets rebuilt");
  return true;
}

void DLedgerCommitLog::record(std::string what) {
  common::logger("broker")->info("{} n{} timeline: {}", options_.group, options_.self.value(),
                                 what);
  std::lock_guard lock(timeline_mu_);
  timeline_.push_back(TimelineEvent{clock_.wall_ms(), std::move(what)});
  if (timeline_.size() > 64) timeline_.pop_front();
}

std::vector<DLedgerCommitLog::TimelineEvent> DLedgerCommitLog::timeline() const {
  std::lock_guard lock(timeline_mu_);
  return {timeline_.begin(), timeline_.end()};
}

std::string DLedgerCommitLog::not_leader_remark() const {
  const dledger::NodeId l = node_ ? node_->leader_id() : dledger::kNoNode;
  if (l == dledger::kNoNode) return "not the leader; no leader elected yet";
  if (l == options_.self) return "leader not ready yet (committing its first entry)";
  auto it = options_.peers.find(l);
  return "not the leader; leader is n" + std::to_string(l.value()) +
         (it != options_.peers.end() ? " at " + it->second : std::string());
}

void DLedgerCommitLog::append(store::EncodedMessages msgs, store::AppendCallback done) {
  store::AppendResult r;
  if (!running_.load() || !writable()) {
    r.status = store::PutStatus::kServiceNotAvailable;
    r.remark = not_leader_remark();
    done(r);
    return;
  }
  if (disk_full_.load()) {
    r.status = store::PutStatus::kDiskFull;
    r.remark = "disk full";
    done(r);
    return;
  }
  const auto count = static_cast<uint32_t>(msgs.count());
  const auto wrote = static_cast<uint32_t>(msgs.bytes.size());
  std::lock_guard lock(append_mu_);  // queue offsets in the same order as the log
  const int64_t first_qo = queue_offsets_.assign(msgs.topic, msgs.queue_id, count);
  const int64_t store_ts = clock_.wall_ms();
  uint8_t* p = msgs.data();
  for (uint32_t i = 0; i < count; ++i) {
    store::stamp_record(p, first_qo + i, /*physical_offset=*/0, store_ts, msgs.store_ts_pos[i]);
    p += msgs.record_sizes[i];
  }
  auto data = std::make_shared<std::string>(std::move(msgs.bytes));  // no copy of the records
  if (options_.test_only_ack_before_commit) {  // TEST ONLY: ack at the leader's local write
    auto early = std::make_shared<EarlyAck>();
    early->done = std::move(done);
    early->result.queue_offset = first_qo;
    early->result.msg_count = count;
    early->result.wrote_bytes = wrote;
    early->result.store_timestamp = store_ts;
    const std::string* key = data.get();
    {
      std::lock_guard elock(early_mu_);
      early_[key] = early;
    }
    done = [this, early, key](const store::AppendResult& r) {
      {
        std::lock_guard elock(early_mu_);
        early_.erase(key);
      }
      if (!early->fired.exchange(true)) early->done(r);
    };
  }
  node_->propose(
      dledger::EntryType::kMessage, std::move(data),
      [this, done = std::move(done), first_qo, count, wrote,
       store_ts](Result<dledger::net::Committed> c) {
        store::AppendResult res;
        if (!c.ok()) {
          res.status = store::PutStatus::kServiceNotAvailable;
          res.remark = std::string(c.status().message());
          done(res);
          return;
        }
        auto pos = entries_->position_of(c->index);  // node thread: safe
        res.status = pos.ok() ? store::PutStatus::kOk : store::PutStatus::kUnknownError;
        res.physical_offset = pos.ok() ? *pos + EntryLog::body_offset() : -1;
        res.wrote_bytes = wrote;
        res.queue_offset = first_qo;
        res.msg_count = count;
        res.store_timestamp = store_ts;
        res.log_index = c->index.value();
        res.log_term = c->term.value();
        if (res.status == store::PutStatus::kOk && first_ack_pending_.exchange(false)) {
          record("first acknowledged send (entry " + std::to_string(c->index.value()) + ")");
        }
        done(res);
      });
}

// TEST ONLY (test_only_ack_before_commit): node thread, as entry `e` lands in this node's log.
void DLedgerCommitLog::early_ack(const dledger::Entry& e, int64_t position) {
  std::shared_ptr<EarlyAck> early;
  {
    std::lock_guard elock(early_mu_);
    auto it = early_.find(e.data.get());
    if (it == early_.end()) return;
    early = std::move(it->second);
    early_.erase(it);
  }
  if (early->fired.exchange(true)) return;
  store::AppendResult r = early->result;
  r.status = store::PutStatus::kOk;
  r.physical_offset = position + EntryLog::body_offset();
  r.log_index = e.index.value();
  r.log_term = e.term.value();
  early->done(r);
}

Result<store::LogSlice> DLedgerCommitLog::read(int64_t offset, uint32_t size) {
  return entries_->read_at(offset, size);
}

Result<store::LogSlice> DLedgerCommitLog::read_record(int64_t offset) {
  RMQ_ASSIGN_OR_RETURN(store::LogSlice head, entries_->read_at(offset, 4));
  const int32_t size = common::load_be<int32_t>(head.bytes.data());
  if (size < 8) return Status::corruption("bad record size at " + std::to_string(offset));
  return entries_->read_at(offset, static_cast<uint32_t>(size));
}

Result<store::LogSlice> DLedgerCommitLog::read_available(int64_t offset, int64_t limit) {
  const auto file = static_cast<int64_t>(options_.data_file_size);
  const int64_t seg_end = (offset / file + 1) * file;
  const int64_t end = std::min(limit, seg_end);
  if (end <= offset) return Status::not_found("nothing readable at " + std::to_string(offset));
  return entries_->read_at(offset, static_cast<uint32_t>(end - offset));
}

int64_t DLedgerCommitLog::roll_next_file(int64_t offset) const {
  const auto file = static_cast<int64_t>(options_.data_file_size);
  return (offset / file + 1) * file;
}

store::RecordProbe DLedgerCommitLog::probe(common::ByteView bytes) const {
  store::RecordProbe p;
  if (bytes.size() < 8) return p;  // kEnd
  const uint32_t magic = common::load_be<uint32_t>(bytes.data());
  if (magic == EntryLog::kEntryMagic) {
    if (bytes.size() < EntryLog::kHeaderSize) {
      p.kind = store::RecordProbe::Kind::kCorrupt;
      p.error = "truncated entry header";
      return p;
    }
    const uint32_t total = common::load_be<uint32_t>(bytes.data() + 4);
    const auto type = static_cast<dledger::EntryType>(bytes[EntryLog::kTypeOffset]);
    p.kind = store::RecordProbe::Kind::kSkip;
    // A message entry's body is stored records: step over the header only. Anything else
    // (no-op, metadata) is skipped whole.
    p.size = type == dledger::EntryType::kMessage ? EntryLog::kHeaderSize : total;
    return p;
  }
  if (magic == EntryLog::kBlankMagic) {
    p.kind = store::RecordProbe::Kind::kBlank;
    p.size = common::load_be<uint32_t>(bytes.data() + 4);
    return p;
  }
  return store::probe_record(bytes, /*check_crc=*/false);
}

}  // namespace rmq::broker
