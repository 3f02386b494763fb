#pragma once
// The contract every adapter of the storage port (src/chat/storage.hpp) must pass, unchanged.
// An adapter joins by instantiating `store_contract` with a `store_adapter` whose
// `fresh_storage` gives each test its own empty storage (see sqlite_store_contract.cpp).
#include "core/time.hpp"
#include "store/domain_types.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>

namespace parley::store::contract {

// Opens an adapter over one storage. Every call opens the same storage: calling it again after
// close() is a restart.
using store_factory = std::function<std::unique_ptr<chat::storage>(const core::clock&)>;

struct store_adapter {
  std::string name;  // the test-name suffix: letters, digits and '_' only
  // Called once per test; the storage is empty at the factory's first call and is disposed of
  // when the factory is destroyed (after every store it opened).
  std::function<store_factory()> fresh_storage;
};

inline void PrintTo(const store_adapter& a, std::ostream* os) { *os << a.name; }

inline std::string adapter_name(const ::testing::TestParamInfo<store_adapter>& info) {
  return info.param.name;
}

// Moves only when told. Atomic because adapters read it on their writer threads.
class manual_clock final : public core::clock {
 public:
  core::time_point now() const override { return core::from_epoch_ms(ms_.load()); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> ms_{1'800'000'000'000};  // 2027-01-15, a whole millisecond
};

class store_contract : public ::testing::TestWithParam<store_adapter> {
 protected:
  // How long an asynchronous write may take before the test fails instead of hanging; generous
  // because sanitizer builds on a shared 2-core machine are slow.
  static constexpr std::chrono::seconds async_deadline{20};

  void SetUp() override {
    open_ = GetParam().fresh_storage();
    db_ = open_(clock_);
  }

  chat::storage& db() { return *db_; }
  // close() then open the same storage with a new adapter instance.
  void reopen() {
    db_->close();
    db_.reset();
    db_ = open_(clock_);
  }

  // Starts an asynchronous write and waits for its callback; a callback that never comes is a
  // failure (reported as an INTERNAL problem so the caller's assertions stop), not a hang.
  template <class T, class Start>
  static outcome<T> await(Start&& start) {
    auto done = std::make_shared<std::promise<outcome<T>>>();
    auto fut = done->get_future();
    start([done](outcome<T> r) { done->set_value(std::move(r)); });
    if (fut.wait_for(async_deadline) != std::future_status::ready) {
      ADD_FAILURE() << "no callback within " << async_deadline.count() << " s";
      return core::problem::internal("timed out");
    }
    return fut.get();
  }

  outcome<appended> append(std::int64_t chat_id, const std::string& user_id, std::string content,
                           std::optional<std::string> client_message_id = std::nullopt) {
    new_message m{chat_id, user_id, std::move(content), message_type::text,
                  std::move(client_message_id)};
    return await<appended>([&](callback<appended> cb) { db().append(m, std::move(cb)); });
  }
  outcome<status_change> set_status(std::int64_t chat_id, const std::string& message_id,
                                    const std::string& user_id, message_status s) {
    return await<status_change>([&](callback<status_change> cb) {
      db().set_status_if_forward(chat_id, message_id, user_id, s, std::move(cb));
    });
  }
  outcome<read_change> mark_read(std::int64_t chat_id, const std::string& user_id,
                                 const std::string& message_id) {
    return await<read_change>([&](callback<read_change> cb) {
      db().advance_read_marker(chat_id, user_id, message_id, std::move(cb));
    });
  }

  // Setup steps that must succeed; a failure throws, which fails the test with the problem text.
  user add_user(const std::string& username, const std::string& full_name = "");
  room add_room(const std::string& creator, const std::vector<std::string>& others = {},
                const std::string& name = "room");
  message send(std::int64_t chat_id, const std::string& user_id, std::string content = "hi");

  manual_clock clock_;
  store_factory open_;  // destroyed after db_: it owns the storage
  std::unique_ptr<chat::storage> db_;
};

}  // namespace parley::store::contract
