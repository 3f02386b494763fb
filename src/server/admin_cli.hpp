#pragma once
// `parley admin ...`: operator commands that work on a data directory directly, through the store
// and the key ring, without a running server. Today one command, `mint-users`: the benchmark fast
// path that creates thousands of users (and rooms) and prints an access token for each, because
// registering them over HTTP costs one Argon2 hash each. Normal registration and login are
// untouched; whoever can run this can already read the signing keys in the data directory.
// Run it while the server is stopped (admin_cli.cpp says why).
#include <memory>

namespace CLI {
class App;
}

namespace parley::server {

class admin_cli {
 public:
  // Registers `admin` and its subcommands on `app`.
  explicit admin_cli(CLI::App& app);
  ~admin_cli();

  // True when the command line chose an admin command; run() then executes it (exit code).
  bool parsed() const;
  int run() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace parley::server
