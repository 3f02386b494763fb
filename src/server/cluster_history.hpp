#pragma once
// The Redis bus's view of history (cluster::room_history) on the node's repositories: reads run
// on the worker pool, never on the bus's thread; a failed read answers ok = false.
#include "chat/storage.hpp"
#include "chat/views.hpp"
#include "cluster/redis_bus.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>

namespace parley::server {

class cluster_history final : public cluster::room_history {
 public:
  explicit cluster_history(boost::asio::thread_pool& workers) : workers_(workers) {}
  // Set before the node accepts connections (storage opens after the bus).
  void use(chat::repositories& repo) { repo_ = &repo; }

  void newest(std::int64_t chat_id, done_fn done) override {
    run(std::move(done), [this, chat_id] {
      auto p = repo_->history_page(chat_id, 0, 1);
      return entries(p.content);
    });
  }
  void after(std::int64_t chat_id, std::string after_id, int limit, done_fn done) override {
    run(std::move(done), [this, chat_id, after_id = std::move(after_id), limit] {
      if (after_id.empty()) {  // from the room's first: the room is young (see the bus)
        auto p = repo_->history_page(chat_id, 0, limit);
        std::reverse(p.content.begin(), p.content.end());
        return entries(p.content);
      }
      auto s = repo_->history_after(chat_id, after_id, limit);
      if (!s) throw std::runtime_error(s.error().message);
      return entries(s->content);
    });
  }

 private:
  static std::vector<entry> entries(const std::vector<chat::message>& ms) {
    std::vector<entry> out;
    out.reserve(ms.size());
    for (auto& m : ms) out.push_back({m.seq, m.message_id, chat::views::message_text(m)});
    return out;
  }
  template <class Read>
  void run(done_fn done, Read read) {
    boost::asio::post(workers_, [done = std::move(done), read = std::move(read)] {
      std::vector<entry> out;
      try {
        out = read();
      } catch (const std::exception& e) {
        spdlog::warn("cluster: a history read for in-order delivery failed: {}", e.what());
        return done(false, {});
      }
      done(true, std::move(out));
    });
  }

  boost::asio::thread_pool& workers_;
  chat::repositories* repo_ = nullptr;
};

}  // namespace parley::server
