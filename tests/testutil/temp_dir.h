// TempDir: a fresh directory under $TMPDIR (or /tmp) removed with its contents on destruction.
#pragma once

#include <filesystem>
#include <string>

namespace rmq::testutil {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace rmq::testutil
