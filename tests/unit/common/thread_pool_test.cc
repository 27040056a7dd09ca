#include "common/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <mutex>
#include <vector>

namespace rmq::common {
namespace {

TEST(ThreadPoolTest, RunsAllTasks) {
  ThreadPool pool("test", 2, 1000);
  std::atomic<int> sum{0};
  std::latch done(100);
  for (int i = 1; i <= 100; ++i) {
    ASSERT_TRUE(pool.submit([&sum, &done, i] {
      sum.fetch_add(i);
      done.count_down();
    }));
  }
  done.wait();
  EXPECT_EQ(sum.load(), 5050);
  EXPECT_EQ(pool.name(), "test");
}

TEST(ThreadPoolTest, SingleWorkerRunsInFifoOrder) {
  ThreadPool pool("fifo", 1, 100);
  std::mutex mu;
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(pool.submit([&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
    }));
  }
  pool.stop();  // runs what is queued, then joins
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

TEST(ThreadPoolTest, BoundedQueueRejectsWhenFull) {
  ThreadPool pool("bounded", 1, 2);
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> release_f = release.get_future().share();
  ASSERT_TRUE(pool.submit([&started, release_f] {
    started.set_value();
    release_f.wait();
  }));
  started.get_future().wait();  // the only worker is now blocked; the queue is empty

  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.submit([&ran] { ran.fetch_add(1); }));
  EXPECT_TRUE(pool.submit([&ran] { ran.fetch_add(1); }));
  EXPECT_EQ(pool.queue_size(), 2u);
  EXPECT_FALSE(pool.submit([&ran] { ran.fetch_add(100); }));  // full
  EXPECT_EQ(pool.queue_size(), 2u);

  release.set_value();
  pool.stop();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_EQ(pool.queue_size(), 0u);
}

TEST(ThreadPoolTest, StopRejectsNewTasksAndIsIdempotent) {
  ThreadPool pool("stop", 2, 10);
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.submit([&ran] { ran.fetch_add(1); }));
  pool.stop();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_FALSE(pool.submit([&ran] { ran.fetch_add(1); }));
  pool.stop();
  EXPECT_EQ(ran.load(), 1);
}

TEST(ThreadPoolTest, ZeroThreadsMeansOne) {
  ThreadPool pool("zero", 0, 10);
  std::promise<int> p;
  ASSERT_TRUE(pool.submit([&p] { p.set_value(7); }));
  EXPECT_EQ(p.get_future().get(), 7);
}

TEST(ThreadPoolTest, DestructorJoinsAfterDrainingQueue) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool("dtor", 1, 10);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.submit([&ran] { ran.fetch_add(1); }));
  }
  EXPECT_EQ(ran.load(), 5);
}

}  // namespace
}  // namespace rmq::common
