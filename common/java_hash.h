// Java's String.hashCode() for UTF-8 text: what RocketMQ stores as a message's tagsCode and sends
// in a subscription's codeSet. One definition for the store (ConsumeQueue units), the subscription
// model of remoting/protocol/ and the client's tag filter. Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace rmq::common {

// Java String.hashCode() over the UTF-16 code units of `utf8` (supplementary characters count as
// their surrogate pair), in 32-bit wrap-around arithmetic. Text that is not well-formed UTF-8
// (overlong, truncated, surrogate or out-of-range sequences) is hashed as Latin-1, one unit per
// byte, the way Java decodes bytes it cannot read as UTF-8.
int32_t java_string_hash(std::string_view utf8);

}  // namespace rmq::common
