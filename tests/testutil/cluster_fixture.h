// GoogleTest fixtures around LocalCluster (tests/testutil/cluster.h), for test binaries built by
// rmq_add_cluster_test(... BINS namesrv broker), which defines RMQ_NAMESRV_BIN and RMQ_BROKER_BIN.
// The test class derives from one of them naming itself (CRTP) and may hide
//   public: static LocalClusterOptions cluster_options();  // default: built_cluster_options()
// (base_dir is set here). ClusterFixture starts a cluster before every test and stops it after;
// SharedClusterFixture starts one for the whole suite (SetUpTestSuite) and stops it at the end.
// Either way a test body runs only once the start succeeded and a leader serves (leader_).
#pragma once

#include "common/status.h"
#include "tests/testutil/cluster.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#if !defined(RMQ_NAMESRV_BIN) || !defined(RMQ_BROKER_BIN)
#error "cluster_fixture.h needs RMQ_NAMESRV_BIN and RMQ_BROKER_BIN (rmq_add_cluster_test BINS)"
#endif

namespace rmq::testutil {

// Options naming the raftmq-namesrv and raftmq-broker this test binary was built with; the rest at
// the defaults (a three-node DLedger group).
inline LocalClusterOptions built_cluster_options() {
  LocalClusterOptions o;
  o.namesrv_bin = RMQ_NAMESRV_BIN;
  o.broker_bin = RMQ_BROKER_BIN;
  return o;
}

namespace detail {

// For SetUp: `started` is OK and `cluster` has an active leader within 30 s, stored in *leader.
inline void expect_serving(const common::Status& started, LocalCluster& cluster, int* leader) {
  ASSERT_TRUE(started.is_ok()) << started.to_string();
  auto l = cluster.wait_leader(std::chrono::seconds(30));
  ASSERT_TRUE(l.has_value()) << "no leader";
  *leader = *l;
}

}  // namespace detail

template <typename Derived>
class ClusterFixture : public ::testing::Test {
 public:
  static LocalClusterOptions cluster_options() { return built_cluster_options(); }

 protected:
  void SetUp() override {
    LocalClusterOptions o = Derived::cluster_options();
    o.base_dir = dir_.path();
    cluster_ = start_cluster(std::move(o), &started_);
    detail::expect_serving(started_, *cluster_, &leader_);
  }
  void TearDown() override {
    if (cluster_) (void)cluster_->stop_all();
  }

  std::string leader_addr() const { return cluster_->broker_addr(leader_); }

  TempDir dir_;
  std::unique_ptr<LocalCluster> cluster_;
  common::Status started_;
  int leader_ = -1;
};

template <typename Derived>
class SharedClusterFixture : public ::testing::Test {
 public:
  static LocalClusterOptions cluster_options() { return built_cluster_options(); }

 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    LocalClusterOptions o = Derived::cluster_options();
    o.base_dir = dir_->path();
    cluster_ = start_cluster(std::move(o), &started_);
  }
  static void TearDownTestSuite() {
    if (cluster_) (void)cluster_->stop_all();
    cluster_.reset();
    dir_.reset();
  }
  void SetUp() override { detail::expect_serving(started_, *cluster_, &leader_); }

  std::string leader_addr() const { return cluster_->broker_addr(leader_); }

  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<LocalCluster> cluster_;
  static inline common::Status started_;
  int leader_ = -1;
};

}  // namespace rmq::testutil
