#include "namesrv/kv_config_manager.h"

#include <gtest/gtest.h>

namespace rmq::namesrv {
namespace {

TEST(KvConfigManagerTest, PutGetListDelete) {
  KvConfigManager kv;
  EXPECT_FALSE(kv.get("ns", "k").has_value());
  EXPECT_FALSE(kv.list("ns").has_value());
  kv.put("ns", "k", "v1");
  kv.put("ns", "k", "v2");  // replaces
  kv.put("ns", "a", "");
  kv.put("other", "k", "x");
  EXPECT_EQ(kv.get("ns", "k"), "v2");
  EXPECT_EQ(kv.get("ns", "a"), "");
  EXPECT_EQ(kv.list("ns"), (KvConfigManager::Table{{"a", ""}, {"k", "v2"}}));
  EXPECT_TRUE(kv.remove("ns", "k"));
  EXPECT_FALSE(kv.remove("ns", "k"));
  EXPECT_FALSE(kv.remove("nope", "k"));
  EXPECT_TRUE(kv.remove("ns", "a"));
  EXPECT_FALSE(kv.list("ns").has_value());  // last key gone: namespace gone
  EXPECT_EQ(kv.get("other", "k"), "x");
}

}  // namespace
}  // namespace rmq::namesrv
