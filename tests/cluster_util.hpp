// What the tests of a production spread over processes share
// (tests/test_cluster.cpp, tests/test_cluster_lightcurves.cpp): a CA and
// certificates made at test time with the openssl CLI, and environments
// merged.
#pragma once

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gaia::test {

/// A CA and certificates signed by it (and one signed by another CA),
/// made with the openssl CLI in `dir`; no key is ever committed.
struct test_pki {
  std::filesystem::path dir;
  explicit test_pki(const std::filesystem::path& d) : dir(d / "pki") {
    std::filesystem::create_directories(dir);
    const std::string q = " >/dev/null 2>&1";
    auto ca = [&](const std::string& name) {
      sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name + " -keyout "
         + p(name + ".key") + " -out " + p(name + ".pem") + q);
    };
    ca("ca");
    ca("other-ca");
    for (const auto& [node, by] : std::vector<std::pair<std::string, std::string>>{
           {"coordinator", "ca"}, {"w1", "ca"}, {"w2", "ca"}, {"rogue", "other-ca"}}) {
      sh("openssl req -newkey rsa:2048 -nodes -subj /CN=" + node + " -keyout " + p(node + ".key")
         + " -out " + p(node + ".csr") + q);
      sh("openssl x509 -req -days 2 -in " + p(node + ".csr") + " -CA " + p(by + ".pem")
         + " -CAkey " + p(by + ".key") + " -CAcreateserial -out " + p(node + ".pem") + q);
    }
  }
  std::string p(const std::string& f) const { return (dir / f).string(); }
  static void sh(const std::string& cmd) { REQUIRE(std::system(cmd.c_str()) == 0); }
  /// The TLS environment of `node`, trusting our CA.
  std::map<std::string, std::string> env(const std::string& node) const {
    return {{"GAIA_CLUSTER_CERTIFICATE", p(node + ".pem")},
            {"GAIA_CLUSTER_KEY", p(node + ".key")},
            {"GAIA_CLUSTER_CAFILE", p("ca.pem")}};
  }
};

/// `a` with `b`'s entries over it.
inline std::map<std::string, std::string> merged(std::map<std::string, std::string> a,
                                                 const std::map<std::string, std::string>& b) {
  for (const auto& [k, v] : b) a[k] = v;
  return a;
}

/// How many times `what` occurs in `text` (a log's lines of a kind).
inline size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

} // namespace gaia::test
