#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace parley::http {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, std::string_view content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << content;
}

class static_files_test : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("parley-static-" + std::to_string(std::random_device{}()));
    root_ = base_ / "web";
    write_file(root_ / "index.html", "<html>app</html>");
    write_file(root_ / "main-ABC123.js", "console.log(1)");
    write_file(root_ / "assets" / "logo.svg", "<svg/>");
    write_file(root_ / "docs" / "index.html", "<html>docs</html>");
    write_file(base_ / "secret.txt", "secret");
    fs::create_symlink(base_ / "secret.txt", root_ / "leak.txt");
    fs::create_symlink(root_ / "assets" / "logo.svg", root_ / "alias.svg");
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_, root_;
};

TEST_F(static_files_test, serves_index_for_the_root_with_revalidation) {
  static_files files(root_);
  auto f = files.resolve("/");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->path.filename(), "index.html");
  EXPECT_EQ(f->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(f->cache_control, "no-cache");
  EXPECT_EQ(f->size, 16u);
  EXPECT_FALSE(f->etag.empty());
}

TEST_F(static_files_test, caches_hashed_assets_as_immutable) {
  static_files files(root_);
  auto f = files.resolve("/main-ABC123.js");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(f->cache_control, "public, max-age=31536000, immutable");
}

TEST_F(static_files_test, falls_back_to_index_for_client_routes_only) {
  static_files files(root_);
  auto route = files.resolve("/rooms/42");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->path, fs::canonical(root_ / "index.html"));
  EXPECT_FALSE(files.resolve("/missing.js"));
  EXPECT_FALSE(files.resolve("/assets/missing.png"));
}

TEST_F(static_files_test, serves_a_directory_index) {
  static_files files(root_);
  auto f = files.resolve("/docs");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->path, fs::canonical(root_ / "docs" / "index.html"));
  EXPECT_EQ(f->content_type, "text/html; charset=utf-8");
}

TEST_F(static_files_test, never_leaves_the_root) {
  static_files files(root_);
  EXPECT_FALSE(files.resolve("/../secret.txt"));
  EXPECT_FALSE(files.resolve("/assets/../../secret.txt"));
  EXPECT_FALSE(files.resolve("/./index.html"));
  EXPECT_FALSE(files.resolve("/..\\secret.txt"));
  EXPECT_FALSE(files.resolve(std::string_view("/index.html\0.js", 15)));
  EXPECT_FALSE(files.resolve("relative.txt"));
  EXPECT_FALSE(files.resolve("/leak.txt"));  // symlink to a file outside the root
}

TEST_F(static_files_test, follows_symlinks_that_stay_inside) {
  static_files files(root_);
  auto f = files.resolve("/alias.svg");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->content_type, "image/svg+xml");
}

TEST_F(static_files_test, refuses_a_root_that_is_not_a_directory) {
  EXPECT_THROW(static_files(base_ / "secret.txt"), std::runtime_error);
  EXPECT_THROW(static_files(base_ / "nowhere"), std::runtime_error);
}

TEST(static_file_names, recognises_bundler_hashes) {
  EXPECT_TRUE(is_hashed_asset("main-ABC123.js"));
  EXPECT_TRUE(is_hashed_asset("chunk-2XJSZQ7L.js"));
  EXPECT_TRUE(is_hashed_asset("chunk-ABCDEFGH.js"));
  EXPECT_TRUE(is_hashed_asset("styles.3f2a1b4c5d6e7f80.css"));
  EXPECT_FALSE(is_hashed_asset("index.html"));
  EXPECT_FALSE(is_hashed_asset("polyfills-legacy.js"));
  EXPECT_FALSE(is_hashed_asset("favicon.ico"));
  EXPECT_FALSE(is_hashed_asset("main-A1.js"));
  EXPECT_FALSE(is_hashed_asset("main-ABC_123.js"));
}

TEST(static_file_names, maps_extensions_to_content_types) {
  EXPECT_EQ(content_type_for("a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("a.png"), "image/png");
  EXPECT_EQ(content_type_for("favicon.ico"), "image/x-icon");
  EXPECT_EQ(content_type_for("a.json"), "application/json");
  EXPECT_EQ(content_type_for("f.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("robots.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("site.webmanifest"), "application/manifest+json");
  EXPECT_EQ(content_type_for("blob"), "application/octet-stream");
}

}  // namespace
}  // namespace parley::http
