#include "broker/schedule/schedule_message_service.h"

#include "store/message.h"
#include "store/message_store.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"
#include "tests/unit/store/store_test_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace rmq::broker {
namespace {

using namespace std::chrono_literals;
using store::testing::make_message;
using store::testing::put_sync;
using testutil::eventually;

// ---------------------------------------------------------------------------------------------
// parse_delay_levels

TEST(DelayLevelsTest, ParsesTheDefaultLevels) {
  auto levels = parse_delay_levels(kDefaultMessageDelayLevel);
  ASSERT_TRUE(levels.ok()) << levels.status().to_string();
  ASSERT_EQ(levels->size(), 18u);
  EXPECT_EQ((*levels)[0], 1'000);
  EXPECT_EQ((*levels)[2], 10'000);
  EXPECT_EQ((*levels)[4], 60'000);
  EXPECT_EQ((*levels)[15], 30 * 60'000);
  EXPECT_EQ((*levels)[16], 3'600'000);
  EXPECT_EQ((*levels)[17], 7'200'000);
}

TEST(DelayLevelsTest, AcceptsDaysAndExtraWhitespace) {
  auto levels = parse_delay_levels("  250s\t2m   1d \n");
  ASSERT_TRUE(levels.ok()) << levels.status().to_string();
  EXPECT_EQ(*levels, (std::vector<int64_t>{250'000, 120'000, 86'400'000}));
}

TEST(DelayLevelsTest, RejectsMalformedLevelsWithTheOffendingToken) {
  for (const char* bad :
       {"", "   ", "1s 5x", "s", "1.5s", "-1s", "1 s", "10", "1s 2m 3hh", "999999999999999999d"}) {
    auto levels = parse_delay_levels(bad);
    EXPECT_FALSE(levels.ok()) << "'" << bad << "'";
    if (!levels.ok()) {
      EXPECT_NE(levels.status().to_string().find("messageDelayLevel"), std::string::npos);
    }
  }
  auto unit = parse_delay_levels("1s 5x");
  EXPECT_NE(unit.status().to_string().find("level 2 '5x'"), std::string::npos)
      << unit.status().to_string();
}

// ---------------------------------------------------------------------------------------------
// rewrite_for_delay

store::MessageInput delayed(const std::string& topic, int32_t queue, const std::string& delay) {
  static const std::string kBody = "body";  // make_message keeps a view of it
  auto m = make_message(topic, queue, kBody, "k1 k2", "TagA");
  store::append_property(m.properties, "custom", "v");
  if (!delay.empty()) store::append_property(m.properties, store::prop::kDelay, delay);
  return m;
}

TEST(DelayRewriteTest, MovesTheMessageToItsLevelQueue) {
  auto m = delayed("Orders", 5, "3");
  ASSERT_TRUE(rewrite_for_delay(m, 18));
  EXPECT_EQ(m.topic, kScheduleTopicName);
  EXPECT_EQ(m.queue_id, 2);
  EXPECT_EQ(store::find_property(m.properties, store::prop::kRealTopic), "Orders");
  EXPECT_EQ(store::find_property(m.properties, store::prop::kRealQueueId), "5");
  EXPECT_EQ(store::find_property(m.properties, store::prop::kDelay), "3");
  EXPECT_EQ(store::find_property(m.properties, store::prop::kTags), "TagA");
  EXPECT_EQ(store::find_property(m.properties, store::prop::kKeys), "k1 k2");
  EXPECT_EQ(store::find_property(m.properties, "custom"), "v");
  EXPECT_EQ(common::as_string_view(m.body), "body");
}

TEST(DelayRewriteTest, ClampsLevelsAboveTheMaximum) {
  auto m = delayed("Orders", 0, "99");
  ASSERT_TRUE(rewrite_for_delay(m, 18));
  EXPECT_EQ(m.queue_id, 17);
  EXPECT_EQ(store::find_property(m.properties, store::prop::kDelay), "18");
  EXPECT_EQ(store::parse_properties(m.properties).size(), 6u);  // no duplicate DELAY
}

TEST(DelayRewriteTest, LeavesUndelayedMessagesAlone) {
  for (const char* delay : {"", "0", "-2", "abc", "3x"}) {
    auto m = delayed("Orders", 1, delay);
    const auto before = m.properties;
    EXPECT_FALSE(rewrite_for_delay(m, 18)) << delay;
    EXPECT_EQ(m.topic, "Orders");
    EXPECT_EQ(m.queue_id, 1);
    EXPECT_EQ(m.properties, before);
  }
  auto half = delayed("Orders", 1, "2");
  half.sys_flag = store::sysflag::kTransactionPrepared;
  EXPECT_FALSE(rewrite_for_delay(half, 18));
  EXPECT_EQ(half.topic, "Orders");
  auto commit = delayed("Orders", 1, "2");
  commit.sys_flag = store::sysflag::kTransactionCommit;
  EXPECT_TRUE(rewrite_for_delay(commit, 18));
}

// ---------------------------------------------------------------------------------------------
// The store: request builder, service

class ScheduleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    levels_ = *parse_delay_levels(kDefaultMessageDelayLevel);
    open_store();
  }
  void TearDown() override {
    service_.reset();
    if (store_) store_->shutdown();
  }

  void open_store() {
    store_ = std::make_unique<store::MessageStore>(store::testing::small_config(dir_.file("store")),
                                                   store::posix_file_system(), clock_);
    store_->set_request_builder(make_schedule_request_builder(levels_));
    ASSERT_TRUE(store_->load().is_ok());
    ASSERT_TRUE(store_->start().is_ok());
  }

  // Sends through the rewrite like the send path; returns the stored result.
  store::AppendResult send_delayed(const std::string& body, int level, int32_t queue = 1) {
    auto m = make_message("Real", queue, body, "key-" + body, "TagR");
    store::append_property(m.properties, "custom", "c-" + body);
    store::append_property(m.properties, store::prop::kDelay, std::to_string(level));
    m.flag = 7;
    m.reconsume_times = 2;
    m.born_timestamp = 1'600'000'000'123;
    EXPECT_TRUE(rewrite_for_delay(m, static_cast<int>(levels_.size())));
    auto r = put_sync(*store_, m);
    EXPECT_EQ(r.status, store::PutStatus::kOk);
    const int32_t q = m.queue_id;
    EXPECT_TRUE(eventually([&] {
      return store_->max_offset_in_queue(std::string(kScheduleTopicName), q) > r.queue_offset;
    }));
    return r;
  }

  void make_service(ScheduleMessageService::PutFn put, ScheduleConfig config = quick_config()) {
    service_ = std::make_unique<ScheduleMessageService>(
        *store_, clock_, levels_, std::move(put),
        [this](std::map<int, int64_t> p) {
          std::lock_guard lock(mu_);
          saved_.push_back(std::move(p));
        },
        config);
  }
  ScheduleMessageService::PutFn store_put() {
    return [this](store::MessageInput m, store::AppendCallback done) {
      store_->put_message(m, std::move(done));
    };
  }
  static ScheduleConfig quick_config() {
    ScheduleConfig c;
    c.save_interval = 0ms;
    return c;
  }

  std::vector<store::MessageView> real_queue(int32_t queue, std::vector<store::LogSlice>& keep) {
    std::vector<store::MessageView> out;
    auto r = store_->get_message("Real", queue, 0, 64, 1 << 20);
    for (auto& s : r.messages) {
      auto v = store::decode_message(s.bytes, true);
      EXPECT_TRUE(v.ok());
      if (v.ok()) out.push_back(*v);
      keep.push_back(std::move(s));
    }
    return out;
  }
  int64_t real_count(int32_t queue = 1) { return store_->max_offset_in_queue("Real", queue); }
  std::map<int, int64_t> last_saved() {
    std::lock_guard lock(mu_);
    return saved_.empty() ? std::map<int, int64_t>{} : saved_.back();
  }
  // Makes the service take at least one full look after everything the test did so far.
  void settle() {
    const uint64_t p0 = service_->scan_passes();
    service_->wakeup();
    ASSERT_TRUE(eventually([&] { return service_->scan_passes() >= p0 + 2; }));
  }
  void advance_and_wake(common::Duration d) {
    clock_.advance(d);
    service_->wakeup();
  }

  testutil::TempDir dir_;
  common::ManualClock clock_;
  std::vector<int64_t> levels_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<ScheduleMessageService> service_;
  std::mutex mu_;
  std::vector<std::map<int, int64_t>> saved_;
  const std::string body_x_ = "x";
};

TEST_F(ScheduleStoreTest, DelayRequestBuilderStoresDeliveryTimeAsTagsCode) {
  const auto r1 = send_delayed("a", 1);
  const auto r3 = send_delayed("b", 3);
  std::vector<int64_t> codes;
  auto collect = [&](int64_t code) {
    codes.push_back(code);
    return true;
  };
  ASSERT_EQ(store_->get_message(std::string(kScheduleTopicName), 0, 0, 8, 1 << 20, collect).status,
            store::GetStatus::kFound);
  ASSERT_EQ(store_->get_message(std::string(kScheduleTopicName), 2, 0, 8, 1 << 20, collect).status,
            store::GetStatus::kFound);
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[0], r1.store_timestamp + 1'000);
  EXPECT_EQ(codes[1], r3.store_timestamp + 10'000);

  // Ordinary topics keep the tag hash.
  ASSERT_EQ(put_sync(*store_, make_message("Plain", 0, body_x_, "", "TagP")).status,
            store::PutStatus::kOk);
  ASSERT_TRUE(eventually([&] { return store_->max_offset_in_queue("Plain", 0) == 1; }));
  codes.clear();
  (void)store_->get_message("Plain", 0, 0, 8, 1 << 20, collect);
  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0], store::tags_hash_code("TagP"));
}

TEST_F(ScheduleStoreTest, DelayRequestBuilderClampsUnknownLevels) {
  auto build = make_schedule_request_builder({1'000, 5'000});
  const std::string body = "x";
  auto m = make_message(std::string(kScheduleTopicName), 7, body);
  auto enc = store::encode_message(m, 1 << 20);
  ASSERT_TRUE(enc.ok());
  store::stamp_record(enc->data(), 0, 0, 5'000'000, enc->store_ts_pos[0]);
  auto view = store::decode_message(enc->view(), true);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(build(*view).tags_code, 5'005'000);
}

TEST_F(ScheduleStoreTest, DeliversADueMessageWithItsOriginalAttributesOnlyAfterTheDelay) {
  const auto stored = send_delayed("hello", 1, /*queue=*/1);
  make_service(store_put());
  service_->start_leading({});
  EXPECT_TRUE(service_->leading());

  advance_and_wake(999ms);
  settle();
  EXPECT_EQ(real_count(), 0) << "delivered before its delay";
  EXPECT_EQ(service_->progress().at(1), 0);

  advance_and_wake(1ms);
  ASSERT_TRUE(eventually([&] { return real_count() == 1; }));
  std::vector<store::LogSlice> keep;
  auto msgs = real_queue(1, keep);
  ASSERT_EQ(msgs.size(), 1u);
  const auto& d = msgs[0];
  EXPECT_EQ(d.topic, "Real");
  EXPECT_EQ(d.queue_id, 1);
  EXPECT_EQ(common::as_string_view(d.body), "hello");
  EXPECT_EQ(d.flag, 7);
  EXPECT_EQ(d.reconsume_times, 2);
  EXPECT_EQ(d.born_timestamp, 1'600'000'000'123);
  EXPECT_EQ(d.born_host.to_string(), "10.0.0.1:5000");
  EXPECT_GE(d.store_timestamp, stored.store_timestamp + 1'000);
  EXPECT_EQ(std::string(d.properties), [] {
    std::string p;
    store::append_property(p, store::prop::kTags, "TagR");
    store::append_property(p, store::prop::kKeys, "key-hello");
    store::append_property(p, "custom", "c-hello");
    return p;
  }());
  // The real topic's unit has the tag hash again, so tag filters work.
  std::vector<int64_t> codes;
  (void)store_->get_message("Real", 1, 0, 8, 1 << 20, [&](int64_t c) {
    codes.push_back(c);
    return true;
  });
  EXPECT_EQ(codes, (std::vector<int64_t>{store::tags_hash_code("TagR")}));

  ASSERT_TRUE(eventually([&] { return service_->progress().at(1) == 1; }));
  ASSERT_TRUE(eventually([&] { return last_saved()[1] == 1; }));
  EXPECT_EQ(last_saved().size(), levels_.size());
  EXPECT_EQ(last_saved()[2], 0);
  EXPECT_EQ(service_->delay_ms(1), 1'000);
  EXPECT_EQ(service_->max_level(), 18);
}

TEST_F(ScheduleStoreTest, DeliversInQueueOrderAcrossLevelsAndBatches) {
  make_service(store_put());
  service_->start_leading({});
  for (int i = 0; i < 40; ++i) send_delayed(std::string("m").append(std::to_string(i)), 1);
  send_delayed("late", 2);  // 5 s
  advance_and_wake(1'000ms);
  ASSERT_TRUE(eventually([&] { return real_count() == 40; }));
  settle();
  EXPECT_EQ(real_count(), 40);
  std::vector<store::LogSlice> keep;
  auto msgs = real_queue(1, keep);
  ASSERT_EQ(msgs.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(common::as_string_view(msgs[static_cast<size_t>(i)].body),
              std::string("m").append(std::to_string(i)));
  }
  advance_and_wake(4'000ms);
  ASSERT_TRUE(eventually([&] { return real_count() == 41; }));
  ASSERT_TRUE(eventually([&] { return last_saved()[1] == 40 && last_saved()[2] == 1; }));
}

TEST_F(ScheduleStoreTest, StopAndStartLeadingResumesFromSavedProgressWithoutRedelivery) {
  make_service(store_put());
  service_->start_leading({});
  service_->start_leading({{1, 100}});  // already leading: ignored
  send_delayed("first", 1);
  advance_and_wake(1'000ms);
  ASSERT_TRUE(eventually([&] { return real_count() == 1; }));
  ASSERT_TRUE(eventually([&] { return last_saved()[1] == 1; }));
  service_->stop_leading();
  service_->stop_leading();  // idempotent
  EXPECT_FALSE(service_->leading());

  // A follower does not deliver.
  send_delayed("second", 1);
  clock_.advance(2'000ms);
  EXPECT_EQ(real_count(), 1);

  // Leader again (e.g. after a failover back): resumes from the replicated progress.
  const auto saved = last_saved();
  service_->start_leading(saved);
  ASSERT_TRUE(eventually([&] { return real_count() == 2; }));
  settle();
  EXPECT_EQ(real_count(), 2);
  std::vector<store::LogSlice> keep;
  auto msgs = real_queue(1, keep);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(common::as_string_view(msgs[0].body), "first");
  EXPECT_EQ(common::as_string_view(msgs[1].body), "second");
  ASSERT_TRUE(eventually([&] { return service_->progress().at(1) == 2; }));
}

TEST_F(ScheduleStoreTest, LostProgressMeansAtLeastOnceRedelivery) {
  make_service(store_put());
  service_->start_leading({});
  send_delayed("once", 1);
  advance_and_wake(1'000ms);
  ASSERT_TRUE(eventually([&] { return real_count() == 1; }));
  service_->stop_leading();
  service_->start_leading({});  // the save never replicated: start over
  ASSERT_TRUE(eventually([&] { return real_count() == 2; }));
  settle();
  EXPECT_EQ(real_count(), 2);
}

TEST_F(ScheduleStoreTest, FailedPutIsRetriedAndNeverSkipped) {
  std::atomic<int> fail_b{1};
  std::atomic<int> puts{0};
  make_service([&](store::MessageInput m, store::AppendCallback done) {
    puts.fetch_add(1);
    if (common::as_string_view(m.body) == "b" && fail_b.fetch_sub(1) > 0) {
      store::AppendResult r;
      r.status = store::PutStatus::kServiceNotAvailable;
      r.remark = "not leader";
      done(r);  // fails at once: the level stops at b
      return;
    }
    store_->put_message(m, std::move(done));
  });
  service_->start_leading({});
  send_delayed("a", 1);
  send_delayed("b", 1);
  send_delayed("c", 1);
  advance_and_wake(1'000ms);
  ASSERT_TRUE(eventually([&] { return puts.load() == 2; }));
  ASSERT_TRUE(eventually([&] { return real_count() == 1; }));
  settle();
  EXPECT_EQ(real_count(), 1);
  EXPECT_EQ(puts.load(), 2);  // c waits behind b's backoff
  ASSERT_TRUE(eventually([&] { return service_->progress().at(1) == 1; }));

  advance_and_wake(1'000ms);  // the retry backoff
  ASSERT_TRUE(eventually([&] { return real_count() == 3; }));
  ASSERT_TRUE(eventually([&] { return service_->progress().at(1) == 3; }));
  settle();
  EXPECT_EQ(real_count(), 3);
  EXPECT_EQ(puts.load(), 4);
  std::vector<store::LogSlice> keep;
  std::vector<std::string> bodies;
  for (const auto& v : real_queue(1, keep)) bodies.emplace_back(common::as_string_view(v.body));
  EXPECT_EQ(bodies, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(eventually([&] { return last_saved()[1] == 3; }));
}

TEST_F(ScheduleStoreTest, LateFailureRetriesOnlyTheFailedMessage) {
  std::mutex held_mu;
  store::AppendCallback held;  // b's ack, held back
  std::atomic<int> puts{0};
  make_service([&](store::MessageInput m, store::AppendCallback done) {
    const int n = puts.fetch_add(1);
    if (common::as_string_view(m.body) == "b" && n == 1) {
      std::lock_guard lock(held_mu);
      held = std::move(done);
      return;
    }
    store_->put_message(m, std::move(done));
  });
  service_->start_leading({});
  send_delayed("a", 1);
  send_delayed("b", 1);
  send_delayed("c", 1);
  advance_and_wake(1'000ms);
  ASSERT_TRUE(eventually([&] { return real_count() == 2; }));  // a and c; b in flight
  settle();
  EXPECT_EQ(service_->progress().at(1), 1) << "progress passed an unacknowledged message";
  {
    std::lock_guard lock(held_mu);
    ASSERT_TRUE(held);
    store::AppendResult r;
    r.status = store::PutStatus::kFlushSlaveTimeout;
    held(r);
  }
  settle();
  EXPECT_EQ(service_->progress().at(1), 1);
  advance_and_wake(1'000ms);
  ASSERT_TRUE(eventually([&] { return service_->progress().at(1) == 3; }));
  settle();
  EXPECT_EQ(puts.load(), 4);  // b again, c not twice
  std::vector<store::LogSlice> keep;
  std::multiset<std::string> bodies;
  for (const auto& v : real_queue(1, keep)) bodies.emplace(common::as_string_view(v.body));
  EXPECT_EQ(bodies, (std::multiset<std::string>{"a", "b", "c"}));
}

TEST_F(ScheduleStoreTest, PersistentFailureHoldsProgress) {
  std::atomic<bool> fail{true};
  std::atomic<int> attempts{0};
  make_service([&](store::MessageInput m, store::AppendCallback done) {
    if (fail.load()) {
      store::AppendResult r;
      r.status = store::PutStatus::kDiskFull;
      done(r);
      // Counted once the service has taken the failure (and its retry time) in: a clock advance
      // seen by the test after this cannot land between the attempt and the failure.
      attempts.fetch_add(1);
      return;
    }
    attempts.fetch_add(1);
    store_->put_message(m, std::move(done));
  });
  service_->start_leading({});
  send_delayed("x", 1);
  advance_and_wake(1'000ms);
  ASSERT_TRUE(eventually([&] { return attempts.load() == 1; }));
  for (int i = 0; i < 3; ++i) {
    advance_and_wake(1'000ms);
    ASSERT_TRUE(eventually([&] { return attempts.load() == 2 + i; }));
    EXPECT_EQ(service_->progress().at(1), 0);
  }
  fail = false;
  advance_and_wake(1'000ms);
  ASSERT_TRUE(eventually([&] { return real_count() == 1; }));
  ASSERT_TRUE(eventually([&] { return service_->progress().at(1) == 1; }));
}

// The real clock: a level-1 message arrives between 1.0 s and about 1.2 s after it was stored.
TEST(ScheduleWallClockTest, LevelOneArrivesAboutOneSecondLater) {
  testutil::TempDir dir;
  auto& clock = common::SteadyClock::instance();
  store::MessageStore st(store::testing::small_config(dir.file("store")),
                         store::posix_file_system(), clock);
  const auto levels = *parse_delay_levels(kDefaultMessageDelayLevel);
  st.set_request_builder(make_schedule_request_builder(levels));
  ASSERT_TRUE(st.load().is_ok());
  ASSERT_TRUE(st.start().is_ok());
  {
    ScheduleMessageService svc(
        st, clock, levels,
        [&](store::MessageInput m, store::AppendCallback done) {
          st.put_message(m, std::move(done));
        },
        [](std::map<int, int64_t>) {});
    svc.start_leading({});
    const std::string body = "tick";
    auto m = make_message("Wall", 0, body);
    store::append_property(m.properties, store::prop::kDelay, "1");
    ASSERT_TRUE(rewrite_for_delay(m, svc.max_level()));
    const auto stored = put_sync(st, m);
    ASSERT_EQ(stored.status, store::PutStatus::kOk);
    ASSERT_TRUE(eventually([&] { return st.max_offset_in_queue("Wall", 0) == 1; }, 5s));
    auto r = st.get_message("Wall", 0, 0, 1, 1 << 20);
    ASSERT_EQ(r.messages.size(), 1u);
    auto v = store::decode_message(r.messages[0].bytes, true);
    ASSERT_TRUE(v.ok());
    const int64_t latency = v->store_timestamp - stored.store_timestamp;
    EXPECT_GE(latency, 1'000);
    EXPECT_LE(latency, 1'300);
    svc.stop_leading();
  }
  st.shutdown();
}

}  // namespace
}  // namespace rmq::broker
