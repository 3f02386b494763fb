// Runs the storage contract against the embedded adapter, each test on a fresh file.
#include "store_contract.hpp"

#include "core/ids.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <filesystem>

namespace parley::store::contract {
namespace {

// A fresh directory under the system temp dir, removed with the database and its WAL files.
class temp_dir {
 public:
  temp_dir()
      : path_(std::filesystem::temp_directory_path() / ("parley-store-" + core::random_token(9))) {
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

store_factory fresh_sqlite_file() {
  auto dir = std::make_shared<temp_dir>();
  return [dir](const core::clock& clock) -> std::unique_ptr<store> {
    return std::make_unique<sqlite::sqlite_store>(sqlite::options{.file = dir->path() / "parley.db"},
                                                  clock);
  };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(sqlite, store_contract,
                         ::testing::Values(store_adapter{"sqlite", fresh_sqlite_file}), adapter_name);

}  // namespace parley::store::contract
