// RocketMQ response codes with the Java numbers (RemotingSysResponseCode + ResponseCode). Pinned by
// tests/compat: a number here never changes.
#pragma once

#include <cstdint>
#include <string_view>

namespace rmq::remoting {

#define RMQ_RESPONSE_CODES(X)         \
  X(kSuccess, 0)                      \
  X(kSystemError, 1)                  \
  X(kSystemBusy, 2)                   \
  X(kRequestCodeNotSupported, 3)      \
  X(kTransactionFailed, 4)            \
  X(kFlushDiskTimeout, 10)            \
  X(kSlaveNotAvailable, 11)           \
  X(kFlushSlaveTimeout, 12)           \
  X(kMessageIllegal, 13)              \
  X(kServiceNotAvailable, 14)         \
  X(kVersionNotSupported, 15)         \
  X(kNoPermission, 16)                \
  X(kTopicNotExist, 17)               \
  X(kTopicExistAlready, 18)           \
  X(kPullNotFound, 19)                \
  X(kPullRetryImmediately, 20)        \
  X(kPullOffsetMoved, 21)             \
  X(kQueryNotFound, 22)               \
  X(kSubscriptionParseFailed, 23)     \
  X(kSubscriptionNotExist, 24)        \
  X(kSubscriptionNotLatest, 25)       \
  X(kSubscriptionGroupNotExist, 26)   \
  X(kFilterDataNotExist, 27)          \
  X(kFilterDataNotLatest, 28)         \
  X(kInvalidParameter, 29)            \
  X(kTransactionShouldCommit, 200)    \
  X(kTransactionShouldRollback, 201)  \
  X(kTransactionStateUnknow, 202)     \
  X(kTransactionStateGroupWrong, 203) \
  X(kNoBuyerId, 204)                  \
  X(kNotInCurrentUnit, 205)           \
  X(kConsumerNotOnline, 206)          \
  X(kConsumeMsgTimeout, 207)          \
  X(kNoMessage, 208)                  \
  X(kPollingFull, 209)                \
  X(kPollingTimeout, 210)             \
  X(kBrokerNotExist, 211)             \
  X(kBrokerDispatchNotComplete, 212)  \
  X(kBroadcastConsumption, 213)       \
  X(kFlowControl, 215)                \
  X(kNotLeaderForQueue, 501)          \
  X(kIllegalOperation, 604)

enum class ResponseCode : int32_t {
#define RMQ_X(name, value) name = value,
  RMQ_RESPONSE_CODES(RMQ_X)
#undef RMQ_X
};

// Java's constant name ("SYSTEM_BUSY"), or "" for a number not in the table.
std::string_view response_code_name(int32_t code);

}  // namespace rmq::remoting
