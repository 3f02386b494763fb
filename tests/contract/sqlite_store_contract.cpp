// Runs the storage contract against the embedded adapter, each test on a fresh file.
#include "support/temp_dir.hpp"
#include "store_contract.hpp"

#include "core/ids.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <filesystem>

namespace parley::store::contract {
namespace {

using parley::test_support::temp_dir;

store_factory fresh_sqlite_file() {
  auto dir = std::make_shared<temp_dir>();
  return [dir](const core::clock& clock) -> std::unique_ptr<store> {
    return std::make_unique<sqlite::sqlite_store>(
        sqlite::options{.file = dir->path() / "parley.db"}, clock);
  };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(sqlite, store_contract,
                         ::testing::Values(store_adapter{"sqlite", fresh_sqlite_file}),
                         adapter_name);

}  // namespace parley::store::contract
