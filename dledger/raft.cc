#include "dledger/raft.h"

#include "common/check.h"

#include <algorithm>

namespace rmq::dledger {

using common::Result;
using common::Status;

Raft::Raft(const RaftConfig& config, const LogStorage& storage)
    : id_(config.id),
      peers_(config.peers),
      cfg_(config),
      random_(*config.random),
      log_(storage, storage.hard_state().commit) {
  RMQ_CHECK(config.random != nullptr);
  RMQ_CHECK(std::find(peers_.begin(), peers_.end(), id_) != peers_.end());
  const HardState hs = storage.hard_state();
  term_ = hs.term;
  vote_ = hs.vote;
  prev_hard_ = HardState{term_, vote_, log_.committed()};
  become_follower(term_, kNoNode);
  vote_ = hs.vote;  // become_follower keeps the vote when the term is unchanged
  prev_soft_ = SoftState{Role::kFollower, kNoNode, Term(0)};
  trace("started at term " + std::to_string(term_.value()) + ", last index " +
        std::to_string(log_.last_index().value()) + ", commit " +
        std::to_string(log_.committed().value()));
}

void Raft::trace(const std::string& what) const {
  if (cfg_.logger) cfg_.logger(std::to_string(id_.value()) + " " + what);
}

// ---- roles -------------------------------------------------------------------------------------

void Raft::reset_randomized_timeout() {
  randomized_timeout_ = static_cast<int>(
      random_.uniform(cfg_.election_ticks, 2 * static_cast<int64_t>(cfg_.election_ticks) - 1));
}

void Raft::reset(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  lead_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_timeout();
  abort_transfer();
  votes_.clear();
  progress_.clear();
}

void Raft::become_follower(Term term, NodeId lead) {
  reset(term);
  lead_ = lead;
  role_ = Role::kFollower;
  trace("became follower at term " + std::to_string(term_.value()));
}

void Raft::become_pre_candidate() {
  // Thesis §9.6: a pre-candidate asks whether it could win before it raises its term.
  votes_.clear();
  lead_ = kNoNode;
  role_ = Role::kPreCandidate;
  trace("became pre-candidate at term " + std::to_string(term_.value()));
}

void Raft::become_candidate() {
  reset(term_.next());
  vote_ = id_;
  role_ = Role::kCandidate;
  trace("became candidate at term " + std::to_string(term_.value()));
}

void Raft::become_leader() {
  reset(term_);
  lead_ = id_;
  role_ = Role::kLeader;
  for (NodeId p : peers_) {
    Progress pr;
    pr.next = log_.last_index().next();
    pr.match = p == id_ ? log_.persisted() : LogIndex(0);
    pr.recent_active = p == id_;
    progress_[p] = pr;
  }
  // §5.4.2: entries of earlier terms commit only under one of this term; the no-op provides it.
  noop_index_ = log_.last_index().next();
  append_own({Entry{term_, noop_index_, EntryType::kNoop, -1, nullptr}});
  trace("became leader at term " + std::to_string(term_.value()));
}

// ---- ticks -------------------------------------------------------------------------------------

void Raft::tick() {
  if (role_ == Role::kLeader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void Raft::tick_election() {
  ++election_elapsed_;
  if (past_election_timeout()) {
    election_elapsed_ = 0;
    campaign_internal(cfg_.pre_vote, /*transfer=*/false);
  }
}

void Raft::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  ++transfer_elapsed_;
  if (election_elapsed_ >= cfg_.election_ticks) {
    election_elapsed_ = 0;
    maybe_transfer_to_preferred();
    // §6.2 check-quorum: a leader that has not heard from a majority steps down.
    if (cfg_.check_quorum && !check_quorum_active()) {
      trace("stepped down: no quorum heard within an election timeout");
      become_follower(term_, kNoNode);
      return;
    }
  }
  if (transferee_ != kNoNode && transfer_elapsed_ >= cfg_.election_ticks) {
    trace("leadership transfer to " + std::to_string(transferee_.value()) + " timed out");
    abort_transfer();
  }
  if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat();
  }
}

bool Raft::check_quorum_active() {
  size_t active = 0;
  for (auto& [p, pr] : progress_) {
    if (p == id_ || pr.recent_active) ++active;
    if (p != id_) pr.recent_active = false;
  }
  return active >= quorum();
}

void Raft::maybe_transfer_to_preferred() {
  const NodeId pref = cfg_.preferred_leader;
  if (pref == kNoNode || pref == id_ || transferee_ != kNoNode || !serving()) return;
  auto it = progress_.find(pref);
  if (it == progress_.end() || !it->second.recent_active) return;
  if (it->second.match == log_.last_index()) {
    trace("handing leadership to the preferred leader " + std::to_string(pref.value()));
    (void)transfer_leadership(pref);
  }
}

// ---- elections ---------------------------------------------------------------------------------

void Raft::campaign() {
  if (role_ == Role::kLeader) return;
  campaign_internal(cfg_.pre_vote, /*transfer=*/false);
}

void Raft::campaign_internal(bool pre_vote, bool transfer) {
  MessageType type;
  Term vote_term;
  if (pre_vote) {
    become_pre_candidate();
    type = MessageType::kPreVote;
    vote_term = term_.next();
  } else {
    become_candidate();
    type = MessageType::kVote;
    vote_term = term_;
  }
  size_t rejected = 0;
  if (tally_vote(id_, true, &rejected) >= static_cast<int>(quorum())) {
    // A single-node group wins at once.
    if (pre_vote) {
      campaign_internal(false, transfer);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId p : peers_) {
    if (p == id_) continue;
    Message m;
    m.type = type;
    m.from = id_;
    m.to = p;
    m.term = vote_term;
    m.log_index = log_.last_index();
    m.log_term = log_.last_term();
    m.transfer = transfer;
    send(std::move(m));
  }
}

int Raft::tally_vote(NodeId from, bool granted, size_t* rejected) {
  votes_.emplace(from, granted);  // the first answer of each voter counts
  int yes = 0;
  *rejected = 0;
  for (const auto& [p, v] : votes_) {
    if (v) {
      ++yes;
    } else {
      ++*rejected;
    }
  }
  return yes;
}

void Raft::handle_vote_request(const Message& m) {
  const bool pre = m.type == MessageType::kPreVote;
  // §5.2 one vote per term (first come, first served); a pre-vote for a future term is free.
  const bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && lead_ == kNoNode) || (pre && m.term > term_);
  Message r;
  r.type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  r.from = id_;
  r.to = m.from;
  // §5.4.1: only a candidate whose log is at least as up to date as ours.
  if (can_vote && log_.is_up_to_date(m.log_index, m.log_term)) {
    r.term = m.term;
    r.reject = false;
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
    trace(std::string("granted ") + (pre ? "pre-vote" : "vote") + " to " +
          std::to_string(m.from.value()) + " at term " + std::to_string(m.term.value()));
  } else {
    r.term = term_;
    r.reject = true;
  }
  send(std::move(r));
}

// ---- step --------------------------------------------------------------------------------------

void Raft::step(Message m) {
  if (m.term > term_) {
    if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
      // §6.2 leader lease: while we hear from a leader, ignore disruptive candidates.
      const bool in_lease =
          cfg_.check_quorum && lead_ != kNoNode && election_elapsed_ < cfg_.election_ticks;
      if (in_lease && !m.transfer) {
        trace("ignored " + std::string(to_string(m.type)) + " from " +
              std::to_string(m.from.value()) + ": leader lease");
        return;
      }
    }
    if (m.type == MessageType::kPreVote) {
      // Never changes our term.
    } else if (m.type == MessageType::kPreVoteResponse && !m.reject) {
      // A granted pre-vote carries the future term of our pre-campaign.
    } else {
      // §5.1: a higher term makes us a follower of it.
      const bool from_leader = m.type == MessageType::kAppend ||
                               m.type == MessageType::kHeartbeat ||
                               m.type == MessageType::kTimeoutNow;
      become_follower(m.term, from_leader ? m.from : kNoNode);
    }
  } else if (m.term < term_) {
    if ((cfg_.check_quorum || cfg_.pre_vote) &&
        (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat)) {
      // A deposed leader: tell it our term so it steps down (otherwise, with pre-vote, it could
      // keep a partitioned-and-healed group without a leader).
      Message r;
      r.type = MessageType::kAppendResponse;
      r.from = id_;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      r.log_index = LogIndex(-1);  // matches no outstanding append
      send(std::move(r));
    } else if (m.type == MessageType::kPreVote) {
      Message r;
      r.type = MessageType::kPreVoteResponse;
      r.from = id_;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      send(std::move(r));
    }
    return;  // §5.1: stale messages are ignored
  }

  if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
    handle_vote_request(m);
    return;
  }
  switch (role_) {
    case Role::kLeader:
      step_leader(m);
      break;
    case Role::kCandidate:
    case Role::kPreCandidate:
      step_candidate(m);
      break;
    case Role::kFollower:
      step_follower(m);
      break;
  }
}

void Raft::step_follower(Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_append(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_heartbeat(m);
      break;
    case MessageType::kTimeoutNow:
      // §3.10: the leader picked us; campaign now, skipping pre-vote and leases.
      trace("leadership transfer: campaigning at once");
      campaign_internal(/*pre_vote=*/false, /*transfer=*/true);
      break;
    default:
      break;
  }
}

void Raft::step_candidate(Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      become_follower(m.term, m.from);  // §5.2: a leader of our term exists
      handle_append(m);
      break;
    case MessageType::kHeartbeat:
      become_follower(m.term, m.from);
      handle_heartbeat(m);
      break;
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse: {
      const bool mine = (role_ == Role::kPreCandidate) == (m.type == MessageType::kPreVoteResponse);
      if (!mine) break;
      size_t rejected = 0;
      const int granted = tally_vote(m.from, !m.reject, &rejected);
      if (granted >= static_cast<int>(quorum())) {
        if (role_ == Role::kPreCandidate) {
          campaign_internal(/*pre_vote=*/false, /*transfer=*/false);
        } else {
          become_leader();
          broadcast_append();
        }
      } else if (rejected >= quorum()) {
        become_follower(term_, kNoNode);
      }
      break;
    }
    default:
      break;
  }
}

void Raft::step_leader(Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  switch (m.type) {
    case MessageType::kAppendResponse:
      handle_append_response(m);
      break;
    case MessageType::kHeartbeatResponse:
      pr.recent_active = true;
      if (pr.state == Progress::State::kProbe) pr.probe_sent = false;
      // All in-flight appends may have been lost: make room for one more.
      if (pr.state == Progress::State::kReplicate &&
          pr.paused(cfg_.max_inflight_msgs, cfg_.max_inflight_bytes) && !pr.inflights.empty()) {
        pr.inflight_bytes -= pr.inflights.front().bytes;
        pr.inflights.pop_front();
      }
      // Behind: send even an empty append. If every append in flight was lost (or a reordered
      // rejection looked stale), its rejection is what makes us back up and resend.
      if (pr.match < log_.last_index()) send_append(m.from, /*send_if_empty=*/true);
      break;
    default:
      break;
  }
}

// ---- replication -------------------------------------------------------------------------------

void Raft::handle_append(Message& m) {
  Message r;
  r.type = MessageType::kAppendResponse;
  r.from = id_;
  r.to = m.from;
  r.term = term_;
  if (m.log_index < log_.committed()) {
    // Already have (and committed) everything up to there.
    r.log_index = log_.committed();
    send(std::move(r));
    return;
  }
  const LogIndex prev = m.log_index;
  if (auto last_new = log_.maybe_append(prev, m.log_term, std::move(m.entries))) {
    // §5.3: commit = min(leaderCommit, index of last new entry).
    log_.commit_to(std::min(m.commit, *last_new));
    r.log_index = *last_new;
  } else {
    // §5.3 consistency check failed: hint where our log could match.
    r.reject = true;
    r.log_index = prev;
    r.reject_hint = std::min(prev, log_.last_index());
    r.reject_hint_term = log_.term(r.reject_hint).value_or(Term(0));
  }
  send(std::move(r));
}

void Raft::handle_heartbeat(const Message& m) {
  // The leader caps `commit` at what it knows we hold.
  if (m.commit > log_.committed()) log_.commit_to(std::min(m.commit, log_.last_index()));
  Message r;
  r.type = MessageType::kHeartbeatResponse;
  r.from = id_;
  r.to = m.from;
  r.term = term_;
  send(std::move(r));
}

void Raft::handle_append_response(const Message& m) {
  Progress& pr = progress_[m.from];
  pr.recent_active = true;
  if (m.reject) {
    LogIndex next_probe = m.reject_hint;
    if (m.reject_hint_term.value() > 0) {
      next_probe = log_.find_conflict_by_term(m.reject_hint, m.reject_hint_term);
    }
    if (pr.maybe_decrease_to(m.log_index, next_probe)) {
      if (pr.state == Progress::State::kReplicate) pr.become_probe();
      send_append(m.from, false);
    }
    return;
  }
  const bool was_paused = pr.paused(cfg_.max_inflight_msgs, cfg_.max_inflight_bytes);
  if (pr.maybe_update(m.log_index)) {
    if (pr.state == Progress::State::kProbe) pr.become_replicate();
    pr.free_to(m.log_index);
    if (maybe_commit()) {
      if (cfg_.announce_commit_at_once) broadcast_append();
    } else if (was_paused) {
      // It may have missed a commit advance while paused: tell it, even with no new entries.
      send_append(m.from, /*send_if_empty=*/true);
    }
    while (send_append(m.from, false)) {
    }
    if (m.from == transferee_ && pr.match == log_.last_index()) send_timeout_now(m.from);
  } else {
    pr.free_to(m.log_index);
  }
}

bool Raft::send_append(NodeId to, bool send_if_empty) {
  Progress& pr = progress_[to];
  if (pr.paused(cfg_.max_inflight_msgs, cfg_.max_inflight_bytes)) return false;
  Message m;
  m.type = MessageType::kAppend;
  m.from = id_;
  m.to = to;
  m.term = term_;
  const LogIndex prev = pr.next.prev();
  const auto prev_term = log_.term(prev);
  if (!prev_term) {
    trace("cannot find the term of index " + std::to_string(prev.value()) + " for " +
          std::to_string(to.value()));
    return false;
  }
  m.log_index = prev;
  m.log_term = *prev_term;
  if (pr.next <= log_.last_index()) {
    auto ents = log_.entries_from(pr.next, cfg_.max_msg_bytes);
    if (!ents.ok()) {
      trace("reading entries for " + std::to_string(to.value()) +
            " failed: " + ents.status().to_string());
      return false;
    }
    m.entries = std::move(ents).value();
  }
  if (m.entries.empty() && !send_if_empty) return false;
  m.commit = log_.committed();
  if (pr.state == Progress::State::kProbe) {
    pr.probe_sent = true;
  } else if (!m.entries.empty()) {
    pr.sent(m.entries.back().index, m.bytes() + 64);  // 64: per-message overhead
  }
  send(std::move(m));
  return true;
}

void Raft::broadcast_append() {
  for (NodeId p : peers_) {
    if (p != id_) send_append(p, /*send_if_empty=*/true);
  }
}

void Raft::broadcast_heartbeat() {
  for (NodeId p : peers_) {
    if (p == id_) continue;
    Message m;
    m.type = MessageType::kHeartbeat;
    m.from = id_;
    m.to = p;
    m.term = term_;
    m.commit = std::min(progress_[p].match, log_.committed());
    send(std::move(m));
  }
}

bool Raft::maybe_commit() {
  std::vector<LogIndex> matches;
  matches.reserve(progress_.size());
  for (const auto& [p, pr] : progress_) matches.push_back(pr.match);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  return log_.maybe_commit(matches[quorum() - 1], term_);
}

bool Raft::append_own(std::vector<Entry> entries) {
  log_.append(std::move(entries));
  // The leader counts itself once its own copy is persisted (advance()).
  return true;
}

Result<LogIndex> Raft::propose(EntryType type, std::shared_ptr<const std::string> data) {
  if (role_ != Role::kLeader) {
    return Status::unavailable(lead_ == kNoNode
                                   ? std::string("not the leader; no leader known")
                                   : "not the leader; leader is " + std::to_string(lead_.value()));
  }
  if (transferee_ != kNoNode) {
    return Status::unavailable("leadership transfer to " + std::to_string(transferee_.value()) +
                               " in progress");
  }
  const LogIndex index = log_.last_index().next();
  append_own({Entry{term_, index, type, -1, std::move(data)}});
  pending_broadcast_ = true;  // sent with the next Ready, batching proposals
  return index;
}

// ---- leadership transfer -----------------------------------------------------------------------

Status Raft::transfer_leadership(NodeId target) {
  if (role_ != Role::kLeader) return Status::unavailable("not the leader");
  if (target == id_) return Status::ok();
  if (progress_.find(target) == progress_.end()) {
    return Status::invalid_argument("node " + std::to_string(target.value()) +
                                    " is not in the group");
  }
  if (transferee_ == target) return Status::ok();
  abort_transfer();
  transferee_ = target;
  transfer_elapsed_ = 0;
  trace("transferring leadership to " + std::to_string(target.value()));
  if (progress_[target].match == log_.last_index()) {
    send_timeout_now(target);
  } else {
    send_append(target, false);  // catch it up first
  }
  return Status::ok();
}

void Raft::send_timeout_now(NodeId to) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.from = id_;
  m.to = to;
  m.term = term_;
  send(std::move(m));
}

void Raft::abort_transfer() {
  transferee_ = kNoNode;
  transfer_elapsed_ = 0;
}

bool Raft::serving() const { return role_ == Role::kLeader && log_.committed() >= noop_index_; }

// ---- ready / advance ---------------------------------------------------------------------------

void Raft::send(Message m) { msgs_.push_back(std::move(m)); }

bool Raft::has_ready() const {
  if (pending_broadcast_ || !msgs_.empty() || !log_.unstable().empty()) return true;
  if (HardState{term_, vote_, log_.committed()} != prev_hard_) return true;
  return SoftState{role_, lead_, term_} != prev_soft_;
}

Ready Raft::ready() {
  if (pending_broadcast_) {
    pending_broadcast_ = false;
    if (role_ == Role::kLeader) {
      for (NodeId p : peers_) {
        if (p != id_) send_append(p, false);
      }
    }
  }
  Ready rd;
  const HardState hs{term_, vote_, log_.committed()};
  if (hs != prev_hard_) {
    rd.hard_state = hs;
    prev_hard_ = hs;
  }
  const SoftState ss{role_, lead_, term_};
  if (ss != prev_soft_) {
    rd.soft_state = ss;
    prev_soft_ = ss;
  }
  rd.entries = log_.unstable();
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.commit = log_.committed();
  return rd;
}

void Raft::advance(const Ready& rd) {
  if (!rd.entries.empty()) log_.stable_to(rd.entries.back().index, rd.entries.back().term);
  if (role_ == Role::kLeader) {
    Progress& self = progress_[id_];
    if (self.maybe_update(log_.persisted()) && maybe_commit() && cfg_.announce_commit_at_once) {
      broadcast_append();
    }
  }
}

}  // namespace rmq::dledger
