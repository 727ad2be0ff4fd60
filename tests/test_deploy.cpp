// What CI can check of the Docker deployment without a Docker engine: the
// Dockerfile and docker-compose.yml reference only files that exist, both
// install through scripts/install-deps.sh, the service runs `gaia-dr3 serve`
// as a non-root user, and compose passes exactly the settings' environment
// variables through.
#include "core/settings.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

const fs::path root = GAIA_SOURCE_DIR;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

} // namespace

TEST_CASE("deploy: the Dockerfile copies files that exist and installs "
          "through the install script") {
  auto text = gaia::test::read_file(root / "Dockerfile");
  int stages = 0, installs = 0;
  std::regex copy(R"(^COPY\s+(--from=\S+\s+)?(\S+)\s+\S+)");
  for (const auto& line : lines_of(text)) {
    std::smatch m;
    if (line.rfind("FROM ", 0) == 0) {
      ++stages;
      CHECK(line.find("debian:bookworm") != std::string::npos);
    }
    if (std::regex_search(line, m, copy) && !m[1].matched) {
      INFO(line);
      CHECK(fs::exists(root / m[2].str()));
    }
    if (line.find("install-deps.sh") != std::string::npos
        && line.find("RUN") != std::string::npos)
      ++installs;
  }
  CHECK(stages == 2);
  CHECK(installs == 2);
  CHECK(text.find("\nUSER gaia") != std::string::npos);
  CHECK(text.find(R"(CMD ["serve")") != std::string::npos);
  CHECK(fs::exists(root / "scripts/install-deps.sh"));
  // `COPY . /src` must not send output/ (archives, GBs) as build context.
  auto ignore = gaia::test::read_file(root / ".dockerignore");
  for (const char* dir : {"output/", "build/"})
    CHECK(ignore.find(std::string("\n") + dir) != std::string::npos);
  auto ci = gaia::test::read_file(root / ".ci/run");
  CHECK(ci.find("scripts/install-deps.sh") != std::string::npos);
}

TEST_CASE("deploy: docker-compose.yml mounts what exists and passes every "
          "setting's environment variable") {
  auto text = gaia::test::read_file(root / "docker-compose.yml");
  CHECK(text.find("restart: unless-stopped") != std::string::npos);
  CHECK(text.find("./config/production.json:/app/config/production.json:ro")
        != std::string::npos);
  CHECK(text.find(R"("gaia-dr3", "status")") != std::string::npos);
  std::regex volume(R"(^\s*-\s+(\./[^:]+):)");
  std::regex env_var(R"(^\s*-\s+(GAIA_[A-Z_]+)\s*$)");
  std::set<std::string> passed;
  for (const auto& line : lines_of(text)) {
    std::smatch m;
    if (std::regex_search(line, m, volume)) {
      auto host = m[1].str();
      INFO(host);
      // Output folders are created at run time; files must exist.
      if (host.rfind("./output", 0) != 0)
        CHECK(fs::exists(root / host));
    }
    if (std::regex_search(line, m, env_var))
      passed.insert(m[1].str());
  }
  std::set<std::string> known;
  for (const auto& d : gaia::setting_docs())
    known.insert(d.env);
  CHECK(passed == known);
}
