#pragma once
// Fakes shared by the auth tests: a clock that moves only when told, and a scratch directory.
#include "support/temp_dir.hpp"
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

using parley::test_support::temp_dir;

}  // namespace parley::auth::test_support
