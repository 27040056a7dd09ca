// A child process appends with sync flush and reports each acknowledged message on a pipe; the
// parent kills it with SIGKILL at a random point, reopens the store and checks that every
// acknowledged message is there, whole and CRC-valid, in order, with no gaps.
#include "common/logging.h"
#include "store/message_store.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/store/store_test_util.h"

#include <gtest/gtest.h>

#include <random>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rmq::store {
namespace {

using testing::make_message;
using testing::small_config;

StoreConfig crash_config(const std::string& root) {
  StoreConfig cfg = small_config(root);
  cfg.flush_disk_type = FlushDiskType::kSyncFlush;
  cfg.mapped_file_size_commit_log = 16 * 1024;  // many segment rolls
  return cfg;
}

[[noreturn]] void child_append(const std::string& root, int first_id, int write_fd) {
  common::LoggingOptions quiet;
  quiet.level = "off";
  common::init_logging(quiet);
  common::ManualClock clock;
  MessageStore store(crash_config(root), posix_file_system(), clock);
  if (!store.load().is_ok() || !store.start().is_ok()) _exit(3);
  for (int id = first_id;; ++id) {
    const std::string body =
        "id-" + std::to_string(id) + std::string(static_cast<size_t>(id % 300), '.');
    if (testing::put_sync(store, make_message("Crash", id % 2, body)).status != PutStatus::kOk)
      _exit(4);
    const int32_t ack = id;
    if (::write(write_fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(5);
  }
}

TEST(StoreCrashTest, AcknowledgedMessagesSurviveSigkillAtRandomPoints) {
  testutil::TempDir dir;
  const std::string root = dir.file("store");
  std::mt19937 rng(20261121);
  int next_id = 0;
  int last_acked = -1;
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_append(root, next_id, fds[1]);
    }
    ::close(fds[1]);
    const int kill_after = std::uniform_int_distribution<int>(20, 400)(rng);
    int acks = 0;
    int32_t ack = 0;
    while (acks < kill_after && ::read(fds[0], &ack, sizeof(ack)) == sizeof(ack)) {
      ASSERT_EQ(ack, last_acked + 1);
      last_acked = ack;
      ++acks;
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    // Acks already in the pipe when the child died still count.
    while (::read(fds[0], &ack, sizeof(ack)) == sizeof(ack)) last_acked = ack;
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);

    common::ManualClock clock;
    MessageStore store(crash_config(root), posix_file_system(), clock);
    const common::Status loaded = store.load();
    ASSERT_TRUE(loaded.is_ok()) << loaded;
    EXPECT_TRUE(store.recovery_info().abnormal);
    ASSERT_TRUE(store.start().is_ok());
    // Every id up to last_acked is present in its queue, in order; ids after it may be too
    // (stored but not yet acknowledged), never with gaps.
    int max_seen = -1;
    for (int q = 0; q < 2; ++q) {
      const auto bodies = testing::read_queue(store, "Crash", q);
      int expect = q;
      for (const auto& b : bodies) {
        ASSERT_NE(b, "<corrupt>");
        ASSERT_EQ(b.rfind("id-", 0), 0u) << b;
        const int id = std::stoi(b.substr(3, b.find('.', 3) - 3));
        ASSERT_EQ(id, expect) << "gap or reorder in queue " << q;
        ASSERT_EQ(b.size(), 3 + std::to_string(id).size() + static_cast<size_t>(id % 300));
        max_seen = std::max(max_seen, expect);
        expect += 2;
      }
      // The last acknowledged id of this queue is present.
      const int last_acked_here = last_acked % 2 == q ? last_acked : last_acked - 1;
      if (last_acked_here >= 0) EXPECT_GE(expect - 2, last_acked_here) << "queue " << q;
    }
    EXPECT_GE(max_seen, last_acked);
    next_id = max_seen + 1;  // the next child continues after whatever survived
    last_acked = max_seen;
    store.shutdown();
  }
  EXPECT_GT(last_acked, 100);
}

}  // namespace
}  // namespace rmq::store
