// store_bench: the message store against the machine's limits, measured by the same tool.
//   1. memcpy of 1 KiB records into an already-mapped, pre-touched file (the ceiling for appends)
//      vs MessageStore::put_message of 1 KiB messages, async flush, one writer (encode + append).
//   2. raw 1 MiB pwrite + fdatasync bandwidth vs sync-flush appends with 64 in flight
//      (group commit).
//   3. reads by queue offset (get_message, 32 per call) over what step 1 wrote.
// Usage: store_bench --dir=/tmp/rmq-bench --seconds=3
#include "common/clock.h"
#include "common/logging.h"
#include "store/message_store.h"

#include <gflags/gflags.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

DEFINE_string(dir, "/tmp/rmq-store-bench", "scratch directory (removed at start and end)");
DEFINE_double(seconds, 3.0, "seconds per measurement");
DEFINE_int32(size, 1024, "message body bytes");
DEFINE_int32(inflight, 64, "sync-flush appends in flight");
DEFINE_bool(warm, false, "pre-create and pre-touch the next segment");
DEFINE_string(phases, "mmap,async,read,raw,sync,restart", "which measurements to run");

bool phase(const char* name) {
  return ("," + FLAGS_phases + ",").find("," + std::string(name) + ",") != std::string::npos;
}

namespace {

using Clock = std::chrono::steady_clock;  // a benchmark measures real time
using rmq::store::AppendResult;
using rmq::store::MessageStore;
using rmq::store::PutStatus;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double memcpy_into_mmap() {
  const size_t file_size = 512ull << 20;
  const std::string path = FLAGS_dir + "/mmap_probe";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::posix_fallocate(fd, 0, static_cast<off_t>(file_size)) != 0) return 0;
  auto* base =
      static_cast<uint8_t*>(::mmap(nullptr, file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  for (size_t i = 0; i < file_size; i += 4096) base[i] = 0;  // pre-touch, as the warm-up does
  std::vector<uint8_t> rec(static_cast<size_t>(FLAGS_size) + 150, 'm');  // record = body + header
  uint64_t n = 0;
  size_t pos = 0;
  const auto t0 = Clock::now();
  while (since(t0) < FLAGS_seconds) {
    for (int i = 0; i < 1024; ++i) {
      if (pos + rec.size() > file_size) pos = 0;
      std::memcpy(base + pos, rec.data(), rec.size());
      pos += rec.size();
      ++n;
    }
  }
  const double rate = static_cast<double>(n) / since(t0);
  ::munmap(base, file_size);
  ::close(fd);
  std::filesystem::remove(path);
  return rate;
}

double raw_fdatasync_mb_s(size_t chunk_size) {
  const std::string path = FLAGS_dir + "/fsync_probe";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  std::vector<uint8_t> chunk(chunk_size, 'f');
  uint64_t bytes = 0;
  off_t off = 0;
  const auto t0 = Clock::now();
  while (since(t0) < FLAGS_seconds) {
    if (::pwrite(fd, chunk.data(), chunk.size(), off) != static_cast<ssize_t>(chunk.size())) break;
    ::fdatasync(fd);
    off += static_cast<off_t>(chunk.size());
    bytes += chunk.size();
    if (off > (1ll << 30)) off = 0;
  }
  const double rate = static_cast<double>(bytes) / (1 << 20) / since(t0);
  ::close(fd);
  std::filesystem::remove(path);
  return rate;
}

rmq::store::StoreConfig bench_config(const std::string& root, rmq::store::FlushDiskType type) {
  rmq::store::StoreConfig c;
  c.store_path_root_dir = root;
  c.mapped_file_size_commit_log = 256ull << 20;
  c.flush_disk_type = type;
  c.warm_mapped_file_enable = FLAGS_warm;
  c.max_hash_slot_num = 500'000;
  c.max_index_num = 2'000'000;
  return c;
}

rmq::store::MessageInput bench_message(const std::string& body, int32_t queue) {
  static const rmq::store::HostAddress born = *rmq::store::HostAddress::parse("127.0.0.1:5000");
  static const rmq::store::HostAddress store_host =
      *rmq::store::HostAddress::parse("127.0.0.1:10911");
  rmq::store::MessageInput m;
  m.topic = "BenchTopic";
  m.queue_id = queue;
  m.born_timestamp = 1'700'000'000'000;
  m.born_host = born;
  m.store_host = store_host;
  m.body = rmq::common::as_bytes(body);
  m.properties = std::string("TAGS\x01") + "TagA\x02";
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  rmq::common::LoggingOptions log_options;
  log_options.level = "warn";
  rmq::common::init_logging(log_options);
  std::filesystem::remove_all(FLAGS_dir);
  std::filesystem::create_directories(FLAGS_dir);
  auto& clock = rmq::common::SteadyClock::instance();
  const std::string body(static_cast<size_t>(FLAGS_size), 'b');

  // 1. Async-flush appends vs memcpy into mmap.
  const double mmap_rate = phase("mmap") ? memcpy_into_mmap() : 1;
  double append_rate = 0;
  uint64_t appended = 0;
  if (phase("async")) {
    MessageStore store(bench_config(FLAGS_dir + "/async", rmq::store::FlushDiskType::kAsyncFlush),
                       rmq::store::posix_file_system(), clock);
    if (!store.load().is_ok() || !store.start().is_ok()) return 1;
    std::atomic<uint64_t> errors{0};
    const auto t0 = Clock::now();
    while (since(t0) < FLAGS_seconds) {
      for (int i = 0; i < 256; ++i) {
        store.put_message(bench_message(body, static_cast<int32_t>(appended % 4)),
                          [&](const AppendResult& r) {
                            if (r.status != PutStatus::kOk) errors.fetch_add(1);
                          });
        ++appended;
      }
    }
    append_rate = static_cast<double>(appended) / since(t0);
    if (errors.load())
      std::fprintf(stderr, "append errors: %llu\n", (unsigned long long)errors.load());

    // 3. Reads by queue offset over what was written.
    if (phase("read")) {
      while (store.reput().behind() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      uint64_t read = 0;
      const auto t1 = Clock::now();
      for (int32_t q = 0; q < 4 && since(t1) < FLAGS_seconds; ++q) {
        int64_t off = 0;
        while (true) {
          auto r = store.get_message("BenchTopic", q, off, 32, 1 << 20);
          if (r.status != rmq::store::GetStatus::kFound) break;
          read += r.messages.size();
          off = r.next_begin_offset;
        }
      }
      const double read_rate = static_cast<double>(read) / since(t1);
      std::printf("read_by_queue_offset msgs/s=%.0f (32 per call)\n", read_rate);
    }
    store.shutdown();
  }
  std::printf("memcpy_into_mmap     msgs/s=%.0f (%d B records)\n", mmap_rate, FLAGS_size + 150);
  std::printf("async_append         msgs/s=%.0f  ratio_vs_mmap=%.2f\n", append_rate,
              append_rate / mmap_rate);

  // 2. Sync flush with N in flight vs raw 1 MiB append + fdatasync.
  const double raw_mb = phase("raw") ? raw_fdatasync_mb_s(1 << 20) : 1;
  // The same bytes per fsync as the store's group commit can gather with N x size in flight.
  const size_t group_bytes =
      static_cast<size_t>(FLAGS_inflight) * (static_cast<size_t>(FLAGS_size) + 150);
  const double raw_group_mb = phase("raw") ? raw_fdatasync_mb_s(group_bytes) : 1;
  double sync_mb = 0;
  double sync_rate = 0;
  if (phase("sync")) {
    MessageStore store(bench_config(FLAGS_dir + "/sync", rmq::store::FlushDiskType::kSyncFlush),
                       rmq::store::posix_file_system(), clock);
    if (!store.load().is_ok() || !store.start().is_ok()) return 1;
    std::atomic<uint64_t> done{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<bool> stop{false};
    std::atomic<int> outstanding{FLAGS_inflight};
    std::promise<void> finished;
    std::function<void(int)> send_one = [&](int q) {
      store.put_message(bench_message(body, q), [&, q](const AppendResult& r) {
        done.fetch_add(1);
        bytes.fetch_add(r.wrote_bytes);
        if (!stop.load()) {
          send_one(q);
        } else if (outstanding.fetch_sub(1) == 1) {
          finished.set_value();
        }
      });
    };
    const auto t0 = Clock::now();
    for (int i = 0; i < FLAGS_inflight; ++i) send_one(i % 4);
    std::this_thread::sleep_for(std::chrono::duration<double>(FLAGS_seconds));
    const double secs = since(t0);
    const uint64_t n = done.load();
    const uint64_t b = bytes.load();
    stop.store(true);
    finished.get_future().wait();
    sync_rate = static_cast<double>(n) / secs;
    sync_mb = static_cast<double>(b) / (1 << 20) / secs;
    std::printf("sync_flush_flushes   %llu for %llu appends\n",
                (unsigned long long)store.local_log().flush_service().flush_calls(),
                (unsigned long long)n);
    store.shutdown();
  }
  std::printf("raw_1MiB_fdatasync   MB/s=%.1f\n", raw_mb);
  std::printf("raw_%zuB_fdatasync  MB/s=%.1f (one group commit's bytes per fsync)\n", group_bytes,
              raw_group_mb);
  std::printf(
      "sync_flush_%d_inflight msgs/s=%.0f MB/s=%.1f ratio_vs_raw_1MiB=%.2f "
      "ratio_vs_raw_group=%.2f\n",
      FLAGS_inflight, sync_rate, sync_mb, sync_mb / raw_mb, sync_mb / raw_group_mb);
  // Restart time of a store whose 1 GiB segment holds data, after a clean shutdown.
  if (phase("restart")) {
    auto cfg = bench_config(FLAGS_dir + "/restart", rmq::store::FlushDiskType::kAsyncFlush);
    cfg.mapped_file_size_commit_log = 1024ull << 20;
    {
      MessageStore store(cfg, rmq::store::posix_file_system(), clock);
      if (!store.load().is_ok() || !store.start().is_ok()) return 1;
      for (int i = 0; i < 200000; ++i) {
        store.put_message(bench_message(body, i % 4), [](const AppendResult&) {});
      }
      store.shutdown();
    }
    const auto t0 = Clock::now();
    MessageStore store(cfg, rmq::store::posix_file_system(), clock);
    if (!store.load().is_ok()) return 1;
    std::printf("clean_restart_1GiB_segment load_ms=%.1f (log end %lld, scanned from %lld)\n",
                since(t0) * 1000, (long long)store.recovery_info().commit_log_end,
                (long long)store.recovery_info().reput_from);
    store.shutdown();
  }
  std::printf(
      "bench: store async_msgs_per_s=%.0f mmap_ratio=%.2f sync_mb_s=%.1f raw_1mib_mb_s=%.1f "
      "raw_group_mb_s=%.1f\n",
      append_rate, append_rate / mmap_rate, sync_mb, raw_mb, raw_group_mb);
  std::filesystem::remove_all(FLAGS_dir);
  return 0;
}
