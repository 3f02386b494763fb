#include "media/policy.hpp"

#include <gtest/gtest.h>

#include <set>

namespace parley::media {
namespace {

TEST(media_policy, filenames_lose_their_directories_and_keep_their_extension) {
  EXPECT_EQ(sanitize_filename("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_filename("C:\\Users\\me\\photo.png"), "photo.png");
  EXPECT_EQ(sanitize_filename("holiday photo (1).JPG"), "holiday photo (1).JPG");
  EXPECT_EQ(sanitize_filename("caf\xC3\xA9 \xE1\x88\xB4.txt"), "caf\xC3\xA9 \xE1\x88\xB4.txt");
}

TEST(media_policy, filenames_lose_controls_bidi_overrides_quotes_and_invalid_utf8) {
  EXPECT_EQ(sanitize_filename("a\r\nb\t\x7f"
                              "c.pdf"),
            "abc.pdf");
  // U+202E RIGHT-TO-LEFT OVERRIDE would display "invoice\u202Efdp.exe" as "invoiceexe.pdf".
  EXPECT_EQ(sanitize_filename("invoice\xE2\x80\xAE"
                              "fdp.exe"),
            "invoicefdp.exe");
  EXPECT_EQ(sanitize_filename("say \"hi\" <b>?.txt"), "say _hi_ _b__.txt");
  EXPECT_EQ(sanitize_filename("bad\xFF\xC0\x80utf8.txt"), "bad___utf8.txt");
  EXPECT_EQ(sanitize_filename("\xED\xA0\x80.txt"), "___.txt") << "a UTF-16 surrogate is not UTF-8";
}

TEST(media_policy, filenames_never_come_back_empty_or_hidden) {
  EXPECT_EQ(sanitize_filename(""), "file");
  EXPECT_EQ(sanitize_filename("..."), "file");
  EXPECT_EQ(sanitize_filename("dir/"), "file");
  EXPECT_EQ(sanitize_filename(".bashrc"), "bashrc");
  EXPECT_EQ(sanitize_filename("  name.txt. "), "name.txt");
}

TEST(media_policy, long_filenames_are_cut_on_a_code_point_keeping_the_extension) {
  std::string stem;
  for (int i = 0; i < 150; ++i) stem += "\xC3\xA9";  // 300 bytes of é
  auto out = sanitize_filename(stem + ".png");
  EXPECT_LE(out.size(), max_filename_bytes);
  EXPECT_TRUE(out.ends_with(".png")) << out;
  auto body = out.substr(0, out.size() - 4);
  EXPECT_EQ(body.size() % 2, 0u) << "no half characters";
  EXPECT_EQ(sanitize_filename(std::string(500, 'x')).size(), max_filename_bytes);
}

TEST(media_policy, active_content_and_executables_are_forbidden) {
  for (std::string_view t :
       {"text/html", "application/xhtml+xml", "image/svg+xml", "application/xml", "text/xml",
        "application/javascript", "text/javascript", "application/x-msdownload", "application/x-sh",
        "application/octet-stream", "application/java-archive",
        "application/vnd.microsoft.portable-executable", "application/wasm", "text/css",
        "multipart/form-data", "text/x-python"})
    EXPECT_TRUE(is_forbidden_type(t)) << t;
  for (std::string_view t :
       {"image/png", "application/pdf", "text/plain", "application/zip", "video/mp4",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
    EXPECT_FALSE(is_forbidden_type(t)) << t;
  EXPECT_THROW(policy({{"image/svg+xml", 10}}), std::invalid_argument);
  EXPECT_THROW(policy({{"Image/PNG", 10}}), std::invalid_argument);
  EXPECT_THROW(policy({{"text/plain; charset=utf-8", 10}}), std::invalid_argument);
}

TEST(media_policy, finds_exact_types_and_knows_the_largest_limit) {
  policy p({{"image/png", 100}, {"application/pdf", 300}});
  ASSERT_TRUE(p.find("image/png"));
  EXPECT_EQ(p.find("image/png")->max_bytes, 100u);
  EXPECT_FALSE(p.find("image/PNG"));
  EXPECT_FALSE(p.find("image/gif"));
  EXPECT_EQ(p.largest_max_bytes(), 300u);
}

TEST(media_policy, keys_are_128_random_bits_plus_the_types_extension) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto k = new_key("image/png", "whatever.gif");
    EXPECT_TRUE(is_valid_key(k)) << k;
    EXPECT_EQ(k.size(), 26u + 4u) << k;
    EXPECT_TRUE(k.ends_with(".png")) << "the signed type decides, not the filename: " << k;
    EXPECT_TRUE(seen.insert(k).second);
  }
  EXPECT_TRUE(new_key("application/x-custom", "data.Tar7").ends_with(".tar7"));
  EXPECT_EQ(new_key("application/x-custom", "noext").size(), 26u);
  EXPECT_EQ(new_key("application/x-custom", "a.sh;rm").size(), 26u) << "odd extensions are dropped";
  EXPECT_EQ(type_for_extension(key_extension(new_key("application/pdf", "x"))), "application/pdf");
}

TEST(media_policy, invalid_keys_are_recognised) {
  std::string good = "abcdefghijklmnopqrstuvwxyz";
  EXPECT_TRUE(is_valid_key(good));
  EXPECT_TRUE(is_valid_key(good + ".png"));
  for (const std::string& bad :
       std::vector<std::string>{"", good.substr(1), "ABCDEFGHIJKLMNOPQRSTUVWXYZ", good + ".",
                                good + ".PNG", good + ".png/x", good + "..", good + ".abcdefghijk",
                                "../" + good, good + "/x", "abcdefghijklmnopqrstuvwxy1"})
    EXPECT_FALSE(is_valid_key(bad)) << bad;
}

}  // namespace
}  // namespace parley::media
