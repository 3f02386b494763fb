#include "media/local_store.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

#include <fstream>

namespace parley::media {
namespace {

namespace fs = std::filesystem;

const std::string key = "abcdefghijklmnopqrstuvwxyz.png";

TEST(media_local_store, stores_and_reads_back_bytes_and_type) {
  test_support::temp_dir d;
  local_store s(d.path());
  std::string bytes("\x89PNG\r\n\x1a\n\0binary\xff", 16);
  EXPECT_EQ(s.put(key, "image/png", bytes), local_store::put_result::created);
  auto o = s.stat(key);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->content_type, "image/png");
  EXPECT_EQ(o->size, bytes.size());
  EXPECT_EQ(o->sha256.size(), 64u);
  EXPECT_EQ(s.read(key, 0, bytes.size()), bytes);
  EXPECT_EQ(s.read(key, 4, 3), bytes.substr(4, 3));
  EXPECT_FALSE(s.stat("bcdefghijklmnopqrstuvwxyza.png"));
}

TEST(media_local_store, objects_are_write_once_but_a_retry_with_the_same_bytes_succeeds) {
  test_support::temp_dir d;
  local_store s(d.path());
  ASSERT_EQ(s.put(key, "image/png", "one"), local_store::put_result::created);
  EXPECT_EQ(s.put(key, "image/png", "one"), local_store::put_result::identical);
  EXPECT_EQ(s.put(key, "image/png", "two"), local_store::put_result::conflict);
  EXPECT_EQ(s.put(key, "image/gif", "one"), local_store::put_result::conflict);
  EXPECT_EQ(s.read(key, 0, 3), "one");
}

TEST(media_local_store, empty_objects_are_objects) {
  test_support::temp_dir d;
  local_store s(d.path());
  ASSERT_EQ(s.put(key, "text/plain", ""), local_store::put_result::created);
  ASSERT_TRUE(s.stat(key));
  EXPECT_EQ(s.stat(key)->size, 0u);
  EXPECT_EQ(s.read(key, 0, 0), "");
}

TEST(media_local_store, an_interrupted_upload_is_never_visible_and_is_swept_at_start) {
  test_support::temp_dir d;
  { local_store s(d.path()); }
  // What a crash mid-upload leaves: a partial file in the incoming directory.
  auto partial = d.path() / ".incoming" / ("x-" + key);
  std::ofstream(partial) << "parley-media 1\nimage/png\n";
  local_store s(d.path());
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_FALSE(s.stat(key));
  EXPECT_TRUE(fs::is_empty(d.path() / ".incoming"));
}

TEST(media_local_store, a_file_without_a_valid_header_is_not_an_object) {
  test_support::temp_dir d;
  local_store s(d.path());
  fs::create_directories(d.path() / key.substr(0, 2));
  std::ofstream(d.path() / key.substr(0, 2) / key) << "not a media file";
  EXPECT_FALSE(s.stat(key));
  EXPECT_FALSE(s.read(key, 0, 1));
}

}  // namespace
}  // namespace parley::media
