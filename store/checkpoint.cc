#include "store/checkpoint.h"

#include "common/crc32.h"

#include <charconv>
#include <sstream>

namespace rmq::store {

using common::Status;

std::string Checkpoint::encode() const {
  std::string out;
  out += "version 1\n";
  out += "flushed_offset " + std::to_string(flushed_offset) + "\n";
  out += "dispatched_offset " + std::to_string(dispatched_offset) + "\n";
  out += "clean_offset " + std::to_string(clean_offset) + "\n";
  for (const auto& [key, max] : queues) {
    // Topic names never contain spaces or newlines (validated at send time).
    out +=
        "queue " + key.first + " " + std::to_string(key.second) + " " + std::to_string(max) + "\n";
  }
  out += "crc " + std::to_string(common::crc32(out.data(), out.size())) + "\n";
  return out;
}

namespace {
bool parse_i64(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

common::Result<Checkpoint> Checkpoint::decode(std::string_view text) {
  const size_t crc_pos = text.rfind("crc ");
  if (crc_pos == std::string_view::npos) return Status::corruption("checkpoint has no crc line");
  std::string_view crc_line = text.substr(crc_pos + 4);
  while (!crc_line.empty() && (crc_line.back() == '\n' || crc_line.back() == '\r')) {
    crc_line.remove_suffix(1);
  }
  int64_t crc = 0;
  if (!parse_i64(crc_line, &crc) ||
      static_cast<uint32_t>(crc) != common::crc32(text.data(), crc_pos)) {
    return Status::corruption("checkpoint crc mismatch");
  }
  Checkpoint cp;
  std::istringstream in{std::string(text.substr(0, crc_pos))};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "queue") {
      std::string topic;
      int32_t queue_id = 0;
      int64_t max = 0;
      if (!(ls >> topic >> queue_id >> max)) return Status::corruption("bad checkpoint queue line");
      cp.queues[{topic, queue_id}] = max;
      continue;
    }
    int64_t v = 0;
    if (!(ls >> v)) continue;  // version and unknown keys without a number are skipped
    if (key == "flushed_offset")
      cp.flushed_offset = v;
    else if (key == "dispatched_offset")
      cp.dispatched_offset = v;
    else if (key == "clean_offset")
      cp.clean_offset = v;
  }
  return cp;
}

common::Result<Checkpoint> Checkpoint::load(FileSystem& fs, const std::string& path) {
  if (!fs.exists(path)) return Checkpoint{};
  RMQ_ASSIGN_OR_RETURN(std::string text, fs.read_file(path));
  auto cp = decode(text);
  if (!cp.ok()) return cp.status().with_context(path);
  return cp;
}

Status Checkpoint::save(FileSystem& fs, const std::string& path) const {
  return fs.write_file_atomic(path, encode());
}

}  // namespace rmq::store
