// Helpers shared by the store tests: a small-sized StoreConfig and message builders.
#pragma once

#include "store/message.h"
#include "store/message_store.h"
#include "store/store_config.h"

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace rmq::store::testing {

inline StoreConfig small_config(const std::string& root) {
  StoreConfig c;
  c.store_path_root_dir = root;
  c.mapped_file_size_commit_log = 64 * 1024;  // roll often
  c.consume_queue_units_per_file = 100;
  c.max_message_size = 16 * 1024;
  c.max_hash_slot_num = 64;
  c.max_index_num = 4096;
  c.flush_interval_commit_log = std::chrono::milliseconds(5);
  c.flush_interval_consume_queue = std::chrono::milliseconds(50);
  c.sync_flush_timeout = std::chrono::milliseconds(500);
  c.clean_resource_interval = std::chrono::hours(1000);  // tests call run_once() themselves
  c.delete_when = "";
  return c;
}

inline MessageInput make_message(const std::string& topic, int32_t queue, const std::string& body,
                                 const std::string& keys = "", const std::string& tags = "") {
  MessageInput m;
  m.topic = topic;
  m.queue_id = queue;
  m.born_timestamp = 1'700'000'000'000;
  m.born_host = *HostAddress::parse("10.0.0.1:5000");
  m.store_host = *HostAddress::parse("127.0.0.1:10911");
  m.body = common::as_bytes(body);
  if (!tags.empty()) append_property(m.properties, prop::kTags, tags);
  if (!keys.empty()) append_property(m.properties, prop::kKeys, keys);
  return m;
}

// Polls `pred` until true or a 10 s deadline (the dispatcher runs on its own thread).
template <typename Pred>
bool testutil_wait(Pred pred) {
  for (int i = 0; i < 10000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

// put_message and wait for its callback.
inline AppendResult put_sync(MessageStore& store, const MessageInput& m) {
  std::promise<AppendResult> p;
  store.put_message(m, [&](const AppendResult& r) { p.set_value(r); });
  return p.get_future().get();
}

// The body of every message of a queue, in order, read through get_message.
inline std::vector<std::string> read_queue(MessageStore& store, const std::string& topic,
                                           int32_t queue) {
  std::vector<std::string> out;
  int64_t offset = store.min_offset_in_queue(topic, queue);
  while (true) {
    auto r = store.get_message(topic, queue, offset, 32, 1 << 20);
    if (r.status != GetStatus::kFound) break;
    for (const auto& s : r.messages) {
      auto m = decode_message(s.bytes, /*check_crc=*/true);
      if (!m.ok()) {
        out.push_back("<corrupt>");
        continue;
      }
      out.emplace_back(common::as_string_view(m->body));
    }
    offset = r.next_begin_offset;
  }
  return out;
}

}  // namespace rmq::store::testing
