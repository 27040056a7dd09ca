#include "common/flags.h"

#include "common/config.h"
#include "tests/testutil/temp_dir.h"

#include <gflags/gflags.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

DEFINE_int32(listenPort, 10911, "test flag named like a schema key");
DEFINE_string(brokerName, "", "test flag named like a schema key");
DEFINE_bool(autoCreateTopicEnable, true, "test flag left at its default");
DEFINE_int32(unrelatedFlag, 0, "test flag that is not a schema key");

namespace rmq::common {
namespace {

struct Cfg {
  std::string broker_name;
  int listen_port = 10911;
  bool auto_create = true;
};

ConfigSchema make_schema(Cfg& cfg) {
  ConfigSchema s("broker");
  s.add_string("brokerName", &cfg.broker_name).required();
  s.add_int("listenPort", &cfg.listen_port).range(1, 65535);
  s.add_bool("autoCreateTopicEnable", &cfg.auto_create);
  return s;
}

// Parses a fake command line; gflags state is process-global, so each test restores it.
class FlagsTest : public ::testing::Test {
 protected:
  void SetUp() override { saver_ = std::make_unique<gflags::FlagSaver>(); }
  void TearDown() override { saver_.reset(); }

  static void parse(std::vector<std::string> args) {
    args.insert(args.begin(), "prog");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    int argc = static_cast<int>(argv.size());
    char** p = argv.data();
    gflags::ParseCommandLineFlags(&argc, &p, /*remove_flags=*/false);
  }

 private:
  std::unique_ptr<gflags::FlagSaver> saver_;
};

TEST_F(FlagsTest, OnlyExplicitFlagsThatAreSchemaKeysBecomeOverrides) {
  parse({"--listenPort=20911", "--unrelatedFlag=5", "--brokerName=broker-b"});
  Cfg cfg;
  ConfigSchema s = make_schema(cfg);
  const ConfigOverrides o = flag_overrides(s);
  EXPECT_EQ(o, (ConfigOverrides{{"brokerName", "broker-b"}, {"listenPort", "20911"}}));
}

TEST_F(FlagsTest, FlagSetToItsDefaultValueStillCounts) {
  parse({"--autoCreateTopicEnable=true"});
  Cfg cfg;
  ConfigSchema s = make_schema(cfg);
  EXPECT_EQ(flag_overrides(s), (ConfigOverrides{{"autoCreateTopicEnable", "true"}}));
}

TEST_F(FlagsTest, NothingSetMeansNoOverrides) {
  Cfg cfg;
  ConfigSchema s = make_schema(cfg);
  EXPECT_TRUE(flag_overrides(s).empty());
}

TEST_F(FlagsTest, ApplyConfigLayersFileFlagsAndSet) {
  testutil::TempDir dir;
  const std::string path = dir.file("broker.conf");
  {
    std::ofstream out(path);
    out << "brokerName=from-file\nlistenPort=1111\nautoCreateTopicEnable=true\n";
  }
  parse({"--listenPort=2222", "--brokerName=from-flag"});
  Cfg cfg;
  ConfigSchema s = make_schema(cfg);
  Status st = apply_config(s, path, "brokerName=from-set");
  ASSERT_TRUE(st.is_ok()) << st;
  EXPECT_EQ(cfg.broker_name, "from-set");  // --set beats flags beats the file
  EXPECT_EQ(cfg.listen_port, 2222);
  EXPECT_TRUE(cfg.auto_create);
}

TEST_F(FlagsTest, ApplyConfigWithoutFile) {
  Cfg cfg;
  ConfigSchema s = make_schema(cfg);
  Status st = apply_config(s, "", "");
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("missing required key 'brokerName'"), std::string_view::npos) << st;
  EXPECT_TRUE(apply_config(s, "", "brokerName=x").is_ok());
  EXPECT_EQ(cfg.broker_name, "x");
}

TEST_F(FlagsTest, ApplyConfigReportsMissingFileAndBadSet) {
  Cfg cfg;
  ConfigSchema s = make_schema(cfg);
  Status st = apply_config(s, "/nonexistent/broker.conf", "brokerName=x");
  EXPECT_EQ(st.code(), Code::kIOError);
  EXPECT_NE(st.message().find("/nonexistent/broker.conf"), std::string_view::npos);
  EXPECT_EQ(apply_config(s, "", "brokerName").code(), Code::kInvalidArgument);
}

TEST(ParseSetOverridesTest, ParsesList) {
  Result<ConfigOverrides> r = parse_set_overrides(" a=1, b = two words ,,c=,d=x=y");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (ConfigOverrides{{"a", "1"}, {"b", "two words"}, {"c", ""}, {"d", "x=y"}}));
  EXPECT_TRUE(parse_set_overrides("").value().empty());
  EXPECT_TRUE(parse_set_overrides(" , ").value().empty());
}

TEST(ParseSetOverridesTest, RejectsItemsWithoutKey) {
  for (std::string_view bad : {"novalue", "a=1,oops", "=1", " =x"}) {
    Result<ConfigOverrides> r = parse_set_overrides(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  EXPECT_NE(parse_set_overrides("a=1,oops").status().message().find("'oops'"),
            std::string_view::npos);
}

}  // namespace
}  // namespace rmq::common
