// RegisterBrokerBody (REGISTER_BROKER, 103), which only the NameServer reads: the decoder, in JSON
// or in Java's compressed layout (RegisterBrokerBody.encode(true), used when the request's
// `compressed` extField is true), and the matching encoders for tests and tools. The bodies the
// NameServer answers with are remoting/protocol/'s (route_data.h, body.h). Pure functions;
// thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "namesrv/route_data.h"

#include <string>

namespace rmq::namesrv {

enum class BodyCompression : uint8_t {
  kNone,  // fastjson JSON: {"filterServerList":[],"topicConfigSerializeWrapper":{...}}
  kZlib,  // Java's compressed layout, see decode_register_broker_body()
};

// Decodes a REGISTER_BROKER body. An empty body is a broker without topics (data version 0/0).
// JSON: unknown fields are ignored; integers may come as JSON numbers or numeric strings; a topic
// without topicName takes its table key; absent queue counts and perm take Java's defaults
// (16, 16, 6). kZlib: the zlib stream (java.util.zip.Deflater) of
//   [int32 n][n bytes DataVersion JSON] [int32 count]
//   count x [int32 n][n bytes "topicName readQueueNums writeQueueNums perm topicFilterType"]
//   [int32 n][n bytes filterServerList JSON]   (5.x appends more sections; they are ignored)
// with big-endian lengths; topicSysFlag is not carried in this layout and reads as 0.
// InvalidArgument (Corruption for a broken zlib stream) naming what is wrong.
[[nodiscard]] common::Result<RegisterBrokerBody> decode_register_broker_body(
    common::ByteView body, BodyCompression compression = BodyCompression::kNone);

// The encoders matching the decoder, as a Java broker writes them (used by tests and our broker
// tools). topicFilterType is always SINGLE_TAG and order false.
std::string encode_register_broker_body(const RegisterBrokerBody& body);
common::Buffer encode_register_broker_body_compressed(const RegisterBrokerBody& body);

}  // namespace rmq::namesrv
