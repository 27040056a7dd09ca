// Binary encoding of Raft messages for the transport (dledger/net). A frame body carries a batch
// of messages for one peer: [4 count] then per message a fixed header and its entries
// (layout in dledger/FORMAT.md, "Transport"). Decoding checks every length and never trusts the
// peer; a malformed batch is rejected whole.
#pragma once

#include "common/bytes.h"
#include "common/result.h"
#include "dledger/types.h"

#include <vector>

namespace rmq::dledger::net {

void encode_messages(const std::vector<Message>& msgs, common::Buffer& out);
common::Result<std::vector<Message>> decode_messages(common::ByteView body);

}  // namespace rmq::dledger::net
