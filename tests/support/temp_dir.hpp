#pragma once
// A fresh directory under the system temp dir, removed with everything in it. Shared by every
// test that needs files (stores, key rings, configs).
#include "core/ids.hpp"

#include <filesystem>
#include <string>
#include <system_error>

namespace parley::test_support {

class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "parley-test-")
      : path_(std::filesystem::temp_directory_path() / (prefix + core::random_token(9))) {
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

}  // namespace parley::test_support
