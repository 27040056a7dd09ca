#include "common/config.h"

#include "common/properties.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace rmq::common {
namespace {

using std::chrono::milliseconds;

enum class BrokerRole { kAsyncMaster, kSyncMaster, kSlave };

struct TestConfig {
  std::string broker_name;
  std::string cluster = "DefaultCluster";
  int listen_port = 0;
  bool auto_create = true;
  std::string flush_disk_type = "ASYNC_FLUSH";
  BrokerRole role = BrokerRole::kAsyncMaster;
  milliseconds flush_interval{500};
  int64_t max_offset = 0;
  uint16_t small = 7;
};

ConfigSchema make_schema(TestConfig& cfg) {
  ConfigSchema s("broker");
  s.add_string("brokerName", &cfg.broker_name).required().help("Name shared by a replica group.");
  s.add_string("brokerClusterName", &cfg.cluster);
  s.add_int("listenPort", &cfg.listen_port).range(1, 65535).default_value(10911);
  s.add_bool("autoCreateTopicEnable", &cfg.auto_create);
  s.add_enum("flushDiskType", &cfg.flush_disk_type, {"ASYNC_FLUSH", "SYNC_FLUSH"});
  s.add_enum("brokerRole", &cfg.role,
             {{"ASYNC_MASTER", BrokerRole::kAsyncMaster},
              {"SYNC_MASTER", BrokerRole::kSyncMaster},
              {"SLAVE", BrokerRole::kSlave}});
  s.add_duration_ms("flushIntervalCommitLog", &cfg.flush_interval).range(1, 60'000);
  s.add_int("maxOffset", &cfg.max_offset);
  s.add_int("smallValue", &cfg.small);
  s.add_ignored("rocketmqHome", "paths come from --store_dir");
  return s;
}

Properties props(std::string_view text) {
  Result<Properties> r = parse_properties(text, "broker.conf");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? std::move(r).value() : Properties();
}

std::string apply_error(std::string_view text, const ConfigOverrides& overrides = {}) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  Status st = s.apply(props(text), overrides);
  EXPECT_FALSE(st.is_ok()) << text;
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  return std::string(st.message());
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

TEST(ConfigTest, DefaultsApplyAtDeclaration) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  EXPECT_EQ(cfg.listen_port, 10911);  // default_value() sets the field
  EXPECT_EQ(cfg.cluster, "DefaultCluster");
  ASSERT_TRUE(s.apply(props("brokerName=b\n")).is_ok());
  EXPECT_EQ(cfg.broker_name, "b");
  EXPECT_EQ(cfg.listen_port, 10911);
  EXPECT_TRUE(cfg.auto_create);
  EXPECT_EQ(cfg.flush_interval, milliseconds(500));
}

TEST(ConfigTest, AppliesEveryType) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  Status st =
      s.apply(props("brokerName = broker-a\n"
                    "brokerClusterName = C1\n"
                    "listenPort = 30911\n"
                    "autoCreateTopicEnable = FALSE\n"
                    "flushDiskType = sync_flush\n"
                    "brokerRole = SLAVE\n"
                    "flushIntervalCommitLog = 2s\n"
                    "maxOffset = -9223372036854775808\n"
                    "smallValue = +65535\n"
                    "rocketmqHome = /opt/rocketmq\n"));
  ASSERT_TRUE(st.is_ok()) << st;
  EXPECT_EQ(cfg.broker_name, "broker-a");
  EXPECT_EQ(cfg.cluster, "C1");
  EXPECT_EQ(cfg.listen_port, 30911);
  EXPECT_FALSE(cfg.auto_create);
  EXPECT_EQ(cfg.flush_disk_type, "SYNC_FLUSH");  // canonical spelling
  EXPECT_EQ(cfg.role, BrokerRole::kSlave);
  EXPECT_EQ(cfg.flush_interval, milliseconds(2000));
  EXPECT_EQ(cfg.max_offset, INT64_MIN);
  EXPECT_EQ(cfg.small, 65535);
}

TEST(ConfigTest, ValuesAreTrimmed) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  ASSERT_TRUE(s.apply(props("brokerName=b \t\nlistenPort= 123  \n")).is_ok());
  EXPECT_EQ(cfg.broker_name, "b");
  EXPECT_EQ(cfg.listen_port, 123);
}

TEST(ConfigTest, DurationUnits) {
  const std::pair<std::string_view, int64_t> cases[] = {
      {"250", 250}, {"250ms", 250}, {"3s", 3000}, {"1m", 60'000}, {"1h", 3'600'000}};
  for (const auto& [text, ms] : cases) {
    TestConfig cfg;
    ConfigSchema s("t");
    s.add_duration_ms("d", &cfg.flush_interval);
    ASSERT_TRUE(s.apply(Properties(), {{"d", std::string(text)}}).is_ok()) << text;
    EXPECT_EQ(cfg.flush_interval.count(), ms) << text;
  }
  EXPECT_TRUE(
      contains(apply_error("brokerName=b\nflushIntervalCommitLog=fast\n"), "is not a duration"));
  EXPECT_TRUE(contains(apply_error("brokerName=b\nflushIntervalCommitLog=2m\n"),
                       "value '2m' is out of range [1, 60000] ms"));
  EXPECT_TRUE(contains(apply_error("brokerName=b\nflushIntervalCommitLog=-5\n"), "out of range"));
}

TEST(ConfigTest, OverridesWinOverFile) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  Status st = s.apply(props("brokerName=file\nlistenPort=1000\n"),
                      {{"listenPort", "2000"}, {"brokerName", "cli"}, {"listenPort", "3000"}});
  ASSERT_TRUE(st.is_ok()) << st;
  EXPECT_EQ(cfg.broker_name, "cli");
  EXPECT_EQ(cfg.listen_port, 3000);  // the last override wins
}

TEST(ConfigTest, OverrideFixesBadFileValue) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  EXPECT_TRUE(s.apply(props("brokerName=b\nlistenPort=oops\n"), {{"listenPort", "1"}}).is_ok());
  EXPECT_EQ(cfg.listen_port, 1);
}

TEST(ConfigTest, OverridesSatisfyRequired) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  EXPECT_TRUE(s.apply(Properties(), {{"brokerName", "x"}}).is_ok());
  EXPECT_EQ(cfg.broker_name, "x");
}

TEST(ConfigTest, UnknownKeyWithSuggestion) {
  const std::string msg = apply_error("brokerName=b\nlistenPrt=1\n");
  EXPECT_TRUE(contains(msg, "broker.conf:2: unknown key 'listenPrt' (did you mean 'listenPort'?)"))
      << msg;
  // Case differences count as close.
  EXPECT_TRUE(contains(apply_error("brokerName=b\nlistenport=1\n"), "did you mean 'listenPort'"));
}

TEST(ConfigTest, UnknownKeyWithoutSuggestion) {
  const std::string msg = apply_error("brokerName=b\nsomethingElse=1\n");
  EXPECT_TRUE(contains(msg, "unknown key 'somethingElse'")) << msg;
  EXPECT_FALSE(contains(msg, "did you mean")) << msg;
}

TEST(ConfigTest, UnknownKeyOnCommandLine) {
  const std::string msg = apply_error("brokerName=b\n", {{"brokerNam", "x"}});
  EXPECT_TRUE(contains(msg, "command line: unknown key 'brokerNam' (did you mean 'brokerName'?)"))
      << msg;
}

TEST(ConfigTest, NotAnInteger) {
  for (std::string_view bad : {"abc", "12abc", "1.5", "", "0x10", "--1", "+"}) {
    const std::string msg = apply_error("brokerName=b\n", {{"listenPort", std::string(bad)}});
    EXPECT_TRUE(contains(
        msg, "command line: key 'listenPort': value '" + std::string(bad) + "' is not an integer"))
        << msg;
  }
}

TEST(ConfigTest, OutOfRange) {
  std::string msg = apply_error("brokerName=b\nlistenPort=70000\n");
  EXPECT_TRUE(contains(msg,
                       "broker.conf:2: key 'listenPort': value '70000' is out of range "
                       "[1, 65535]"))
      << msg;
  EXPECT_TRUE(contains(apply_error("brokerName=b\nlistenPort=0\n"), "out of range"));
  // The field type bounds apply even without range().
  msg = apply_error("brokerName=b\nsmallValue=65536\n");
  EXPECT_TRUE(contains(msg, "value '65536' is out of range [0, 65535]")) << msg;
  EXPECT_TRUE(contains(apply_error("brokerName=b\nsmallValue=-1\n"), "out of range"));
  EXPECT_TRUE(
      contains(apply_error("brokerName=b\nmaxOffset=9223372036854775808\n"), "out of range"));
}

TEST(ConfigTest, NotABool) {
  for (std::string_view bad : {"yes", "1", "0", "on", "ttrue"}) {
    const std::string msg =
        apply_error("brokerName=b\n", {{"autoCreateTopicEnable", std::string(bad)}});
    EXPECT_TRUE(contains(msg, "value '" + std::string(bad) + "' is not a boolean")) << msg;
  }
  for (std::string_view good : {"true", "TRUE", "True", "false", "FaLsE"}) {
    TestConfig cfg;
    ConfigSchema s = make_schema(cfg);
    EXPECT_TRUE(
        s.apply(props("brokerName=b\n"), {{"autoCreateTopicEnable", std::string(good)}}).is_ok())
        << good;
  }
}

TEST(ConfigTest, NotInEnum) {
  std::string msg = apply_error("brokerName=b\nflushDiskType=SOMETIMES\n");
  EXPECT_TRUE(contains(msg,
                       "key 'flushDiskType': value 'SOMETIMES' is not one of ASYNC_FLUSH, "
                       "SYNC_FLUSH"))
      << msg;
  msg = apply_error("brokerName=b\nbrokerRole=LEADER\n");
  EXPECT_TRUE(contains(msg, "is not one of ASYNC_MASTER, SYNC_MASTER, SLAVE")) << msg;
}

TEST(ConfigTest, MissingRequired) {
  std::string msg = apply_error("listenPort=1\n");
  EXPECT_TRUE(contains(msg, "broker.conf: missing required key 'brokerName'")) << msg;
  msg = apply_error("brokerName=\n");
  EXPECT_TRUE(contains(msg, "broker.conf:1: key 'brokerName': value '' must not be empty")) << msg;
  msg = apply_error("", {{"brokerName", "  "}});
  EXPECT_TRUE(contains(msg, "command line: key 'brokerName': value '  ' must not be empty")) << msg;
}

TEST(ConfigTest, AllErrorsReportedTogether) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  Status st = s.apply(props("listenPort=abc\n"
                            "bogus=1\n"
                            "autoCreateTopicEnable=maybe\n"
                            "flushDiskType=NEVER\n"),
                      {{"smallValue", "-3"}});
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  const std::string msg(st.message());
  EXPECT_TRUE(contains(msg, "broker config has 6 error(s):\n")) << msg;
  // One per line, file errors in line order, then the command line, then missing keys.
  EXPECT_TRUE(contains(msg,
                       "\nbroker.conf:1: key 'listenPort': value 'abc' is not an integer\n"
                       "broker.conf:2: unknown key 'bogus'\n"
                       "broker.conf:3: key 'autoCreateTopicEnable': value 'maybe' is not a "
                       "boolean (expected true or false)\n"
                       "broker.conf:4: key 'flushDiskType': value 'NEVER' is not one of "
                       "ASYNC_FLUSH, SYNC_FLUSH\n"
                       "command line: key 'smallValue': value '-3' is out of range [0, 65535]\n"
                       "broker.conf: missing required key 'brokerName'"))
      << msg;
}

TEST(ConfigTest, InvalidValueLeavesFieldUntouched) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  EXPECT_FALSE(s.apply(props("brokerName=b\nlistenPort=99999\nbrokerRole=X\n")).is_ok());
  EXPECT_EQ(cfg.listen_port, 10911);
  EXPECT_EQ(cfg.role, BrokerRole::kAsyncMaster);
}

TEST(ConfigTest, IgnoredKeysAreAcceptedButHidden) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  EXPECT_TRUE(s.apply(props("brokerName=b\nrocketmqHome=/x\n")).is_ok());
  EXPECT_FALSE(s.has_key("rocketmqHome"));
  EXPECT_TRUE(s.has_key("listenPort"));
  EXPECT_FALSE(s.has_key("nope"));
  const std::vector<std::string> keys = s.keys();
  ASSERT_EQ(keys.size(), 9u);
  EXPECT_EQ(keys.front(), "brokerName");
  EXPECT_EQ(keys.back(), "smallValue");
  EXPECT_FALSE(contains(s.dump(), "rocketmqHome"));
}

TEST(ConfigTest, DescribeListsKeysTypesAndDefaults) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  const std::string d = s.describe();
  EXPECT_TRUE(contains(d, "broker config keys:\n")) << d;
  EXPECT_TRUE(
      contains(d, "  brokerName (string, required)\n      Name shared by a replica group.\n"))
      << d;
  EXPECT_TRUE(contains(d, "  listenPort (int, default '10911', range [1, 65535])\n")) << d;
  EXPECT_TRUE(contains(d, "  autoCreateTopicEnable (bool, default 'true')\n")) << d;
  EXPECT_TRUE(contains(d,
                       "  flushDiskType (enum, default 'ASYNC_FLUSH', one of "
                       "ASYNC_FLUSH|SYNC_FLUSH)\n"))
      << d;
  EXPECT_TRUE(contains(d,
                       "  brokerRole (enum, default 'ASYNC_MASTER', one of "
                       "ASYNC_MASTER|SYNC_MASTER|SLAVE)\n"))
      << d;
  EXPECT_TRUE(
      contains(d, "  flushIntervalCommitLog (duration(ms), default '500', range [1, 60000])"))
      << d;
  EXPECT_EQ(s.component(), "broker");
}

TEST(ConfigTest, DescribeShowsDeclaredDefaultNotCurrentValue) {
  TestConfig cfg;
  ConfigSchema s = make_schema(cfg);
  ASSERT_TRUE(s.apply(props("brokerName=b\nlistenPort=1234\n")).is_ok());
  EXPECT_TRUE(contains(s.describe(), "listenPort (int, default '10911'"));
  EXPECT_TRUE(contains(s.dump(), "listenPort=1234\n"));
}

TEST(ConfigTest, DumpRoundTrips) {
  TestConfig a;
  ConfigSchema sa = make_schema(a);
  ASSERT_TRUE(sa.apply(props("brokerName= name with = and : \nbrokerRole=SYNC_MASTER\n"
                             "flushIntervalCommitLog=3s\nautoCreateTopicEnable=false\n"))
                  .is_ok());
  const std::string dumped = sa.dump();
  EXPECT_TRUE(contains(dumped, "brokerRole=SYNC_MASTER\n")) << dumped;
  EXPECT_TRUE(contains(dumped, "flushIntervalCommitLog=3000\n")) << dumped;

  TestConfig b;
  ConfigSchema sb = make_schema(b);
  ASSERT_TRUE(sb.apply(props(dumped)).is_ok()) << dumped;
  EXPECT_EQ(b.broker_name, "name with = and :");
  EXPECT_EQ(b.role, BrokerRole::kSyncMaster);
  EXPECT_EQ(b.flush_interval, milliseconds(3000));
  EXPECT_FALSE(b.auto_create);
  EXPECT_EQ(sb.dump(), dumped);
}

TEST(ConfigTest, SeveralStructsShareOneSchema) {
  struct StoreConfig {
    int mapped_file_size = 1024;
  } store;
  TestConfig broker;
  ConfigSchema s = make_schema(broker);
  s.add_int("mappedFileSizeCommitLog", &store.mapped_file_size).range(4096, 1 << 30);
  ASSERT_TRUE(s.apply(props("brokerName=b\nmappedFileSizeCommitLog=8192\n")).is_ok());
  EXPECT_EQ(store.mapped_file_size, 8192);
}

TEST(ConfigDeathTest, DuplicateKeyIsAProgrammingError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        int a = 0;
        int b = 0;
        ConfigSchema s("x");
        s.add_int("k", &a);
        s.add_int("k", &b);
      },
      "declared twice");
}

TEST(ConfigDeathTest, EnumDefaultMustBeAChoice) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        std::string mode;
        ConfigSchema s("x");
        s.add_enum("mode", &mode, {"A", "B"}).default_value("C");
      },
      "not one of the enum choices");
}

}  // namespace
}  // namespace rmq::common
