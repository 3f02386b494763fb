#pragma once
// Fakes shared by the auth tests: a clock that moves only when told, and a scratch directory.
#include "core/ids.hpp"
#include "core/time.hpp"

#include <filesystem>

namespace parley::auth::test_support {

class manual_clock final : public core::clock {
 public:
  explicit manual_clock(core::time_point start = core::from_epoch_ms(1'800'000'000'000))
      : now_(start) {}
  core::time_point now() const override { return now_; }
  void advance(std::chrono::seconds d) { now_ += d; }

 private:
  core::time_point now_;
};

// A fresh directory under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir()
      : path_(std::filesystem::temp_directory_path() / ("parley-auth-" + core::random_token(9))) {
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace parley::auth::test_support
