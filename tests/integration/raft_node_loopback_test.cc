// Three RaftNodes in one process talking over real TCP on 127.0.0.1 (RemotingTransport): elect a
// leader, replicate proposals, stop the leader, elect another, keep going, and check every
// acknowledged entry is in every surviving log, identically.
#include "dledger/memory_log_storage.h"
#include "dledger/net/raft_node.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <thread>

namespace rmq::dledger::net {
namespace {

using namespace std::chrono_literals;

using testutil::eventually;

struct Member {
  MemoryLogStorage storage;  // the driver is its only writer; read after stop()
  std::unique_ptr<RemotingTransport> transport;
  std::unique_ptr<RaftNode> node;
  bool running = false;
};

class RaftNodeLoopbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<NodeId> ids{NodeId(1), NodeId(2), NodeId(3)};
    for (NodeId id : ids) {
      auto m = std::make_unique<Member>();
      RemotingTransportOptions to;
      to.bind_address = "127.0.0.1";
      m->transport = std::make_unique<RemotingTransport>(to, common::SteadyClock::instance());
      ASSERT_TRUE(m->transport->start().is_ok());
      members_[id] = std::move(m);
    }
    for (auto& [id, m] : members_) {
      for (auto& [pid, pm] : members_) {
        m->transport->set_peer_address(pid, "127.0.0.1:" + std::to_string(pm->transport->port()));
      }
      RaftNodeOptions no;
      no.raft.id = id;
      no.raft.peers = ids;
      no.raft.election_ticks = 10;
      no.tick = 20ms;  // 200-400 ms elections keep the test short
      no.seed = 1000 + id.value();
      no.name = "n" + std::to_string(id.value());
      m->node = std::make_unique<RaftNode>(no, m->storage, *m->transport);
      m->node->start();
      m->running = true;
    }
  }
  void TearDown() override {
    for (auto& [id, m] : members_) stop(id);
  }
  void stop(NodeId id) {
    auto& m = members_[id];
    if (!m->running) return;
    m->transport->stop();
    m->node->stop();
    m->running = false;
  }
  NodeId leader() {
    for (auto& [id, m] : members_) {
      if (m->running && m->node->is_leader()) return id;
    }
    return kNoNode;
  }
  // Proposes `n` values on the current leader, waiting for each batch of acks.
  void propose_values(int from, int n, std::set<std::string>* acked) {
    std::mutex mu;
    int done = 0;
    for (int i = from; i < from + n;) {
      const NodeId l = leader();
      if (l == kNoNode || !members_[l]->node->status().serving) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      const std::string v = "value-" + std::to_string(i);
      members_[l]->node->propose(EntryType::kMessage, std::make_shared<std::string>(v),
                                 [&, v](common::Result<Committed> r) {
                                   std::lock_guard lock(mu);
                                   if (r.ok()) acked->insert(v);
                                   ++done;
                                 });
      ++i;
    }
    ASSERT_TRUE(eventually([&] {
      std::lock_guard lock(mu);
      return done == n;
    }));
  }

  std::map<NodeId, std::unique_ptr<Member>> members_;
};

TEST_F(RaftNodeLoopbackTest, ReplicatesAndFailsOverWithoutLosingAcknowledgedEntries) {
  ASSERT_TRUE(eventually([&] { return leader() != kNoNode; }));
  std::set<std::string> acked;
  propose_values(0, 2000, &acked);
  EXPECT_EQ(acked.size(), 2000u);

  const NodeId old_leader = leader();
  stop(old_leader);
  ASSERT_TRUE(eventually([&] {
    const NodeId l = leader();
    return l != kNoNode && l != old_leader;
  }));
  propose_values(2000, 1000, &acked);
  EXPECT_GE(acked.size(), 2900u);  // proposals racing the failover may fail; none may be lost

  // Let followers learn the final commit, then compare the two survivors' logs.
  const NodeId l = leader();
  const LogIndex commit = members_[l]->node->commit_index();
  for (auto& [id, m] : members_) {
    if (m->running) {
      ASSERT_TRUE(eventually([&] { return m->node->commit_index() >= commit; }));
    }
  }
  std::vector<NodeId> alive;
  for (auto& [id, m] : members_) {
    if (m->running) alive.push_back(id);
  }
  for (NodeId id : alive) stop(id);
  auto read_all = [&](NodeId id) {
    auto& st = members_[id]->storage;
    return st.entries(LogIndex(1), commit.next(), SIZE_MAX).value();
  };
  const auto a = read_all(alive[0]);
  const auto b = read_all(alive[1]);
  ASSERT_EQ(a.size(), static_cast<size_t>(commit.value()));
  ASSERT_EQ(a, b);
  std::set<std::string> in_log;
  for (const Entry& e : a) {
    if (e.type == EntryType::kMessage) {
      EXPECT_TRUE(in_log.insert(*e.data).second) << "duplicate " << *e.data;
    }
  }
  for (const auto& v : acked) EXPECT_TRUE(in_log.count(v)) << "acknowledged but lost: " << v;
}

}  // namespace
}  // namespace rmq::dledger::net
