// Tests for store/meta: the JSON/offset codecs, RocksDbMetaStore CRUD, batch atomicity,
// persistence across reopen, and kill -9 of a writer process.
#include "store/meta/meta_store.h"

#include "common/random.h"
#include "store/meta/meta_codec.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace rmq::store {
namespace {

using testutil::TempDir;

std::unique_ptr<MetaStore> open_store(const std::string& dir, bool sync = true) {
  auto r = open_rocksdb_meta_store(dir, sync);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? std::move(r).value() : nullptr;
}

TopicConfig make_topic(const std::string& name, int32_t queues = 8) {
  TopicConfig t;
  t.topic_name = name;
  t.read_queue_nums = queues;
  t.write_queue_nums = queues;
  t.perm = 6;
  t.order = true;
  return t;
}

SubscriptionGroupConfig make_group(const std::string& name) {
  SubscriptionGroupConfig g;
  g.group_name = name;
  g.consume_broadcast_enable = false;
  g.retry_max_times = 3;
  g.broker_id = 1;
  return g;
}

// ---- Codec ----

TEST(MetaCodec, TopicRoundTripUsesRocketMqFieldNames) {
  TopicConfig t = make_topic("TopicTest", 16);
  t.topic_sys_flag = 3;
  t.topic_filter_type = "MULTI_TAG";
  const std::string json = encode_topic_config(t);
  EXPECT_EQ(json, R"({"topicName":"TopicTest","readQueueNums":16,"writeQueueNums":16,"perm":6,)"
                  R"("topicFilterType":"MULTI_TAG","topicSysFlag":3,"order":true})");
  auto back = decode_topic_config(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, t);
}

TEST(MetaCodec, GroupRoundTripUsesRocketMqFieldNames) {
  SubscriptionGroupConfig g = make_group("please_rename_unique_group_name");
  g.which_broker_when_consume_slowly = 7;
  g.notify_consumer_ids_changed_enable = false;
  const std::string json = encode_subscription_group_config(g);
  for (const char* field : {"groupName", "consumeEnable", "consumeFromMinEnable",
                            "consumeBroadcastEnable", "retryQueueNums", "retryMaxTimes", "brokerId",
                            "whichBrokerWhenConsumeSlowly", "notifyConsumerIdsChangedEnable"}) {
    EXPECT_NE(json.find(std::string("\"") + field + "\":"), std::string::npos) << field;
  }
  auto back = decode_subscription_group_config(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, g);
}

TEST(MetaCodec, DecodesFastjsonStyleEntriesWithDefaults) {
  // Alphabetical member order and missing members, as in a RocketMQ topics.json entry.
  auto t = decode_topic_config(
      R"({"order":false,"perm":7,"readQueueNums":2,"topicName":"T","writeQueueNums":"3"})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->topic_name, "T");
  EXPECT_EQ(t->perm, 7);
  EXPECT_EQ(t->read_queue_nums, 2);
  EXPECT_EQ(t->write_queue_nums, 3);
  EXPECT_EQ(t->topic_filter_type, "SINGLE_TAG");
  auto g = decode_subscription_group_config(R"({"groupName":"G","consumeEnable":"false"})");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_FALSE(g->consume_enable);
  EXPECT_EQ(g->retry_max_times, 16);
}

TEST(MetaCodec, MalformedJsonIsAnError) {
  for (const char* bad :
       {"", "{", "not json", "[1,2]", "42", R"({"perm":6})", R"({"topicName":""})",
        R"({"topicName":5})", R"({"topicName":"T","perm":"rw"})",
        R"({"topicName":"T","readQueueNums":4294967296})", R"({"topicName":"T","order":1})",
        R"({"topicName":"T","topicFilterType":[]})"}) {
    auto r = decode_topic_config(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), common::Code::kCorruption) << bad;
    }
  }
  for (const char* bad : {"{]", R"({"consumeEnable":true})", R"({"groupName":"G","brokerId":"x"})",
                          R"({"groupName":"G","retryMaxTimes":1.5})"}) {
    EXPECT_FALSE(decode_subscription_group_config(bad).ok()) << bad;
  }
}

TEST(MetaCodec, OffsetKeyAndValueRoundTrip) {
  for (const OffsetKey& k : {OffsetKey{"g", "t", 0}, OffsetKey{"group", "%RETRY%group", 255},
                             OffsetKey{"a", "b", 0x01000000}, OffsetKey{"x", "y", -1}}) {
    auto back = decode_offset_key(encode_offset_key(k));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, k);
  }
  EXPECT_FALSE(decode_offset_key("short").ok());
  EXPECT_FALSE(decode_offset_key(std::string("g\0t\0x\0\0\0\0\0", 10)).ok());
  EXPECT_FALSE(decode_offset_key(std::string("gt\0\0\0\0\0", 7)).ok());
  EXPECT_EQ(encode_offset_value(-42), "-42");
  EXPECT_EQ(decode_offset_value("9223372036854775807").value(), INT64_MAX);
  EXPECT_FALSE(decode_offset_value("12a").ok());
  EXPECT_FALSE(decode_offset_value("").ok());
}

// ---- Store CRUD ----

TEST(MetaStore, TopicCrud) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->topic("T").has_value());
  MetaBatch b;
  b.put_topic(make_topic("T", 4));
  ASSERT_TRUE(store->apply(b).is_ok());
  EXPECT_EQ(store->topic("T"), make_topic("T", 4));
  MetaBatch update;
  update.put_topic(make_topic("T", 12));
  ASSERT_TRUE(store->apply(update).is_ok());
  EXPECT_EQ(store->topic("T")->read_queue_nums, 12);
  MetaBatch del;
  del.delete_topic("T");
  ASSERT_TRUE(store->apply(del).is_ok());
  EXPECT_FALSE(store->topic("T").has_value());
  EXPECT_TRUE(store->topics().empty());
}

TEST(MetaStore, GroupCrud) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  MetaBatch b;
  b.put_group(make_group("G"));
  ASSERT_TRUE(store->apply(b).is_ok());
  EXPECT_EQ(store->group("G"), make_group("G"));
  EXPECT_FALSE(store->group("G2").has_value());
  MetaBatch del;
  del.delete_group("G");
  ASSERT_TRUE(store->apply(del).is_ok());
  EXPECT_FALSE(store->group("G").has_value());
}

TEST(MetaStore, OffsetCrud) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  const OffsetKey k{"G", "T", 3};
  EXPECT_FALSE(store->offset(k).has_value());
  MetaBatch b;
  b.put_offset(k, 100);
  ASSERT_TRUE(store->apply(b).is_ok());
  EXPECT_EQ(store->offset(k), 100);
  EXPECT_FALSE(store->offset({"G", "T", 4}).has_value());
  MetaBatch b2;
  b2.put_offset(k, INT64_MAX);
  ASSERT_TRUE(store->apply(b2).is_ok());
  EXPECT_EQ(store->offset(k), INT64_MAX);
}

TEST(MetaStore, KvCrud) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  const std::string binary("\x00\x01\xff", 3);
  MetaBatch b;
  b.put_kv("raft/term", "7");
  b.put_kv("bin", binary);
  ASSERT_TRUE(store->apply(b).is_ok());
  EXPECT_EQ(store->kv("raft/term"), "7");
  EXPECT_EQ(store->kv("bin"), binary);
  MetaBatch del;
  del.delete_kv("raft/term");
  ASSERT_TRUE(store->apply(del).is_ok());
  EXPECT_FALSE(store->kv("raft/term").has_value());
  EXPECT_TRUE(store->apply(MetaBatch()).is_ok());
}

TEST(MetaStore, InvalidNamesRejectTheWholeBatch) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  MetaBatch b;
  b.put_kv("k", "v");
  b.put_topic(make_topic(""));
  EXPECT_EQ(store->apply(b).code(), common::Code::kInvalidArgument);
  MetaBatch b2;
  b2.put_kv("k", "v");
  b2.put_offset({std::string("g\0x", 3), "t", 0}, 1);
  EXPECT_EQ(store->apply(b2).code(), common::Code::kInvalidArgument);
  EXPECT_FALSE(store->kv("k").has_value());
}

// ---- Batches, listing, persistence ----

TEST(MetaStore, BatchOfAllKindsIsAppliedTogetherAndSurvivesReopen) {
  TempDir dir;
  {
    auto store = open_store(dir.path().string());
    ASSERT_TRUE(store);
    MetaBatch b;
    b.put_topic(make_topic("T1"));
    b.put_topic(make_topic("T2"));
    b.put_group(make_group("G1"));
    b.put_offset({"G1", "T1", 0}, 10);
    b.put_offset({"G1", "T1", 1}, 11);
    b.put_kv("term", "3");
    b.delete_topic("T2");  // ops apply in order
    ASSERT_TRUE(store->apply(b).is_ok());
  }
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  ASSERT_EQ(store->topics().size(), 1u);
  EXPECT_EQ(store->topics()[0], make_topic("T1"));
  ASSERT_EQ(store->groups().size(), 1u);
  EXPECT_EQ(store->groups()[0], make_group("G1"));
  const std::map<OffsetKey, int64_t> want{{{"G1", "T1", 0}, 10}, {{"G1", "T1", 1}, 11}};
  EXPECT_EQ(store->offsets(), want);
  EXPECT_EQ(store->kv("term"), "3");
}

TEST(MetaStore, ListingsReturnEveryEntryOfTheirKindOnly) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  MetaBatch b;
  std::map<OffsetKey, int64_t> want;
  for (int i = 0; i < 20; ++i) {
    b.put_topic(make_topic("topic" + std::to_string(i)));
    b.put_group(make_group("group" + std::to_string(i)));
    const OffsetKey k{"group" + std::to_string(i % 3), "topic" + std::to_string(i), i % 4};
    b.put_offset(k, i * 1000);
    want[k] = i * 1000;
    b.put_kv("kv" + std::to_string(i), "x");
  }
  ASSERT_TRUE(store->apply(b).is_ok());
  EXPECT_EQ(store->topics().size(), 20u);
  EXPECT_EQ(store->groups().size(), 20u);
  EXPECT_EQ(store->offsets(), want);
}

TEST(MetaStore, DeleteOffsetsOfGroupRemovesOnlyThatGroup) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  MetaBatch b;
  for (const char* g : {"g", "g2", "f", "g\x01"}) {
    for (int q = 0; q < 3; ++q) b.put_offset({g, "t", q}, q);
  }
  b.put_offset({"g", "t2", 0}, 5);
  b.put_group(make_group("g"));
  ASSERT_TRUE(store->apply(b).is_ok());

  MetaBatch del;
  del.delete_offsets_of_group("g");
  ASSERT_TRUE(store->apply(del).is_ok());
  std::map<OffsetKey, int64_t> want;
  for (const char* g : {"g2", "f", "g\x01"}) {
    for (int q = 0; q < 3; ++q) want[{g, "t", q}] = q;
  }
  EXPECT_EQ(store->offsets(), want);
  EXPECT_TRUE(store->group("g").has_value());  // only offsets go
}

TEST(MetaStore, DeleteOffsetsOfGroupHonoursOpOrderWithinBatch) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  MetaBatch setup;
  setup.put_offset({"g", "t", 0}, 1);
  ASSERT_TRUE(store->apply(setup).is_ok());
  MetaBatch b;
  b.put_offset({"g", "t", 1}, 2);  // earlier in the batch: deleted
  b.delete_offsets_of_group("g");
  b.put_offset({"g", "t", 2}, 3);  // later in the batch: kept
  ASSERT_TRUE(store->apply(b).is_ok());
  const std::map<OffsetKey, int64_t> want{{{"g", "t", 2}, 3}};
  EXPECT_EQ(store->offsets(), want);
}

TEST(MetaStore, UnsyncedStoreKeepsDataAcrossCleanReopen) {
  TempDir dir;
  {
    auto store = open_store(dir.path().string(), /*sync=*/false);
    ASSERT_TRUE(store);
    MetaBatch b;
    b.put_offset({"g", "t", 0}, 9);
    ASSERT_TRUE(store->apply(b).is_ok());
  }
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->offset({"g", "t", 0}), 9);
}

TEST(MetaStore, SecondOpenOfSameDirIsBusyAndNamesTheDir) {
  TempDir dir;
  auto store = open_store(dir.path().string());
  ASSERT_TRUE(store);
  auto second = open_rocksdb_meta_store(dir.path().string());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), common::Code::kBusy) << second.status();
  EXPECT_NE(second.status().message().find(dir.path().string()), std::string::npos);
}

TEST(MetaStore, OpenOfUnusableDirIsAnError) {
  TempDir dir;
  const std::string file = dir.file("plain_file");
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  auto r = open_rocksdb_meta_store(file);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(file), std::string::npos) << r.status();
}

// ---- kill -9 ----
//
// The writer child is this test binary re-executed with kChildEnv set: a plain fork() would
// inherit RocksDB's background thread pools and timer as dead threads (and possibly held
// locks) from earlier tests in this process. In the child a gtest global environment (registered
// only when kChildEnv is set) applies batches forever and reports each acknowledged index on a
// pipe; gtest runs environments only when a test is selected, hence the filter in argv.

constexpr const char* kChildEnv = "RMQ_META_CRASH_CHILD";  // "<fd> <first index> <sync> <dir>"
constexpr int kMaxChildBatches = 1'000'000;                // a stray child still ends

std::string crash_group() { return "crash"; }

// Batch i writes offset (crash, t, i) = i and kv "ack/<i>" = i: both or neither may exist.
MetaBatch crash_batch(int i) {
  MetaBatch b;
  b.put_offset({crash_group(), "t", i}, i);
  b.put_kv("ack/" + std::to_string(i), std::to_string(i));
  return b;
}

[[noreturn]] void run_crash_child(const char* spec) {
  int fd = -1;
  int first = 0;
  int sync = 1;
  int consumed = 0;
  if (std::sscanf(spec, "%d %d %d %n", &fd, &first, &sync, &consumed) != 3) _exit(2);
  auto store = open_rocksdb_meta_store(spec + consumed, sync != 0);
  if (!store.ok()) _exit(3);
  for (int i = first; i < first + kMaxChildBatches; ++i) {
    if (!(*store)->apply(crash_batch(i)).is_ok()) _exit(4);
    const int64_t ack = i;
    if (write(fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) _exit(5);
  }
  _exit(0);
}

// Runs the writer once main() has started (RocksDB's own statics are initialized by then) and
// before any test; never returns.
class CrashChildEnvironment : public ::testing::Environment {
 public:
  explicit CrashChildEnvironment(const char* spec) : spec_(spec) {}
  void SetUp() override { run_crash_child(spec_); }

 private:
  const char* spec_;
};

[[maybe_unused]] ::testing::Environment* const kCrashChildEnvironment =
    std::getenv(kChildEnv) != nullptr
        ? ::testing::AddGlobalTestEnvironment(new CrashChildEnvironment(std::getenv(kChildEnv)))
        : nullptr;

// Spawns the writer; kill()s and reaps it on destruction if still running.
class CrashChild {
 public:
  CrashChild(const std::string& dir, int first, bool sync) {
    int fds[2];
    if (pipe(fds) != 0) return;
    read_fd_ = fds[0];
    fcntl(read_fd_, F_SETFD, FD_CLOEXEC);
    // Everything the child needs is built before fork(); after it only async-signal-safe calls.
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    env_strings.push_back(std::string(kChildEnv) + "=" + std::to_string(fds[1]) + " " +
                          std::to_string(first) + " " + (sync ? "1" : "0") + " " + dir);
    std::vector<char*> envp;
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    char arg0[] = "meta_store_crash_child";
    char arg1[] = "--gtest_filter=MetaStoreCrash.*";
    char* argv[] = {arg0, arg1, nullptr};
    const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_ = fork();
    if (pid_ == 0) {
      if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
      }
      execve("/proc/self/exe", argv, envp.data());
      _exit(127);
    }
    if (devnull >= 0) close(devnull);
    close(fds[1]);
  }

  ~CrashChild() {
    kill_and_reap();
    if (read_fd_ >= 0) close(read_fd_);
  }

  bool started() const { return pid_ > 0 && read_fd_ >= 0; }

  // Reads acknowledgements until at least `want` arrived, EOF, or a timeout; appends them to
  // `acks` (one read may bring more than asked).
  void read_acks(std::vector<int64_t>& acks, size_t want, int timeout_ms) {
    while (acks.size() < want) {
      pollfd p{read_fd_, POLLIN, 0};
      const int n = poll(&p, 1, timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      char buf[4096];
      const ssize_t got = read(read_fd_, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return;
      pending_.append(buf, static_cast<size_t>(got));
      size_t off = 0;
      for (; off + sizeof(int64_t) <= pending_.size(); off += sizeof(int64_t)) {
        int64_t v = 0;
        std::memcpy(&v, pending_.data() + off, sizeof v);
        acks.push_back(v);
      }
      pending_.erase(0, off);
    }
  }

  // SIGKILLs the child and returns its wait status.
  int kill_and_reap() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGKILL);
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  int status_ = 0;
  std::string pending_;
};

TEST(MetaStoreCrash, KillNineKeepsEveryAcknowledgedBatchAtomically) {
  TempDir dir;
  common::Random rng(20240611);
  int recovered = 0;  // batches [0, recovered) are present after the last reopen
  for (int iter = 0; iter < 5; ++iter) {
    const bool sync = iter % 2 == 0;  // unsynced WAL writes also survive kill -9
    const auto kill_after = static_cast<size_t>(rng.uniform(1, 200));
    SCOPED_TRACE("seed=" + std::to_string(rng.seed()) + " iter=" + std::to_string(iter) +
                 " kill_after=" + std::to_string(kill_after));
    std::vector<int64_t> acks;
    {
      CrashChild child(dir.path().string(), recovered, sync);
      ASSERT_TRUE(child.started());
      child.read_acks(acks, kill_after, /*timeout_ms=*/10'000);
      ASSERT_GE(acks.size(), kill_after) << "child stalled or died early";
      const int status = child.kill_and_reap();
      EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
      child.read_acks(acks, SIZE_MAX, /*timeout_ms=*/0);  // acks written before the kill
    }
    ASSERT_FALSE(acks.empty());
    for (size_t j = 0; j < acks.size(); ++j) ASSERT_EQ(acks[j], recovered + static_cast<int>(j));
    const int64_t max_acked = acks.back();

    auto store = open_store(dir.path().string());
    ASSERT_TRUE(store);
    const std::map<OffsetKey, int64_t> offsets = store->offsets();
    // Batches are a prefix [0, n): every acknowledged one, maybe one unacknowledged in flight.
    const auto n = static_cast<int>(offsets.size());
    EXPECT_GT(n, max_acked);
    EXPECT_LE(n, max_acked + 2);
    for (int i = 0; i < n + 2; ++i) {
      const auto off = store->offset({crash_group(), "t", i});
      const auto kv = store->kv("ack/" + std::to_string(i));
      EXPECT_EQ(off.has_value(), kv.has_value()) << "batch " << i << " is torn";
      if (i < n) {
        EXPECT_EQ(off, i) << "batch " << i;
        EXPECT_EQ(kv, std::to_string(i)) << "batch " << i;
      } else {
        EXPECT_FALSE(off.has_value()) << "batch " << i << " beyond the prefix";
      }
    }
    recovered = n;
  }
}

}  // namespace
}  // namespace rmq::store
