// Three MessageStores in DLedger mode (DLedgerCommitLog) in one process over loopback TCP: sends
// are acknowledged only on the leader after majority commit; every replica builds identical
// consume queues whose units point at byte-identical records with the same physical offsets;
// after the leader stops, the next leader continues queue offsets without gaps; the old leader
// rejoins and converges.
#include "broker/replication/dledger_commit_log.h"
#include "store/message_store.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace rmq::broker {
namespace {

using namespace std::chrono_literals;

using testutil::eventually;
using testutil::free_port;

store::MessageInput message(const std::string& topic, int32_t q, const std::string& body) {
  store::MessageInput m;
  m.topic = topic;
  m.queue_id = q;
  m.born_timestamp = 1'700'000'000'000;
  m.born_host = *store::HostAddress::parse("10.0.0.1:5000");
  m.store_host = *store::HostAddress::parse("127.0.0.1:10911");
  m.body = common::as_bytes(body);
  store::append_property(m.properties, store::prop::kKeys, "k-" + body);
  return m;
}

class DLedgerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t i = 1; i <= 3; ++i) ports_[dledger::NodeId(i)] = free_port();
    for (uint32_t i = 1; i <= 3; ++i) start(dledger::NodeId(i));
  }
  void TearDown() override {
    for (auto& [id, s] : stores_) {
      if (s) s->shutdown();
    }
  }
  void start(dledger::NodeId id) {
    store::StoreConfig cfg;
    cfg.store_path_root_dir = dir_.file("n" + std::to_string(id.value()));
    cfg.consume_queue_units_per_file = 1000;
    cfg.max_hash_slot_num = 1024;
    cfg.max_index_num = 8192;
    DLedgerOptions o;
    o.self = id;
    o.bind_address = "127.0.0.1";
    o.port = ports_[id];
    for (auto& [pid, port] : ports_) o.peers[pid] = "127.0.0.1:" + std::to_string(port);
    o.dir = cfg.store_path_root_dir + "/dledger";
    o.data_file_size = 256 * 1024;  // roll often
    o.index_file_size = 32 * 4096;
    o.tick = 20ms;
    auto s = std::make_unique<store::MessageStore>(
        cfg, store::posix_file_system(), common::SteadyClock::instance(),
        [&](store::QueueOffsetTable& offsets) {
          auto log = std::make_unique<DLedgerCommitLog>(store::posix_file_system(), o,
                                                        common::SteadyClock::instance(), offsets);
          logs_[id] = log.get();
          return log;
        });
    ASSERT_TRUE(s->load().is_ok());
    ASSERT_TRUE(s->start().is_ok());
    stores_[id] = std::move(s);
  }
  void stop(dledger::NodeId id) {
    stores_[id]->shutdown();
    stores_[id].reset();
    logs_[id] = nullptr;
  }
  // Sends on whichever node accepts; retries while no leader is writable.
  store::AppendResult put(const store::MessageInput& m) {
    for (int attempt = 0; attempt < 4000; ++attempt) {
      for (auto& [id, s] : stores_) {
        if (!s || !logs_[id]->is_leader()) continue;
        std::promise<store::AppendResult> p;
        s->put_message(m, [&](const store::AppendResult& r) { p.set_value(r); });
        auto r = p.get_future().get();
        if (r.status == store::PutStatus::kOk) return r;
      }
      std::this_thread::sleep_for(5ms);
    }
    return {};
  }
  // (physical offset, record bytes) of every unit of a queue, via the store's read path.
  std::vector<std::pair<int64_t, std::string>> queue_contents(store::MessageStore& s,
                                                              const std::string& topic, int32_t q) {
    std::vector<std::pair<int64_t, std::string>> out;
    int64_t off = 0;
    while (true) {
      auto r = s.get_message(topic, q, off, 32, 1 << 20);
      if (r.status != store::GetStatus::kFound) break;
      for (auto& slice : r.messages)
        out.emplace_back(slice.offset, std::string(common::as_string_view(slice.bytes)));
      off = r.next_begin_offset;
    }
    return out;
  }

  testutil::TempDir dir_;
  std::map<dledger::NodeId, uint16_t> ports_;
  std::map<dledger::NodeId, std::unique_ptr<store::MessageStore>> stores_;
  std::map<dledger::NodeId, DLedgerCommitLog*> logs_;
};

TEST_F(DLedgerStoreTest, ReplicasBuildIdenticalQueuesAndFailoverKeepsOffsets) {
  std::vector<store::AppendResult> acked;
  for (int i = 0; i < 300; ++i) {
    auto r = put(message("Rep", i % 3, "m" + std::to_string(i)));
    ASSERT_EQ(r.status, store::PutStatus::kOk) << i;
    EXPECT_EQ(r.queue_offset, i / 3);
    acked.push_back(r);
  }
  for (auto& [id, s] : stores_) {
    ASSERT_TRUE(eventually([&] { return s->max_offset_in_queue("Rep", 2) == 100; })) << id;
  }
  // Same units, same physical offsets, same bytes on every replica; the stored PHYSICALOFFSET
  // equals where the record sits.
  for (int q = 0; q < 3; ++q) {
    const auto first = queue_contents(*stores_[dledger::NodeId(1)], "Rep", q);
    ASSERT_EQ(first.size(), 100u);
    for (const auto& [off, bytes] : first) {
      auto m = store::decode_message(common::as_bytes(bytes), true);
      ASSERT_TRUE(m.ok());
      EXPECT_EQ(m->physical_offset, off);
    }
    for (uint32_t n = 2; n <= 3; ++n) {
      EXPECT_EQ(queue_contents(*stores_[dledger::NodeId(n)], "Rep", q), first) << "node " << n;
    }
  }
  // The acknowledged physical offsets are where the records are.
  for (const auto& r : acked) {
    auto rec = stores_[dledger::NodeId(2)]->look_message_by_offset(r.physical_offset);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(store::decode_message(rec->bytes, false)->queue_offset, r.queue_offset);
  }
  EXPECT_EQ(
      stores_[dledger::NodeId(3)]->query_message("Rep", "k-m7", 4, 0, INT64_MAX).messages.size(),
      1u);

  // The leader's timeline shows how it came to serve.
  {
    dledger::NodeId leader_id;
    for (auto& [id, l] : logs_) {
      if (l && l->is_leader()) leader_id = id;
    }
    const auto events = logs_[leader_id]->timeline();
    std::vector<std::string> whats;
    for (const auto& e : events) whats.push_back(e.what);
    auto find = [&](const std::string& prefix) {
      for (size_t i = 0; i < whats.size(); ++i) {
        if (whats[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
      }
      return -1;
    };
    const int elected = find("role leader");
    const int writable = find("writable");
    const int first_ack = find("first acknowledged send");
    ASSERT_GE(elected, 0);
    EXPECT_GT(writable, elected);
    EXPECT_GT(first_ack, writable);
    EXPECT_LE(events[static_cast<size_t>(elected)].wall_ms,
              events[static_cast<size_t>(first_ack)].wall_ms);
  }

  // Failover: the next leader continues every queue without a gap.
  dledger::NodeId old_leader;
  for (auto& [id, l] : logs_) {
    if (l && l->is_leader()) old_leader = id;
  }
  ASSERT_NE(old_leader, dledger::kNoNode);
  stop(old_leader);
  for (int i = 300; i < 390; ++i) {
    auto r = put(message("Rep", i % 3, "m" + std::to_string(i)));
    ASSERT_EQ(r.status, store::PutStatus::kOk) << i;
    EXPECT_EQ(r.queue_offset, i / 3) << "queue offsets must continue after failover";
  }
  // The old leader rejoins and converges.
  start(old_leader);
  for (auto& [id, s] : stores_) {
    ASSERT_TRUE(eventually([&] { return s->max_offset_in_queue("Rep", 2) == 130; })) << id;
  }
  for (int q = 0; q < 3; ++q) {
    const auto ref = queue_contents(*stores_[dledger::NodeId(1)], "Rep", q);
    EXPECT_EQ(ref.size(), 130u);
    for (uint32_t n = 2; n <= 3; ++n) {
      EXPECT_EQ(queue_contents(*stores_[dledger::NodeId(n)], "Rep", q), ref) << "node " << n;
    }
  }
}

TEST_F(DLedgerStoreTest, FollowersRefuseSendsNamingTheLeader) {
  ASSERT_EQ(put(message("F", 0, "first")).status, store::PutStatus::kOk);
  for (auto& [id, s] : stores_) {
    if (logs_[id]->is_leader()) continue;
    // A majority acknowledged the first send; the other follower may not have heard yet (it then
    // says "no leader elected yet", which is true). Once it knows the leader, it names it.
    ASSERT_TRUE(eventually([&] { return logs_[id]->node().leader_id() != dledger::kNoNode; }));
    std::promise<store::AppendResult> p;
    s->put_message(message("F", 0, "x"), [&](const store::AppendResult& r) { p.set_value(r); });
    auto r = p.get_future().get();
    EXPECT_EQ(r.status, store::PutStatus::kServiceNotAvailable);
    EXPECT_NE(r.remark.find("leader is n"), std::string::npos) << r.remark;
  }
}

}  // namespace
}  // namespace rmq::broker
