#include "store/retention.h"

#include "common/logging.h"

#include <ctime>
#include <sstream>

namespace rmq::store {

RetentionService::RetentionService(const StoreConfig& config, FileSystem& fs, common::Clock& clock,
                                   LocalCommitLog& log, ConsumeQueueTable& cqs, IndexService& index,
                                   ReputService& reput)
    : config_(config), fs_(fs), clock_(clock), log_(log), cqs_(cqs), index_(index), reput_(reput) {
  std::stringstream ss(config.delete_when);
  std::string hour;
  while (std::getline(ss, hour, ';')) {
    try {
      const int h = std::stoi(hour);
      if (h >= 0 && h < 24) delete_hours_.insert(h);
    } catch (...) {
      common::logger("store")->warn("deleteWhen: ignoring '{}'", hour);
    }
  }
}

bool RetentionService::is_delete_hour() const {
  const time_t secs = static_cast<time_t>(clock_.wall_ms() / 1000);
  tm local{};
  localtime_r(&secs, &local);
  return delete_hours_.count(local.tm_hour) > 0;
}

std::optional<int64_t> RetentionService::first_store_time(int64_t segment_start) {
  auto rec = log_.read_record(segment_start);
  if (!rec.ok()) return std::nullopt;
  auto msg = decode_message(rec->bytes, /*check_crc=*/false);
  if (!msg.ok()) return std::nullopt;
  return msg->store_timestamp;
}

RetentionService::Pass RetentionService::run_once() {
  Pass pass;
  auto usage = fs_.disk_usage(config_.store_path_root_dir);
  if (usage.ok()) pass.disk_used_ratio = usage->used_ratio();
  pass.disk_full = pass.disk_used_ratio > config_.disk_space_warning_level_ratio;
  log_.set_disk_full(pass.disk_full);
  if (pass.disk_full != was_full_) {
    if (pass.disk_full) {
      common::logger("store")->error(
          "disk use {:.1f}% is above the {:.0f}% limit: refusing writes until space is freed",
          pass.disk_used_ratio * 100, config_.disk_space_warning_level_ratio * 100);
    } else {
      common::logger("store")->info("disk use {:.1f}%: accepting writes again",
                                    pass.disk_used_ratio * 100);
    }
    was_full_ = pass.disk_full;
  }

  const bool space_pressure =
      pass.disk_used_ratio > static_cast<double>(config_.disk_max_used_space_ratio) / 100.0;
  pass.forced = pass.disk_used_ratio > config_.disk_space_clean_forcibly_ratio;
  pass.deleting = manual_.exchange(false) || is_delete_hour() || space_pressure || pass.forced;
  if (pass.deleting) {
    const int64_t now = clock_.wall_ms();
    const int64_t reserved_ms =
        static_cast<int64_t>(config_.file_reserved_time_hours) * 3600 * 1000;
    const int64_t dispatched = reput_.reput_offset();
    const int64_t size = static_cast<int64_t>(log_.files().file_size());
    pass.commit_log_files_deleted = log_.files().delete_leading_if(
        [&](const MappedFile& seg) {
          const int64_t next = seg.start_offset() + size;
          if (next > dispatched) return false;  // never delete what consumers have not indexed
          if (pass.forced) return true;
          const auto ts = first_store_time(next);
          return ts && *ts + reserved_ms < now;
        },
        10);
    if (pass.commit_log_files_deleted > 0) {
      common::logger("store")->info(
          "retention: deleted {} commit log segment(s); min offset now {}",
          pass.commit_log_files_deleted, log_.min_offset());
    }
  }
  const int64_t min_phys = log_.min_offset();
  for (const auto& cq : cqs_.all())
    pass.consume_queue_files_deleted += cq->delete_expired(min_phys);
  pass.index_files_deleted = index_.delete_expired(min_phys);
  return pass;
}

}  // namespace rmq::store
