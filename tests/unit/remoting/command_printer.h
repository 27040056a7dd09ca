// gtest printer for RemotingCommand so failed comparisons show fields instead of raw bytes.
#pragma once

#include "remoting/remoting_command.h"

#include <ostream>

namespace rmq::remoting {

inline void PrintTo(const RemotingCommand& cmd, std::ostream* os) {
  *os << "{" << cmd.describe() << " ext=[";
  for (const auto& [k, v] : cmd.ext_fields.entries()) *os << k << "=" << v << ";";
  *os << "] body=\"" << cmd.body.str().substr(0, 64) << "\"}";
}

}  // namespace rmq::remoting
