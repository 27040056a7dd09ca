// Plain data of the Raft core: entries, messages, persistent state. No behaviour, no I/O.
#pragma once

#include "common/strong_id.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rmq::dledger {

using common::LogIndex;
using common::NodeId;
using common::Term;

inline constexpr NodeId kNoNode{0};  // node ids start at 1

// DESIGN.md: messages, metadata (offsets, topics) and the leader's no-op travel in one log.
enum class EntryType : uint8_t { kNoop = 0, kMessage = 1, kMetadata = 2 };

struct Entry {
  Term term;
  LogIndex index;
  EntryType type = EntryType::kNoop;
  // Where the entry's bytes start in the entry log; assigned by the leader's storage and identical
  // on every replica (-1 until stored).
  int64_t position = -1;
  std::shared_ptr<const std::string> data;  // shared, never copied on the way through
  size_t size() const { return data ? data->size() : 0; }
  friend bool operator==(const Entry& a, const Entry& b) {
    return a.term == b.term && a.index == b.index && a.type == b.type &&
           (a.data ? *a.data : std::string()) == (b.data ? *b.data : std::string());
  }
};

enum class MessageType : uint8_t {
  kPreVote,
  kPreVoteResponse,
  kVote,
  kVoteResponse,
  kAppend,  // entries and/or commit index from the leader
  kAppendResponse,
  kHeartbeat,  // commit index only; keeps followers' election timers quiet
  kHeartbeatResponse,
  kTimeoutNow,  // leadership transfer: campaign at once
};
const char* to_string(MessageType t);

struct Message {
  MessageType type = MessageType::kHeartbeat;
  NodeId from;
  NodeId to;
  Term term;  // sender's term (pre-vote: the term it would campaign in)

  // kPreVote / kVote: the candidate's last entry. kAppend: the entry before `entries`.
  LogIndex log_index;
  Term log_term;
  std::vector<Entry> entries;  // kAppend
  LogIndex commit;             // kAppend / kHeartbeat: the leader's commit index (capped)

  bool reject = false;    // responses
  LogIndex reject_hint;   // kAppendResponse reject: the follower's last index <= log_index
  Term reject_hint_term;  // the term of the follower's entry at reject_hint
  bool transfer = false;  // kVote caused by a leadership transfer: ignore leader leases

  size_t bytes() const;  // payload bytes, for flow control
};

// What must be durable before a node answers anything.
struct HardState {
  Term term;
  NodeId vote = kNoNode;
  LogIndex commit;
  friend bool operator==(const HardState&, const HardState&) = default;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* to_string(Role r);

// Volatile state reported to the embedding broker when it changes.
struct SoftState {
  Role role = Role::kFollower;
  NodeId leader = kNoNode;
  Term term;
  friend bool operator==(const SoftState&, const SoftState&) = default;
};

}  // namespace rmq::dledger
