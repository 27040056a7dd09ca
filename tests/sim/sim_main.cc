// main() of raft_sim_tests: GoogleTest plus gflags (--seeds, --seed, --steps), and an abort
// handler that prints the running simulation's seed, step and last events when the core hits an
// RMQ_CHECK, so the failure can be replayed with --seed.
#include "tests/sim/sim_cluster.h"

#include <gflags/gflags.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <string>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RMQ_SIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RMQ_SIM_SANITIZED 1
#endif
#endif

namespace {
// Measured on the 2-core CI machine, seeds x 3000 steps: Release ~10 ms (3 nodes) and ~19 ms
// (5 nodes) per seed, so 2000 seeds take ~60 s of CPU (~40 s with ctest -j2); ASan+UBSan is ~9x
// slower, so 200 seeds there.
#ifdef RMQ_SIM_SANITIZED
constexpr int32_t kDefaultSeeds = 200;
#else
constexpr int32_t kDefaultSeeds = 2000;
#endif
}  // namespace

DEFINE_int32(seeds, kDefaultSeeds, "nemesis: seeds per cluster size (1..seeds)");
DEFINE_int64(seed, -1, "nemesis: replay only this seed");
DEFINE_int32(steps, 3000, "nemesis: logical steps of faults per seed before healing");
DEFINE_int32(history, 60, "events printed with a failure");

namespace {

void on_fatal_signal(int sig) {
  const rmq::dledger::sim::SimCluster* c = rmq::dledger::sim::SimCluster::current();
  if (c != nullptr) {
    const std::string report = c->report();
    std::fprintf(stderr, "\n*** signal %d inside the simulation ***\n%s", sig, report.c_str());
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (info != nullptr) {
      std::fprintf(stderr, "replay: raft_sim_tests --gtest_filter='%s.%s' --seed=%llu --steps=%d\n",
                   info->test_suite_name(), info->name(),
                   static_cast<unsigned long long>(c->options().seed), FLAGS_steps);
    }
    std::fflush(stderr);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  std::signal(SIGABRT, on_fatal_signal);
  std::signal(SIGSEGV, on_fatal_signal);
  return RUN_ALL_TESTS();
}
