#include "broker/replication/metadata_log.h"

#include "broker/replication/dledger_commit_log.h"
#include "common/logging.h"

#include <charconv>
#include <cstring>

namespace rmq::broker {

using common::Result;
using common::Status;
using store::MetaBatch;

namespace {
constexpr char kMagic[4] = {'R', 'M', 'Q', 'M'};
constexpr uint8_t kMaxKind = static_cast<uint8_t>(MetaBatch::Op::Kind::kDelKv);
}  // namespace

std::string encode_meta_batch(const MetaBatch& batch) {
  common::Buffer b;
  b.put_bytes(kMagic, 4);
  b.put_u32(static_cast<uint32_t>(batch.ops().size()));
  for (const auto& op : batch.ops()) {
    b.put_u8(static_cast<uint8_t>(op.kind));
    b.put_u32(static_cast<uint32_t>(op.key.size()));
    b.put_string(op.key);
    b.put_u32(static_cast<uint32_t>(op.value.size()));
    b.put_string(op.value);
  }
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

Result<MetaBatch> decode_meta_batch(common::ByteView bytes) {
  common::Reader r(bytes);
  std::string magic;
  uint32_t count = 0;
  if (!r.read_string(4, &magic) || std::memcmp(magic.data(), kMagic, 4) != 0) {
    return Status::corruption("metadata entry: bad magic");
  }
  if (!r.read_u32(&count)) return Status::corruption("metadata entry: truncated count");
  MetaBatch batch;
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t kind = 0;
    uint32_t kn = 0;
    uint32_t vn = 0;
    MetaBatch::Op op{};
    if (!r.read_u8(&kind) || !r.read_u32(&kn) || !r.read_string(kn, &op.key) || !r.read_u32(&vn) ||
        !r.read_string(vn, &op.value)) {
      return Status::corruption("metadata entry: truncated op");
    }
    if (kind > kMaxKind) return Status::corruption("metadata entry: unknown op kind");
    op.kind = static_cast<MetaBatch::Op::Kind>(kind);
    batch.add(std::move(op));
  }
  return batch;
}

MetadataLog::MetadataLog(store::MetaStore& meta) : meta_(meta) {}

MetadataLog::MetadataLog(store::MetaStore& meta, DLedgerCommitLog& log) : meta_(meta), log_(&log) {
  int64_t applied = 0;
  if (auto v = meta_.kv(kAppliedKey)) {
    std::from_chars(v->data(), v->data() + v->size(), applied);
  }
  applied_.store(applied);
  log.set_metadata_applier(
      [this](dledger::LogIndex index, common::ByteView body) {
        auto batch = decode_meta_batch(body);
        if (!batch.ok()) {
          common::logger("broker")->error("metadata entry {} is unreadable, skipped: {}",
                                          index.value(), batch.status().to_string());
          return;
        }
        apply(index.value(), *batch);
      },
      dledger::LogIndex(applied));
}

void MetadataLog::apply(int64_t index, const MetaBatch& batch) {
  MetaBatch stored = batch;
  if (index > 0) stored.put_kv(kAppliedKey, std::to_string(index));
  if (Status st = meta_.apply(stored); !st.is_ok()) {
    // The in-memory tables still follow the log; a restart replays from the last applied index.
    common::logger("broker")->error("metadata batch {} not written to the meta store: {}", index,
                                    st.to_string());
  }
  if (index > 0) applied_.store(index, std::memory_order_release);
  for (const auto& l : listeners_) l(batch);
}

bool MetadataLog::writable() const {
  if (!read_only_reason_.empty()) return false;
  return log_ == nullptr || (log_->is_leader() && log_->node().serving());
}

void MetadataLog::apply_replicated(const MetaBatch& batch) {
  if (batch.empty() || log_ != nullptr) return;
  std::lock_guard lock(local_mu_);
  apply(0, batch);
}

void MetadataLog::submit(MetaBatch batch, Done done) {
  if (batch.empty()) {
    done(Status::ok());
    return;
  }
  if (!read_only_reason_.empty()) {
    done(Status::unavailable(read_only_reason_));
    return;
  }
  if (log_ == nullptr) {
    {
      std::lock_guard lock(local_mu_);
      apply(0, batch);
    }
    done(Status::ok());
    return;
  }
  log_->propose_metadata(encode_meta_batch(batch), std::move(done));
}

}  // namespace rmq::broker
