// RaftNode: runs one Raft group member (the etcd "driver") on one thread: the transport's receiving
// I/O thread when it offers one (RaftTransport::receiver_context(): a message then goes from the
// socket into Raft and its reply back out without a thread switch), else a dedicated thread. A
// timer turns wall time into ticks; incoming messages and proposals queue in an inbox drained in
// batches, so one Ready (and, in sync-flush mode, one fdatasync) serves many
// of them. Per Ready: persist entries and hard state, sync, send, complete committed proposals,
// advance. Proposals complete through callbacks when committed by a majority, never blocking a
// thread. Public methods are thread-safe; callbacks and listeners run on the node thread.
#pragma once

#include "common/random.h"
#include "common/result.h"
#include "dledger/log_storage.h"
#include "dledger/net/transport.h"
#include "dledger/raft.h"
#include "remoting/asio.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace rmq::dledger::net {

struct RaftNodeOptions {
  RaftConfig raft;                      // `random` is ignored: the node owns one
  uint64_t seed = 0;                    // randomized election timeouts (0: from the node id)
  std::chrono::milliseconds tick{100};  // one Raft tick
  bool sync_flush = false;              // fdatasync before acknowledging entries
  std::string name = "raft";
  bool own_thread = false;  // true: never share the transport's thread
};

// What a committed proposal reports back.
struct Committed {
  LogIndex index;
  Term term;
};

struct NodeStatus {
  SoftState soft;
  LogIndex commit;
  LogIndex last_index;
  bool serving = false;
  bool halted = false;               // stopped after a storage failure: takes no part any more
  std::map<NodeId, LogIndex> match;  // leader only
};

class RaftNode {
 public:
  using ProposeCallback = std::function<void(common::Result<Committed>)>;
  using RoleListener = std::function<void(const SoftState&)>;
  using CommitListener = std::function<void(LogIndex commit)>;

  RaftNode(RaftNodeOptions options, LogStorage& storage, RaftTransport& transport);
  ~RaftNode();

  void start();
  void stop();

  // Leader only; `cb` gets the entry's index once a majority holds it, or an error (not the
  // leader, leadership lost before commit — then the entry may still commit later).
  void propose(EntryType type, std::shared_ptr<const std::string> data, ProposeCallback cb);
  void transfer_leadership(NodeId target, std::function<void(common::Status)> cb);
  void campaign();

  // Runs `fn` on the node thread after the work in hand (a Ready's answers are out by then).
  // Call from the node thread only, e.g. from a listener.
  void defer(std::function<void()> fn) { boost::asio::post(*io_, std::move(fn)); }

  void set_role_listener(RoleListener l) { role_listener_ = std::move(l); }
  void set_commit_listener(CommitListener l) { commit_listener_ = std::move(l); }

  // A consistent snapshot, taken on the node thread (blocks the caller briefly; immediate when
  // called on the node thread; from the last known values once the node has stopped).
  NodeStatus status();
  // Lock-free reads for hot paths.
  LogIndex commit_index() const { return LogIndex(commit_.load(std::memory_order_acquire)); }
  bool is_leader() const { return leader_.load(std::memory_order_acquire); }
  // Leader whose no-op of this term is committed (DESIGN.md: it may serve).
  bool serving() const { return serving_.load(std::memory_order_acquire); }
  NodeId leader_id() const { return NodeId(leader_id_.load(std::memory_order_acquire)); }

 private:
  struct Proposal {
    EntryType type;
    std::shared_ptr<const std::string> data;
    ProposeCallback cb;
  };
  struct Pending {
    Term term;
    ProposeCallback cb;
  };

  void schedule_tick();
  void post_drain();
  void drain();
  void handle_ready();
  void complete_committed(LogIndex commit);
  void fail_pending(const std::string& why);
  NodeStatus status_now() const;
  void persist_commit_if_dirty();
  bool on_node_thread() const;
  void halt(const std::string& why);  // node thread: a storage failure; the node stops working
  void finish_stop();                 // node thread

  RaftNodeOptions options_;
  LogStorage& storage_;
  RaftTransport& transport_;
  common::Random random_;
  std::unique_ptr<Raft> raft_;
  std::unique_ptr<boost::asio::io_context> own_io_;  // set when the node has its own thread
  boost::asio::io_context* io_;                      // own_io_ or the transport's
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  bool halted_ = false;  // node thread only

  std::mutex inbox_mu_;
  std::vector<Message> inbox_msgs_;    // GUARDED_BY(inbox_mu_)
  std::vector<Proposal> inbox_props_;  // GUARDED_BY(inbox_mu_)
  bool drain_posted_ = false;          // GUARDED_BY(inbox_mu_)
  bool closed_ = false;                // GUARDED_BY(inbox_mu_): stop() began; no more drains

  std::map<LogIndex, Pending> pending_;  // node thread only
  HardState persisted_hs_;               // node thread only: what the storage holds
  bool commit_dirty_ = false;            // a newer commit index waits to be written
  int ticks_since_commit_write_ = 0;
  RoleListener role_listener_;
  CommitListener commit_listener_;
  std::atomic<int64_t> commit_{0};
  std::atomic<bool> leader_{false};
  std::atomic<bool> serving_{false};
  std::atomic<uint32_t> leader_id_{0};
};

}  // namespace rmq::dledger::net
