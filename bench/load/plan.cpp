#include "load/plan.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <stdexcept>
#include <unordered_set>

namespace parley::bench {

namespace json = boost::json;

std::vector<user_entry> load_users(const std::string& file, std::size_t count) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read users file " + file);
  std::vector<user_entry> out;
  out.reserve(count);
  for (std::string line; out.size() < count && std::getline(in, line);) {
    if (line.empty()) continue;
    auto v = json::parse(line).as_object();
    user_entry u;
    u.token = json::value_to<std::string>(v.at("accessToken"));
    for (auto& r : v.at("rooms").as_array()) u.rooms.push_back(r.to_number<std::int64_t>());
    out.push_back(std::move(u));
  }
  if (out.size() < count)
    throw std::runtime_error(file + " has " + std::to_string(out.size()) + " users, " +
                             std::to_string(count) + " needed");
  return out;
}

std::vector<std::uint8_t> choose_senders(const std::vector<user_entry>& users, sender_rule rule) {
  std::vector<std::uint8_t> s(users.size(), 0);
  if (rule == sender_rule::none) return s;
  std::unordered_set<std::int64_t> seen;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (users[i].rooms.empty()) continue;
    if (rule == sender_rule::all || seen.insert(users[i].rooms.front()).second) s[i] = 1;
  }
  return s;
}

}  // namespace parley::bench
