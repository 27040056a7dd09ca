// RocketMQ request codes with the Java numbers (org.apache.rocketmq...RequestCode). Pinned by
// tests/compat: a number here never changes.
#pragma once

#include <cstdint>
#include <string_view>

namespace rmq::remoting {

#define RMQ_REQUEST_CODES(X)                \
  X(kSendMessage, 10)                       \
  X(kPullMessage, 11)                       \
  X(kQueryMessage, 12)                      \
  X(kQueryBrokerOffset, 13)                 \
  X(kQueryConsumerOffset, 14)               \
  X(kUpdateConsumerOffset, 15)              \
  X(kUpdateAndCreateTopic, 17)              \
  X(kUpdateAndCreateTopicList, 18)          \
  X(kGetAllTopicConfig, 21)                 \
  X(kGetTopicConfigList, 22)                \
  X(kGetTopicNameList, 23)                  \
  X(kUpdateBrokerConfig, 25)                \
  X(kGetBrokerConfig, 26)                   \
  X(kTriggerDeleteFiles, 27)                \
  X(kGetBrokerRuntimeInfo, 28)              \
  X(kSearchOffsetByTimestamp, 29)           \
  X(kGetMaxOffset, 30)                      \
  X(kGetMinOffset, 31)                      \
  X(kGetEarliestMsgStoretime, 32)           \
  X(kViewMessageById, 33)                   \
  X(kHeartBeat, 34)                         \
  X(kUnregisterClient, 35)                  \
  X(kConsumerSendMsgBack, 36)               \
  X(kEndTransaction, 37)                    \
  X(kGetConsumerListByGroup, 38)            \
  X(kCheckTransactionState, 39)             \
  X(kNotifyConsumerIdsChanged, 40)          \
  X(kLockBatchMq, 41)                       \
  X(kUnlockBatchMq, 42)                     \
  X(kGetAllConsumerOffset, 43)              \
  X(kGetAllDelayOffset, 45)                 \
  X(kCheckClientConfig, 46)                 \
  X(kGetClientConfig, 47)                   \
  X(kPutKvConfig, 100)                      \
  X(kGetKvConfig, 101)                      \
  X(kDeleteKvConfig, 102)                   \
  X(kRegisterBroker, 103)                   \
  X(kUnregisterBroker, 104)                 \
  X(kGetRouteinfoByTopic, 105)              \
  X(kGetBrokerClusterInfo, 106)             \
  X(kUpdateAndCreateSubscriptiongroup, 200) \
  X(kGetAllSubscriptiongroupConfig, 201)    \
  X(kGetTopicStatsInfo, 202)                \
  X(kGetConsumerConnectionList, 203)        \
  X(kGetProducerConnectionList, 204)        \
  X(kWipeWritePermOfBroker, 205)            \
  X(kGetAllTopicListFromNameserver, 206)    \
  X(kDeleteSubscriptiongroup, 207)          \
  X(kGetConsumeStats, 208)                  \
  X(kSuspendConsumer, 209)                  \
  X(kResumeConsumer, 210)                   \
  X(kResetConsumerOffsetInConsumer, 211)    \
  X(kResetConsumerOffsetInBroker, 212)      \
  X(kAdjustConsumerThreadPool, 213)         \
  X(kWhoConsumeTheMessage, 214)             \
  X(kDeleteTopicInBroker, 215)              \
  X(kDeleteTopicInNamesrv, 216)             \
  X(kRegisterTopicInNamesrv, 217)           \
  X(kGetKvlistByNamespace, 219)             \
  X(kResetConsumerClientOffset, 220)        \
  X(kGetConsumerStatusFromClient, 221)      \
  X(kInvokeBrokerToResetOffset, 222)        \
  X(kInvokeBrokerToGetConsumerStatus, 223)  \
  X(kGetTopicsByCluster, 224)               \
  X(kQueryTopicConsumeByWho, 300)           \
  X(kQueryConsumeTimeSpan, 303)             \
  X(kGetSystemTopicListFromNs, 304)         \
  X(kGetSystemTopicListFromBroker, 305)     \
  X(kCleanExpiredConsumequeue, 306)         \
  X(kGetConsumerRunningInfo, 307)           \
  X(kQueryCorrectionOffset, 308)            \
  X(kConsumeMessageDirectly, 309)           \
  X(kSendMessageV2, 310)                    \
  X(kCloneGroupOffset, 314)                 \
  X(kViewBrokerStatsData, 315)              \
  X(kCleanUnusedTopic, 316)                 \
  X(kGetBrokerConsumeStats, 317)            \
  X(kUpdateNamesrvConfig, 318)              \
  X(kGetNamesrvConfig, 319)                 \
  X(kSendBatchMessage, 320)                 \
  X(kQueryConsumeQueue, 321)                \
  X(kQueryDataVersion, 322)                 \
  X(kSendReplyMessage, 324)                 \
  X(kSendReplyMessageV2, 325)               \
  X(kPushReplyMessageToClient, 326)         \
  X(kAddWritePermOfBroker, 327)             \
  X(kGetAllProducerInfo, 328)               \
  X(kDeleteExpiredCommitlog, 329)           \
  X(kGetTopicConfig, 351)                   \
  X(kGetSubscriptiongroupConfig, 352)

enum class RequestCode : int32_t {
#define RMQ_X(name, value) name = value,
  RMQ_REQUEST_CODES(RMQ_X)
#undef RMQ_X
};

// Java's constant name ("SEND_MESSAGE_V2"), or "" for a number not in the table.
std::string_view request_code_name(int32_t code);

// raftmq's own codes (DLedger transport, admin) live above every Java number in use.
inline constexpr int32_t kRaftmqCodeBase = 20000;

}  // namespace rmq::remoting
