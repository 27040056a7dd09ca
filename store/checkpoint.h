// Checkpoint: what recovery needs to know about the last run, written atomically (write, fsync,
// rename) to <root>/checkpoint. RocketMQ's StoreCheckpoint keeps three timestamps; we keep offsets,
// which make recovery exact:
//   flushed_offset      commit log bytes known durable (recovery scans from its segment),
//   dispatched_offset   consume queues and index are durable up to here (re-dispatch starts here),
//   clean_offset        end of the log at a clean shutdown, -1 while running (normal recovery
//                       trusts it and scans nothing),
//   queues              max queue offset of every consume queue at the last CQ flush (a missing or
//                       shorter queue on disk is rebuilt from the log).
// Format: text lines "key value" and "queue <topic> <queueId> <maxOffset>", then "crc <crc32>".
#pragma once

#include "common/result.h"
#include "store/file_system.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace rmq::store {

struct Checkpoint {
  int64_t flushed_offset = 0;
  int64_t dispatched_offset = 0;
  int64_t clean_offset = -1;
  std::map<std::pair<std::string, int32_t>, int64_t> queues;

  std::string encode() const;
  static common::Result<Checkpoint> decode(std::string_view text);

  // Missing file: a default checkpoint. A corrupt one: Corruption (recovery then scans all).
  static common::Result<Checkpoint> load(FileSystem& fs, const std::string& path);
  [[nodiscard]] common::Status save(FileSystem& fs, const std::string& path) const;
};

}  // namespace rmq::store
