#include "chat/memory_username_filter.hpp"

#include <gtest/gtest.h>

namespace parley::chat {
namespace {

TEST(memory_username_filter, names_stored_before_start_are_taken) {
  memory_username_filter f({"alice", "bob"});
  EXPECT_TRUE(f.maybe_taken("alice"));
  EXPECT_TRUE(f.maybe_taken("bob"));
}

TEST(memory_username_filter, a_name_is_taken_once_added_and_case_matters) {
  memory_username_filter f({});
  EXPECT_FALSE(f.maybe_taken("carol"));
  f.add("carol");
  EXPECT_TRUE(f.maybe_taken("carol"));
  EXPECT_FALSE(f.maybe_taken("Carol"));
}

}  // namespace
}  // namespace parley::chat
