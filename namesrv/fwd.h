// Forward declarations of the NameServer's types, to keep other headers light.
#pragma once

namespace rmq::namesrv {

struct BrokerData;
struct ClusterInfo;
struct DataVersion;
struct NamesrvConfig;
struct QueueData;
struct RegisterBrokerBody;
struct RegisterBrokerRequest;
struct RegisterBrokerResult;
struct TopicConfig;
struct TopicRouteData;
class KvConfigManager;
class NamesrvController;
class NamesrvProcessor;
class RouteInfoManager;

}  // namespace rmq::namesrv
