#include "core/problem.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace parley::core {
namespace {

constexpr auto last = static_cast<int>(errc::unavailable);

TEST(problem, every_code_has_its_own_name_and_an_error_status) {
  std::set<std::string_view> names;
  for (int i = 0; i <= last; ++i) {
    auto c = static_cast<errc>(i);
    EXPECT_TRUE(names.insert(code_name(c)).second) << "name used twice: " << code_name(c);
    EXPECT_GE(http_status(c), 400) << code_name(c);
    EXPECT_LT(http_status(c), 600) << code_name(c);
  }
}

TEST(problem, the_factories_pick_the_codes_the_edges_document) {
  EXPECT_EQ(problem::bad_request("x").status(), 400);
  EXPECT_EQ(problem::bad_request("x").code, errc::invalid_body);
  EXPECT_EQ(problem::unauthorized().status(), 401);
  EXPECT_EQ(problem::not_found("x", errc::not_member).status(), 404);
  EXPECT_EQ(code_name(problem::not_found("x", errc::not_member).code), "NOT_MEMBER");
  EXPECT_EQ(problem::forbidden("x", errc::forbidden_status).status(), 403);
  EXPECT_EQ(problem::rate_limited().status(), 429);
  EXPECT_EQ(problem::internal().status(), 500);
  EXPECT_EQ(problem::unavailable().status(), 503);
  EXPECT_EQ(code_name(problem::unavailable().code), "UNAVAILABLE");
}

// docs/error-handling.md is the operator's and client author's table: it must name every code
// with the HTTP status the server really sends.
TEST(problem, docs_error_handling_lists_every_code_with_its_status) {
  std::ifstream f(PARLEY_ERROR_HANDLING_DOC);
  ASSERT_TRUE(f) << "cannot read " << PARLEY_ERROR_HANDLING_DOC;
  std::stringstream text;
  text << f.rdbuf();
  const std::string doc = text.str();
  for (int i = 0; i <= last; ++i) {
    auto c = static_cast<errc>(i);
    std::regex row("\\| `" + std::string(code_name(c)) + "` \\| " +
                   std::to_string(http_status(c)) + " \\|");
    EXPECT_TRUE(std::regex_search(doc, row))
        << "docs/error-handling.md has no row \"| `" << code_name(c) << "` | "
        << http_status(c) << " |\"";
  }
}

}  // namespace
}  // namespace parley::core
