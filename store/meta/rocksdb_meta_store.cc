// RocksDbMetaStore: MetaStore in one RocksDB instance with key prefixes
//   "t/<topic>" -> topic JSON, "g/<group>" -> group JSON, "o/" + encode_offset_key() -> decimal,
//   "k/<key>" -> raw value.
// Writers are serialized by mu_ so that kDelGroupOffsets (a prefix scan) is atomic with the
// batch that carries it; readers go straight to RocksDB (it is thread-safe).
#include "common/logging.h"
#include "common/thread_annotations.h"
#include "store/meta/meta_codec.h"
#include "store/meta/meta_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace rmq::store {

namespace {

using common::Result;
using common::Status;

constexpr std::string_view kTopicPrefix = "t/";
constexpr std::string_view kGroupPrefix = "g/";
constexpr std::string_view kOffsetPrefix = "o/";
constexpr std::string_view kKvPrefix = "k/";

std::string prefixed(std::string_view prefix, std::string_view key) {
  std::string out;
  out.reserve(prefix.size() + key.size());
  out.append(prefix).append(key);
  return out;
}

// Keys of every offset of `group`: "o/<group>\0" up to (excluding) "o/<group>\x01".
std::pair<std::string, std::string> group_offset_range(std::string_view group) {
  std::string lo = prefixed(kOffsetPrefix, group);
  std::string hi = lo;
  lo.push_back('\0');
  hi.push_back('\x01');
  return {std::move(lo), std::move(hi)};
}

// The exclusive upper bound of all keys starting with `prefix` (prefixes end in '/').
std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

Status from_rocksdb(const rocksdb::Status& s, std::string_view context) {
  std::string msg = std::string(context) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::not_found(msg);
  if (s.IsCorruption()) return Status::corruption(msg);
  if (s.IsNoSpace()) return Status::no_space(msg);
  if (s.IsIOError()) return Status::io_error(msg);
  if (s.IsInvalidArgument()) return Status::invalid_argument(msg);
  if (s.IsNotSupported()) return Status::not_supported(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return Status::busy(msg);
  if (s.IsAborted()) return Status::aborted(msg);
  return Status::internal(msg);
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.find('\0') == std::string_view::npos;
}

class RocksDbMetaStore final : public MetaStore {
 public:
  RocksDbMetaStore(std::string dir, bool sync, std::unique_ptr<rocksdb::DB> db)
      : dir_(std::move(dir)), sync_(sync), db_(std::move(db)) {}

  ~RocksDbMetaStore() override {
    if (!sync_) {
      // Unsynced batches survive kill -9 (they are in the page cache); make a clean close
      // survive power loss too.
      if (const rocksdb::Status s = db_->FlushWAL(/*sync=*/true); !s.ok()) {
        common::logger("store")->warn("meta store {}: WAL sync on close: {}", dir_, s.ToString());
      }
    }
    if (const rocksdb::Status s = db_->Close(); !s.ok()) {
      common::logger("store")->warn("meta store {}: close: {}", dir_, s.ToString());
    }
  }

  Status apply(const MetaBatch& batch) override {
    if (batch.empty()) return Status::ok();
    RMQ_RETURN_IF_ERROR(validate(batch));
    common::MutexLock lock(mu_);
    rocksdb::WriteBatch wb;
    // Offset keys put earlier in this batch: a later kDelGroupOffsets must remove them too,
    // since the DB scan below cannot see them.
    std::set<std::string> batch_offsets;
    for (const MetaBatch::Op& op : batch.ops()) {
      rocksdb::Status s;
      switch (op.kind) {
        case MetaBatch::Op::Kind::kPutTopic:
          s = wb.Put(prefixed(kTopicPrefix, op.key), op.value);
          break;
        case MetaBatch::Op::Kind::kDelTopic:
          s = wb.Delete(prefixed(kTopicPrefix, op.key));
          break;
        case MetaBatch::Op::Kind::kPutGroup:
          s = wb.Put(prefixed(kGroupPrefix, op.key), op.value);
          break;
        case MetaBatch::Op::Kind::kDelGroup:
          s = wb.Delete(prefixed(kGroupPrefix, op.key));
          break;
        case MetaBatch::Op::Kind::kPutOffset: {
          std::string key = prefixed(kOffsetPrefix, op.key);
          s = wb.Put(key, op.value);
          batch_offsets.insert(std::move(key));
          break;
        }
        case MetaBatch::Op::Kind::kDelGroupOffsets:
          s = delete_group_offsets(op.key, batch_offsets, wb);
          break;
        case MetaBatch::Op::Kind::kPutKv:
          s = wb.Put(prefixed(kKvPrefix, op.key), op.value);
          break;
        case MetaBatch::Op::Kind::kDelKv:
          s = wb.Delete(prefixed(kKvPrefix, op.key));
          break;
      }
      if (!s.ok()) return from_rocksdb(s, "meta store " + dir_ + ": build batch");
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    if (const rocksdb::Status s = db_->Write(wo, &wb); !s.ok()) {
      common::logger("store")->error("meta store {}: write failed: {}", dir_, s.ToString());
      return from_rocksdb(s, "meta store " + dir_ + ": write");
    }
    return Status::ok();
  }

  std::optional<TopicConfig> topic(const std::string& name) const override {
    const std::optional<std::string> v = get(prefixed(kTopicPrefix, name));
    if (!v) return std::nullopt;
    return decoded(decode_topic_config(*v), name);
  }

  std::vector<TopicConfig> topics() const override {
    std::vector<TopicConfig> out;
    scan(kTopicPrefix, prefix_end(kTopicPrefix), [&](std::string_view key, std::string_view v) {
      if (auto t = decoded(decode_topic_config(v), key)) out.push_back(std::move(*t));
    });
    return out;
  }

  std::optional<SubscriptionGroupConfig> group(const std::string& name) const override {
    const std::optional<std::string> v = get(prefixed(kGroupPrefix, name));
    if (!v) return std::nullopt;
    return decoded(decode_subscription_group_config(*v), name);
  }

  std::vector<SubscriptionGroupConfig> groups() const override {
    std::vector<SubscriptionGroupConfig> out;
    scan(kGroupPrefix, prefix_end(kGroupPrefix), [&](std::string_view key, std::string_view v) {
      if (auto g = decoded(decode_subscription_group_config(v), key)) out.push_back(std::move(*g));
    });
    return out;
  }

  std::optional<int64_t> offset(const OffsetKey& key) const override {
    const std::string k = prefixed(kOffsetPrefix, encode_offset_key(key));
    const std::optional<std::string> v = get(k);
    if (!v) return std::nullopt;
    return decoded(decode_offset_value(*v), k);
  }

  std::map<OffsetKey, int64_t> offsets() const override {
    std::map<OffsetKey, int64_t> out;
    scan(kOffsetPrefix, prefix_end(kOffsetPrefix), [&](std::string_view key, std::string_view v) {
      auto k = decoded(decode_offset_key(key.substr(kOffsetPrefix.size())), key);
      auto o = decoded(decode_offset_value(v), key);
      if (k && o) out.emplace(std::move(*k), *o);
    });
    return out;
  }

  std::optional<std::string> kv(const std::string& key) const override {
    return get(prefixed(kKvPrefix, key));
  }

 private:
  // Names are prefix-scanned with a 0x00 terminator, so empty names and 0x00 are rejected;
  // a rejected batch writes nothing.
  static Status validate(const MetaBatch& batch) {
    for (const MetaBatch::Op& op : batch.ops()) {
      switch (op.kind) {
        case MetaBatch::Op::Kind::kPutTopic:
        case MetaBatch::Op::Kind::kDelTopic:
        case MetaBatch::Op::Kind::kPutGroup:
        case MetaBatch::Op::Kind::kDelGroup:
        case MetaBatch::Op::Kind::kDelGroupOffsets:
          if (!valid_name(op.key)) return Status::invalid_argument("meta batch: invalid name");
          break;
        case MetaBatch::Op::Kind::kPutOffset: {
          const Result<OffsetKey> k = decode_offset_key(op.key);
          if (!k.ok() || !valid_name(k->group) || !valid_name(k->topic)) {
            return Status::invalid_argument("meta batch: invalid offset key");
          }
          break;
        }
        case MetaBatch::Op::Kind::kPutKv:
        case MetaBatch::Op::Kind::kDelKv:
          break;
      }
    }
    return Status::ok();
  }

  rocksdb::Status delete_group_offsets(std::string_view group, std::set<std::string>& batch_offsets,
                                       rocksdb::WriteBatch& wb) const REQUIRES(mu_) {
    auto [lo, hi] = group_offset_range(group);
    for (auto it = batch_offsets.lower_bound(lo); it != batch_offsets.end() && *it < hi;) {
      if (rocksdb::Status s = wb.Delete(*it); !s.ok()) return s;
      it = batch_offsets.erase(it);
    }
    rocksdb::Status status;
    scan(lo, hi, [&](std::string_view key, std::string_view) {
      if (status.ok()) status = wb.Delete(rocksdb::Slice(key.data(), key.size()));
    });
    return status;
  }

  std::optional<std::string> get(const std::string& key) const {
    std::string value;
    const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (s.ok()) return value;
    if (!s.IsNotFound()) {
      common::logger("store")->error("meta store {}: read failed: {}", dir_, s.ToString());
    }
    return std::nullopt;
  }

  // Calls fn(key, value) for every key in [lo, hi).
  template <typename Fn>
  void scan(std::string_view lo, std::string_view hi, Fn&& fn) const {
    const rocksdb::Slice upper(hi.data(), hi.size());
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(rocksdb::Slice(lo.data(), lo.size())); it->Valid(); it->Next()) {
      fn(std::string_view(it->key().data(), it->key().size()),
         std::string_view(it->value().data(), it->value().size()));
    }
    if (!it->status().ok()) {
      common::logger("store")->error("meta store {}: scan failed: {}", dir_,
                                     it->status().ToString());
    }
  }

  // A stored value that does not decode is logged and treated as absent.
  template <typename T>
  std::optional<T> decoded(Result<T> r, std::string_view key) const {
    if (r.ok()) return std::move(r).value();
    common::logger("store")->error("meta store {}: undecodable value at '{}': {}", dir_,
                                   std::string(key), r.status().to_string());
    return std::nullopt;
  }

  const std::string dir_;
  const bool sync_;
  mutable common::Mutex mu_;  // serializes apply()
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

Result<std::unique_ptr<MetaStore>> open_rocksdb_meta_store(const std::string& dir, bool sync) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::io_error("meta store " + dir + ": create directory: " + ec.message());

  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 4 << 20;
  options.max_write_buffer_number = 2;
  options.target_file_size_base = 4 << 20;
  options.max_bytes_for_level_base = 32 << 20;
  options.max_open_files = 256;
  options.max_total_wal_size = 32 << 20;
  options.max_manifest_file_size = 8 << 20;
  options.keep_log_file_num = 3;
  options.max_log_file_size = 1 << 20;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(4 << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) {
    const std::string msg = s.ToString();
    // Another process (or another instance in this one) holds <dir>/LOCK.
    if (s.IsIOError() && msg.find("lock") != std::string::npos) {
      return Status::busy("meta store " + dir + " is already open elsewhere: " + msg);
    }
    return from_rocksdb(s, "meta store " + dir + ": open");
  }
  common::logger("store")->info("meta store {} opened (sync={})", dir, sync);
  return std::unique_ptr<MetaStore>(
      std::make_unique<RocksDbMetaStore>(dir, sync, std::unique_ptr<rocksdb::DB>(raw)));
}

}  // namespace rmq::store
