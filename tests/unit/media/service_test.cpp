// The media service end to end without sockets: presign, PUT through the returned URL, GET/HEAD
// with ranges and caching headers, refusals, the rate limit, and cluster-mode URLs.
#include "media/service.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "support/temp_dir.hpp"

#include <thread>

namespace parley::media {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class manual_clock final : public core::clock {
 public:
  core::time_point now() const override { return t; }
  core::time_point t = *sigv4::parse_amz_date("20260115T101500Z");
};

std::vector<type_limit> types() {
  return {{"image/png", 1000}, {"application/pdf", 1000}, {"text/plain", 50}};
}

struct fixture : ::testing::Test {
  test_support::temp_dir dir;
  manual_clock clock;
  service svc{{dir.path(), "", 900s, 600s, types(), 30, std::nullopt}, clock};

  json::object presign_ok(std::string body, std::string user = "u1") {
    auto r = svc.presign(user, body, "127.0.0.1:8080");
    EXPECT_TRUE(r) << body << ": " << (r ? "" : r.error().message);
    return r ? r->as_object() : json::object{};
  }
  static std::string str(const json::object& o, const char* k) {
    return std::string(o.at(k).as_string());
  }
  // The request-target of an absolute parley URL.
  static std::string target_of(const std::string& url) { return url.substr(url.find('/', 8)); }

  http::response send(std::string method, std::string target,
                      std::vector<std::pair<std::string, std::string>> headers,
                      std::string body = "") {
    http::request req;
    req.method = std::move(method);
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    req.headers = std::move(headers);
    req.headers.emplace_back("host", "127.0.0.1:8080");
    req.body = std::move(body);
    return svc.handle_object(req);
  }
  http::response put(const std::string& url, std::string type, std::string body) {
    auto len = std::to_string(body.size());
    return send("PUT", target_of(url), {{"content-type", type}, {"content-length", len}},
                std::move(body));
  }
  http::response get(const std::string& url,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    return send("GET", target_of(url), std::move(headers));
  }
};

std::string header(const http::response& r, std::string_view name) {
  for (auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST_F(fixture, presign_then_put_then_get_round_trips_the_bytes) {
  auto p = presign_ok(R"({"filename":"cat.png","contentType":"image/png","size":5})");
  EXPECT_EQ(str(p, "filename"), "cat.png");
  auto view = str(p, "viewUrl");
  EXPECT_TRUE(view.starts_with("http://127.0.0.1:8080/media/")) << view;
  EXPECT_TRUE(view.ends_with(".png")) << view;
  auto upload = str(p, "uploadUrl");
  EXPECT_NE(upload.find("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"),
            std::string::npos)
      << upload;

  EXPECT_EQ(get(view).status, 404) << "nothing before the upload";
  auto up = put(upload, "image/png", "hello");
  EXPECT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(header(up, "ETag").size(), 66u);
  auto r = get(view);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.content_type, "image/png");
  EXPECT_EQ(header(r, "ETag"), header(up, "ETag"));
  EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(r, "Content-Disposition"), "") << "images are shown inline";
  EXPECT_EQ(put(upload, "image/png", "hello").status, 200) << "a retried identical upload succeeds";
}

TEST_F(fixture, documents_are_served_as_attachments) {
  auto p = presign_ok(R"({"filename":"doc.pdf","contentType":"application/pdf"})");
  ASSERT_EQ(put(str(p, "uploadUrl"), "application/pdf", "%PDF-1.4").status, 200);
  EXPECT_EQ(header(get(str(p, "viewUrl")), "Content-Disposition"), "attachment");
}

TEST_F(fixture, tampered_expired_retyped_and_resized_uploads_are_refused_with_s3_errors) {
  auto p = presign_ok(R"({"filename":"a.png","contentType":"image/png","size":3})");
  auto url = str(p, "uploadUrl");
  auto sig = url.find("X-Amz-Signature=") + 16;
  auto forged = url;
  forged[sig] = forged[sig] == '0' ? '1' : '0';
  auto r = put(forged, "image/png", "abc");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos) << r.body;
  EXPECT_EQ(r.content_type, "application/xml");
  EXPECT_EQ(put(url, "text/plain", "abc").status, 403);
  EXPECT_EQ(put(url, "image/png", "abcd").status, 403);
  auto unsigned_put =
      send("PUT", target_of(str(p, "viewUrl")), {{"content-type", "image/png"}}, "abc");
  EXPECT_EQ(unsigned_put.status, 403);
  EXPECT_NE(unsigned_put.body.find("AccessDenied"), std::string::npos);

  clock.t += 901s;
  r = put(url, "image/png", "abc");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>AccessDenied</Code>"), std::string::npos) << r.body;
  EXPECT_EQ(get(str(p, "viewUrl")).status, 404) << "nothing was stored";
}

TEST_F(fixture, without_a_size_the_types_maximum_applies) {
  auto p = presign_ok(R"({"filename":"notes.txt","contentType":"text/plain"})");
  auto r = put(str(p, "uploadUrl"), "text/plain", std::string(51, 'x'));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>EntityTooLarge</Code>"), std::string::npos) << r.body;
  EXPECT_EQ(put(str(p, "uploadUrl"), "text/plain", std::string(50, 'x')).status, 200);
}

TEST_F(fixture, presign_validates_its_input) {
  for (std::string body : {R"({"contentType":"image/png"})", R"({"filename":"a.png"})",
                           R"({"filename":"","contentType":"image/png"})",
                           R"({"filename":"a.html","contentType":"text/html"})",
                           R"({"filename":"a.gif","contentType":"image/gif"})",
                           R"({"filename":"a.png","contentType":"image/png","size":1001})",
                           R"({"filename":"a.png","contentType":"image/png","size":-1})",
                           R"({"filename":"a.png","contentType":"image/png","size":"big"})",
                           R"({"filename":7,"contentType":"image/png"})", R"([])", R"(nope)"}) {
    auto r = svc.presign("u1", body, "127.0.0.1:8080");
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().status(), 400) << body;
  }
  auto no_host =
      svc.presign("u1", R"({"filename":"a.png","contentType":"image/png"})", std::nullopt);
  ASSERT_FALSE(no_host);
  EXPECT_EQ(no_host.error().errors.count("host"), 1u);
  auto upper = presign_ok(R"({"filename":"../x/A.PNG","contentType":"IMAGE/PNG"})");
  EXPECT_EQ(str(upper, "filename"), "A.PNG");
  EXPECT_NE(str(upper, "uploadUrl").find("X-Amz-SignedHeaders=content-type%3Bhost&"),
            std::string::npos);
}

TEST_F(fixture, presigns_are_rate_limited_per_user_per_minute) {
  const std::string body = R"({"filename":"a.png","contentType":"image/png"})";
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(svc.presign("u1", body, "h:1")) << i;
  auto r = svc.presign("u1", body, "h:1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status(), 429);
  EXPECT_TRUE(svc.presign("u2", body, "h:1")) << "another user is not affected";
  clock.t += 60s;
  EXPECT_TRUE(svc.presign("u1", body, "h:1"));
}

TEST_F(fixture, ranges_heads_and_conditional_gets) {
  auto p = presign_ok(R"({"filename":"a.txt","contentType":"text/plain","size":10})");
  ASSERT_EQ(put(str(p, "uploadUrl"), "text/plain", "0123456789").status, 200);
  auto view = str(p, "viewUrl");
  auto r = get(view, {{"range", "bytes=2-4"}});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "234");
  EXPECT_EQ(header(r, "Content-Range"), "bytes 2-4/10");
  EXPECT_EQ(get(view, {{"range", "bytes=7-"}}).body, "789");
  EXPECT_EQ(get(view, {{"range", "bytes=-2"}}).body, "89");
  EXPECT_EQ(get(view, {{"range", "bytes=8-100"}}).body, "89");
  r = get(view, {{"range", "bytes=10-"}});
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(header(r, "Content-Range"), "bytes */10");
  EXPECT_EQ(get(view, {{"range", "bytes=0-1,4-5"}}).status, 200)
      << "several ranges: the whole object";
  EXPECT_EQ(get(view, {{"range", "bytes=5-2"}}).status, 200) << "an invalid range is ignored";
  EXPECT_EQ(get(view, {{"range", "bytes=1-2"}, {"if-range", "\"stale\""}}).status, 200);

  auto etag = header(get(view), "ETag");
  r = get(view, {{"if-none-match", etag}});
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());

  auto head = send("HEAD", target_of(view), {});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body.size(), 10u) << "the transport derives Content-Length from the body";
}

TEST_F(fixture, unknown_or_malformed_keys_are_404_and_other_methods_405) {
  EXPECT_EQ(get("http://h/media/").status, 404);
  EXPECT_EQ(get("http://h/media/../keys/x").status, 404);
  EXPECT_EQ(get("http://h/media/abcdefghijklmnopqrstuvwxyz.png").status, 404);
  auto r = send("DELETE", "/media/abcdefghijklmnopqrstuvwxyz.png", {});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET, HEAD, PUT");
}

TEST(media_service, public_base_url_replaces_the_host_header) {
  test_support::temp_dir dir;
  manual_clock clock;
  service svc({dir.path(), "https://chat.example.com", 900s, 600s, types(), 30, std::nullopt},
              clock);
  auto r = svc.presign("u", R"({"filename":"a.png","contentType":"image/png"})", "internal:8080");
  ASSERT_TRUE(r);
  EXPECT_TRUE(
      std::string(r->at("uploadUrl").as_string()).starts_with("https://chat.example.com/media/"));
  EXPECT_TRUE(
      std::string(r->at("viewUrl").as_string()).starts_with("https://chat.example.com/media/"));
}

TEST(media_service, misconfiguration_stops_the_server) {
  test_support::temp_dir dir;
  manual_clock clock;
  EXPECT_THROW(
      service({dir.path(), "", 900s, 600s, {{"image/svg+xml", 10}}, 30, std::nullopt}, clock),
      std::invalid_argument);
  EXPECT_THROW(
      service({dir.path(), "https://x.example/chat", 900s, 600s, types(), 30, std::nullopt}, clock),
      std::invalid_argument);
  EXPECT_THROW(service({dir.path(), "", 8 * 24h, 600s, types(), 30, std::nullopt}, clock),
               std::invalid_argument);
}

// The PUT a client makes through an upload URL minted for host h:1 and image/png.
http::request png_put(const std::string& upload_url) {
  http::request req;
  req.method = "PUT";
  req.target = upload_url.substr(upload_url.find('/', 8));
  req.path = req.target.substr(0, req.target.find('?'));
  req.headers = {{"host", "h:1"}, {"content-type", "image/png"}};
  req.body = "png";
  return req;
}

TEST(media_service, the_signing_key_survives_a_restart) {
  test_support::temp_dir dir;
  manual_clock clock;
  std::string upload;
  {
    service svc({dir.path(), "", 900s, 600s, types(), 30, std::nullopt}, clock);
    upload =
        std::string(svc.presign("u", R"({"filename":"a.png","contentType":"image/png"})", "h:1")
                        ->at("uploadUrl")
                        .as_string());
  }
  EXPECT_EQ(fs::status(dir.path() / ".signing-key").permissions() & fs::perms::others_read,
            fs::perms::none);
  service again({dir.path(), "", 900s, 600s, types(), 30, std::nullopt}, clock);
  EXPECT_EQ(again.handle_object(png_put(upload)).status, 200);
}

// Cluster nodes sharing one media directory, started at once: one secret between them, so an
// upload URL minted by any node is accepted by every node.
TEST(media_service, nodes_starting_together_on_a_shared_directory_share_one_signing_key) {
  test_support::temp_dir dir;
  manual_clock clock;
  constexpr int nodes = 8;
  std::vector<std::unique_ptr<service>> svcs(nodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i)
    threads.emplace_back([&, i] {
      svcs[i] = std::make_unique<service>(
          options{dir.path(), "", 900s, 600s, types(), 30, std::nullopt}, clock);
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < nodes; ++i) {
    std::string upload(svcs[i]->presign("u", R"({"filename":"a.png","contentType":"image/png"})",
                                        "h:1")
                           ->at("uploadUrl")
                           .as_string());
    EXPECT_EQ(svcs[(i + 1) % nodes]->handle_object(png_put(upload)).status, 200)
        << "minted by node " << i;
  }
  for (auto& e : fs::directory_iterator(dir.path()))
    EXPECT_NE(e.path().extension(), ".tmp") << "a temporary file was left: " << e.path();
}

struct cluster : ::testing::Test {
  test_support::temp_dir dir;
  manual_clock clock;
  service svc{{dir.path(), "", 900s, 600s, types(), 30,
               s3_options{"http://127.0.0.1:7070", "media", "us-east-1", "ak", "sk", true}},
              clock};
};

TEST_F(cluster, upload_urls_point_at_the_store_and_need_a_size) {
  auto r =
      svc.presign("u", R"({"filename":"a.png","contentType":"image/png","size":3})", "parley:8080");
  ASSERT_TRUE(r);
  auto upload = std::string(r->at("uploadUrl").as_string());
  EXPECT_TRUE(upload.starts_with("http://127.0.0.1:7070/media/")) << upload;
  EXPECT_NE(upload.find("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"),
            std::string::npos);
  EXPECT_TRUE(std::string(r->at("viewUrl").as_string()).starts_with("http://parley:8080/media/"));
  auto no_size =
      svc.presign("u", R"({"filename":"a.png","contentType":"image/png"})", "parley:8080");
  ASSERT_FALSE(no_size);
  EXPECT_EQ(no_size.error().errors.count("size"), 1u);
  EXPECT_FALSE(fs::exists(dir.path() / ".incoming")) << "no local store in cluster mode";
}

TEST_F(cluster, views_redirect_to_a_presigned_get_that_is_stable_within_half_its_lifetime) {
  http::request req;
  req.method = "GET";
  req.target = req.path = "/media/abcdefghijklmnopqrstuvwxyz.png";
  auto first = svc.handle_object(req);
  EXPECT_EQ(first.status, 302);
  auto location = header(first, "Location");
  EXPECT_TRUE(location.starts_with("http://127.0.0.1:7070/media/abcdefghijklmnopqrstuvwxyz.png?"))
      << location;
  EXPECT_EQ(location.find("response-content-disposition"), std::string::npos) << "images inline";
  clock.t += 10s;
  EXPECT_EQ(header(svc.handle_object(req), "Location"), location);
  clock.t += 300s;
  EXPECT_NE(header(svc.handle_object(req), "Location"), location);

  req.target = req.path = "/media/abcdefghijklmnopqrstuvwxyz.pdf";
  EXPECT_NE(
      header(svc.handle_object(req), "Location").find("response-content-disposition=attachment"),
      std::string::npos);
  req.method = "PUT";
  EXPECT_EQ(svc.handle_object(req).status, 405);
}

}  // namespace
}  // namespace parley::media
