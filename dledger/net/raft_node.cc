#include "dledger/net/raft_node.h"

#include "common/logging.h"
#include "remoting/connection.h"

#include <future>
#include <pthread.h>

namespace rmq::dledger::net {

namespace asio = boost::asio;
using common::Status;

RaftNode::RaftNode(RaftNodeOptions options, LogStorage& storage, RaftTransport& transport)
    : options_(std::move(options)),
      storage_(storage),
      transport_(transport),
      random_(options_.seed != 0 ? options_.seed
                                 : 0x9E3779B97F4A7C15ull ^ options_.raft.id.value()) {
  io_ = options_.own_thread ? nullptr : transport_.receiver_context();
  if (io_ == nullptr) {
    own_io_ = std::make_unique<asio::io_context>(1);
    io_ = own_io_.get();
  }
  RaftConfig cfg = options_.raft;
  cfg.random = &random_;
  if (!cfg.logger) {
    cfg.logger = [name = options_.name](const std::string& line) {
      common::logger("dledger")->info("[{}] {}", name, line);
    };
  }
  raft_ = std::make_unique<Raft>(cfg, storage_);
  persisted_hs_ = storage_.hard_state();
  commit_.store(raft_->commit().value());
  transport_.set_receiver([this](std::vector<Message> batch) {
    {
      std::lock_guard lock(inbox_mu_);
      for (auto& m : batch) inbox_msgs_.push_back(std::move(m));
    }
    post_drain();
  });
}

RaftNode::~RaftNode() { stop(); }

void RaftNode::start() {
  if (running_.exchange(true)) return;
  timer_ = std::make_unique<asio::steady_timer>(*io_);
  if (!own_io_) {
    asio::post(*io_, [this] { schedule_tick(); });
    return;
  }
  schedule_tick();
  thread_ = std::thread([this] {
    const std::string tname = (options_.name + "-node").substr(0, 15);
    pthread_setname_np(pthread_self(), tname.c_str());
    auto guard = asio::make_work_guard(*io_);
    io_->run();
  });
}

bool RaftNode::on_node_thread() const { return io_->get_executor().running_in_this_thread(); }

void RaftNode::finish_stop() {
  timer_->cancel();
  if (!halted_) persist_commit_if_dirty();
  fail_pending("node stopping");
}

void RaftNode::stop() {
  if (!running_.exchange(false)) return;
  transport_.set_receiver(nullptr);
  {
    std::lock_guard lock(inbox_mu_);
    closed_ = true;
  }
  if (own_io_) {
    asio::post(*io_, [this] {
      finish_stop();
      io_->stop();
    });
    if (thread_.joinable()) thread_.join();
    return;
  }
  // On the transport's thread: run the last step there, unless that thread is gone already.
  if (on_node_thread() || io_->stopped()) {
    finish_stop();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  asio::post(*io_, [this, done] {
    finish_stop();
    done->set_value();
  });
  while (f.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (io_->stopped()) {  // the transport stopped first: the posted step will never run
      finish_stop();
      break;
    }
  }
}

void RaftNode::halt(const std::string& why) {
  common::logger("dledger")->critical("[{}] {}; this node stops taking part in the group",
                                      options_.name, why);
  halted_ = true;
  timer_->cancel();
  leader_.store(false, std::memory_order_release);
  serving_.store(false, std::memory_order_release);
  leader_id_.store(kNoNode.value(), std::memory_order_release);
  transport_.set_receiver(nullptr);
  fail_pending(why);
  if (role_listener_) role_listener_(SoftState{Role::kFollower, kNoNode, raft_->term()});
}

// Term and vote must be durable before any reply, so they are written at once (fsync). The
// commit index alone is not needed for safety (a restarted node learns it from the leader), so it
// is written at most about once a second: etcd's MustSync rule. Saves two fsyncs per commit.
void RaftNode::persist_commit_if_dirty() {
  if (!commit_dirty_) return;
  HardState hs = persisted_hs_;
  hs.commit = raft_->commit();
  if (Status st = storage_.set_hard_state(hs); st.is_ok()) {
    persisted_hs_ = hs;
    commit_dirty_ = false;
  } else {
    common::logger("dledger")->warn("[{}] writing the commit index failed: {}", options_.name,
                                    st.to_string());
  }
}

void RaftNode::schedule_tick() {
  timer_->expires_after(options_.tick);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_.load() || halted_) return;
    raft_->tick();
    handle_ready();
    if (++ticks_since_commit_write_ * options_.tick >= std::chrono::seconds(1)) {
      ticks_since_commit_write_ = 0;
      persist_commit_if_dirty();
    }
    schedule_tick();
  });
}

void RaftNode::post_drain() {
  // Posting under the lock orders every drain before stop()'s last step (see closed_).
  std::lock_guard lock(inbox_mu_);
  if (drain_posted_ || closed_) return;
  drain_posted_ = true;
  asio::post(*io_, [this] { drain(); });
}

void RaftNode::drain() {
  std::vector<Message> msgs;
  std::vector<Proposal> props;
  {
    std::lock_guard lock(inbox_mu_);
    msgs.swap(inbox_msgs_);
    props.swap(inbox_props_);
    drain_posted_ = false;
  }
  if (halted_) {
    for (auto& p : props) p.cb(Status::unavailable("raft node halted after a storage failure"));
    return;
  }
  for (auto& m : msgs) raft_->step(std::move(m));
  for (auto& p : props) {
    auto index = raft_->propose(p.type, std::move(p.data));
    if (!index.ok()) {
      p.cb(index.status());
      continue;
    }
    pending_.emplace(*index, Pending{raft_->term(), std::move(p.cb)});
  }
  handle_ready();
}

void RaftNode::propose(EntryType type, std::shared_ptr<const std::string> data,
                       ProposeCallback cb) {
  {
    std::lock_guard lock(inbox_mu_);
    if (!closed_ && running_.load(std::memory_order_acquire)) {
      inbox_props_.push_back(Proposal{type, std::move(data), std::move(cb)});
      if (!drain_posted_) {
        drain_posted_ = true;
        asio::post(*io_, [this] { drain(); });
      }
      return;
    }
  }
  cb(Status::unavailable("raft node is not running"));
}

void RaftNode::transfer_leadership(NodeId target, std::function<void(Status)> cb) {
  asio::post(*io_, [this, target, cb = std::move(cb)] {
    if (halted_) return cb(Status::unavailable("raft node halted"));
    cb(raft_->transfer_leadership(target));
    handle_ready();
  });
}

void RaftNode::campaign() {
  asio::post(*io_, [this] {
    if (halted_) return;
    raft_->campaign();
    handle_ready();
  });
}

NodeStatus RaftNode::status_now() const {
  NodeStatus s;
  s.soft = SoftState{raft_->role(), raft_->leader(), raft_->term()};
  s.commit = raft_->commit();
  s.last_index = raft_->last_index();
  s.serving = raft_->serving();
  for (const auto& [id, pr] : raft_->progress()) s.match[id] = pr.match;
  if (halted_) {  // whatever Raft last believed, this node no longer leads or follows anyone
    s.halted = true;
    s.soft.role = Role::kFollower;
    s.soft.leader = kNoNode;
    s.serving = false;
    s.match.clear();
  }
  return s;
}

NodeStatus RaftNode::status() {
  if (on_node_thread()) return status_now();
  if (!running_.load()) {
    NodeStatus s;  // stopped: what the lock-free mirrors say
    s.soft.role = Role::kFollower;
    s.commit = LogIndex(commit_.load());
    return s;
  }
  auto p = std::make_shared<std::promise<NodeStatus>>();
  auto f = p->get_future();
  asio::post(*io_, [this, p] { p->set_value(status_now()); });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    NodeStatus s;
    s.commit = LogIndex(commit_.load());
    return s;
  }
  return f.get();
}

void RaftNode::handle_ready() {
  if (halted_) return;
  // Every frame this Ready produces (appends to peers, the answers of the sends it commits) goes
  // out with one syscall per connection when the Ready is done.
  remoting::WriteBatch writes;
  while (raft_->has_ready()) {
    Ready rd = raft_->ready();
    if (!rd.entries.empty()) {
      if (Status st = storage_.append(rd.entries); !st.is_ok()) {
        // A node that cannot persist must not vote or acknowledge (STYLE.md errors rule 5).
        halt("cannot persist entries: " + st.to_string());
        return;
      }
    }
    if (rd.hard_state) {
      if (rd.hard_state->term != persisted_hs_.term || rd.hard_state->vote != persisted_hs_.vote) {
        if (Status st = storage_.set_hard_state(*rd.hard_state); !st.is_ok()) {
          halt("cannot persist term/vote: " + st.to_string());
          return;
        }
        persisted_hs_ = *rd.hard_state;
        commit_dirty_ = false;
      } else {
        commit_dirty_ = true;  // only the commit index moved: written lazily
      }
    }
    if (options_.sync_flush && !rd.entries.empty()) {
      if (Status st = storage_.sync(); !st.is_ok()) {
        halt("fdatasync failed: " + st.to_string());
        return;
      }
    }
    // Batch messages per peer: one frame each.
    std::map<NodeId, std::vector<Message>> by_peer;
    for (auto& m : rd.messages) by_peer[m.to].push_back(std::move(m));
    for (auto& [to, batch] : by_peer) transport_.send(to, std::move(batch));

    // Commit first: entries committed in the same Ready that deposed us still succeeded.
    if (rd.commit.value() > commit_.load()) {
      commit_.store(rd.commit.value(), std::memory_order_release);
      // Listener first: committed metadata is applied before its proposer hears of the commit.
      if (commit_listener_) commit_listener_(rd.commit);
      complete_committed(rd.commit);
    }
    if (rd.soft_state) {
      const bool was_leader = leader_.load();
      leader_.store(rd.soft_state->role == Role::kLeader, std::memory_order_release);
      leader_id_.store(rd.soft_state->leader.value(), std::memory_order_release);
      if (was_leader && rd.soft_state->role != Role::kLeader) {
        fail_pending("leadership lost before commit; the entry may still be committed");
      }
      if (role_listener_) role_listener_(*rd.soft_state);
    }
    raft_->advance(rd);
  }
  // advance() may have committed more (the leader's own persistence counts).
  if (raft_->commit().value() > commit_.load()) {
    commit_.store(raft_->commit().value(), std::memory_order_release);
    if (commit_listener_) commit_listener_(raft_->commit());
    complete_committed(raft_->commit());
  }
  serving_.store(raft_->serving(), std::memory_order_release);
}

void RaftNode::complete_committed(LogIndex commit) {
  while (!pending_.empty() && pending_.begin()->first <= commit) {
    auto node = pending_.extract(pending_.begin());
    const LogIndex index = node.key();
    Pending& p = node.mapped();
    // The entry at `index` is ours only if it still has our term.
    if (raft_->log().term(index) == p.term) {
      p.cb(Committed{index, p.term});
    } else {
      p.cb(Status::aborted("entry " + std::to_string(index.value()) +
                           " was replaced by another leader's entry"));
    }
  }
}

void RaftNode::fail_pending(const std::string& why) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [index, p] : pending) p.cb(Status::unavailable(why));
}

}  // namespace rmq::dledger::net
