// MetadataLog encoding and the managers fed by it, in local mode over a real RocksDB: topics,
// groups and consumer offsets applied through the log reach memory and survive a reopen; offset
// commits are visible at once and group-committed.
#include "broker/consumer_offset_manager.h"
#include "broker/replication/metadata_log.h"
#include "broker/subscription_group_manager.h"
#include "broker/topic_config_manager.h"
#include "common/clock.h"
#include "store/meta/meta_store.h"
#include "tests/testutil/temp_dir.h"

#include <gtest/gtest.h>

namespace rmq::broker {
namespace {

TEST(MetaBatchCodec, RoundTripsEveryOpKind) {
  store::MetaBatch b;
  store::TopicConfig t;
  t.topic_name = "T";
  b.put_topic(t);
  b.delete_topic("Old");
  store::SubscriptionGroupConfig g;
  g.group_name = "G";
  b.put_group(g);
  b.put_offset(store::OffsetKey{"G", "T", 3}, 42);
  b.delete_offsets_of_group("G2");
  b.put_kv("k", std::string("v\0w", 3));
  b.delete_kv("k2");
  const std::string bytes = encode_meta_batch(b);
  auto d = decode_meta_batch(common::as_bytes(bytes));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  ASSERT_EQ(d->ops().size(), b.ops().size());
  for (size_t i = 0; i < b.ops().size(); ++i) {
    EXPECT_EQ(d->ops()[i].kind, b.ops()[i].kind);
    EXPECT_EQ(d->ops()[i].key, b.ops()[i].key);
    EXPECT_EQ(d->ops()[i].value, b.ops()[i].value);
  }
}

TEST(MetaBatchCodec, RejectsDamage) {
  store::MetaBatch b;
  b.put_kv("key", "value");
  std::string bytes = encode_meta_batch(b);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_meta_batch(common::as_bytes(std::string_view(bytes).substr(0, cut))).ok())
        << "cut at " << cut;
  }
  bytes[0] = 'X';
  EXPECT_FALSE(decode_meta_batch(common::as_bytes(bytes)).ok());
}

class LocalMetaTest : public ::testing::Test {
 protected:
  void open() {
    auto m = store::open_rocksdb_meta_store((dir_.path() / "meta").string());
    ASSERT_TRUE(m.ok());
    meta_ = std::move(m).value();
    log_ = std::make_unique<MetadataLog>(*meta_);
    TopicConfigManager::Options o;
    o.cluster_name = "C";
    o.broker_name = "b";
    topics_ = std::make_unique<TopicConfigManager>(o, *meta_, *log_, clock_);
    groups_ = std::make_unique<SubscriptionGroupManager>(true, *meta_, *log_);
    offsets_ = std::make_unique<ConsumerOffsetManager>(*meta_, *log_);
  }
  void close() {
    offsets_.reset();
    groups_.reset();
    topics_.reset();
    log_.reset();
    meta_.reset();
  }

  common::ManualClock clock_;
  testutil::TempDir dir_;
  std::unique_ptr<store::MetaStore> meta_;
  std::unique_ptr<MetadataLog> log_;
  std::unique_ptr<TopicConfigManager> topics_;
  std::unique_ptr<SubscriptionGroupManager> groups_;
  std::unique_ptr<ConsumerOffsetManager> offsets_;
};

TEST_F(LocalMetaTest, ChangesApplyAndSurviveReopen) {
  open();
  EXPECT_TRUE(topics_->find("TBW102").has_value());  // system topic, memory only
  EXPECT_FALSE(topics_->find("T").has_value());
  const auto v0 = topics_->data_version();
  std::string changed;
  topics_->set_change_listener([&](const std::string& t, bool) { changed = t; });
  store::TopicConfig t;
  t.topic_name = "T";
  t.read_queue_nums = 3;
  t.write_queue_nums = 3;
  common::Status st = common::Status::internal("not called");
  topics_->update(t, [&](common::Status s) { st = s; });
  EXPECT_TRUE(st.is_ok());
  ASSERT_TRUE(topics_->find("T").has_value());
  EXPECT_EQ(topics_->find("T")->read_queue_nums, 3);
  EXPECT_EQ(changed, "T");
  EXPECT_GT(topics_->data_version().counter, v0.counter);

  store::SubscriptionGroupConfig g;
  g.group_name = "G";
  g.retry_max_times = 3;
  groups_->update(g, [](common::Status) {});
  offsets_->commit({"G", "T", 1}, 99, [&](common::Status s) { st = s; });
  EXPECT_TRUE(st.is_ok());
  EXPECT_EQ(offsets_->query({"G", "T", 1}), 99);
  close();

  open();
  ASSERT_TRUE(topics_->find("T").has_value());
  ASSERT_TRUE(groups_->find("G").has_value());
  EXPECT_EQ(groups_->find("G")->retry_max_times, 3);
  EXPECT_EQ(offsets_->query({"G", "T", 1}), 99);
  EXPECT_EQ(offsets_->offsets_of("G", "T").size(), 1u);
  bool done = false;
  topics_->remove("T", [&](common::Status) { done = true; });
  EXPECT_TRUE(done);
  EXPECT_FALSE(topics_->find("T").has_value());
  groups_->remove("G", [](common::Status) {});
  EXPECT_FALSE(groups_->find("G").has_value());
  EXPECT_FALSE(offsets_->query({"G", "T", 1}).has_value());  // the group's offsets went with it
}

TEST_F(LocalMetaTest, UnchangedOffsetCommitsWriteNothing) {
  open();
  int acked = 0;
  auto count = [&](common::Status st) { acked += st.is_ok() ? 1 : 0; };
  offsets_->commit({"G", "T", 0}, 5, count);
  EXPECT_EQ(offsets_->batches(), 1u);
  offsets_->commit({"G", "T", 0}, 5, count);  // what clients send every 5 s when idle
  offsets_->commit({"G", "T", 0}, 5, count);
  EXPECT_EQ(offsets_->batches(), 1u);
  offsets_->commit({"G", "T", 0}, 6, count);
  EXPECT_EQ(offsets_->batches(), 2u);
  EXPECT_EQ(acked, 4);
  EXPECT_EQ(offsets_->query({"G", "T", 0}), 6);
}

TEST_F(LocalMetaTest, CheckTopicNameFollowsRocketMq) {
  EXPECT_EQ(check_topic_name("Good_topic-1%RETRY%|x"), "");
  EXPECT_NE(check_topic_name(""), "");
  EXPECT_NE(check_topic_name(std::string(128, 'a')), "");
  EXPECT_EQ(check_topic_name(std::string(127, 'a')), "");
  EXPECT_NE(check_topic_name("a b"), "");
  EXPECT_NE(check_topic_name("a/b"), "");
}

}  // namespace
}  // namespace rmq::broker
