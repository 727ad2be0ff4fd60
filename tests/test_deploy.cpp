// What CI can check of the Docker deployment without a Docker engine: the
// Dockerfile and docker-compose.yml reference only files that exist, both
// install through scripts/install-deps.sh, the base is a pinned slim
// Debian, the service runs `gaia-dr3 serve` as uid and gid 10001 with a
// status healthcheck, compose passes exactly the settings' environment
// variables through, and scripts/docker-e2e.sh (which runs it all for real)
// runs exactly the README's commands.
#include "settings/declaration.hpp"
#include "settings/settings.hpp"

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
  // A dated slim tag: a rebuild later starts from the same Debian, and
  // scripts/docker-e2e.sh bootstraps exactly this name without a registry.
  std::smatch base;
  REQUIRE(std::regex_search(
    text, base, std::regex(R"(\nARG BASE_IMAGE=(debian:bookworm-\d{8}-slim)\n)")));
  for (const auto& line : lines_of(text)) {
    std::smatch m;
    if (line.rfind("FROM ", 0) == 0) {
      ++stages;
      CHECK(line.rfind("FROM ${BASE_IMAGE} AS ", 0) == 0);
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
  // uid and gid 10001, compose's default user:group.
  CHECK(text.find("groupadd --system --gid 10001 gaia") != std::string::npos);
  CHECK(text.find("useradd --system --uid 10001 --gid 10001") != std::string::npos);
  CHECK(text.find(R"(CMD ["serve")") != std::string::npos);
  CHECK(std::regex_search(text, std::regex(
    R"(\nHEALTHCHECK [^\n]*\\\n\s+CMD \["gaia-dr3", "status", "--config", "/app/config/production.json"\])")));
  CHECK(fs::exists(root / "scripts/install-deps.sh"));
  // Every folder CMakeLists.txt builds from is copied into the build stage.
  auto cmake = gaia::test::read_file(root / "CMakeLists.txt");
  std::regex glob(R"(([a-z_]+)/(\*/)?\*\.cpp)");
  int folders = 0;
  for (auto i = std::sregex_iterator(cmake.begin(), cmake.end(), glob);
       i != std::sregex_iterator(); ++i) {
    const std::string dir = (*i)[1].str();
    if (dir == "tests") continue;
    ++folders;
    INFO("source folder " << dir);
    CHECK(text.find("\nCOPY " + dir + " /src/" + dir + "\n") != std::string::npos);
  }
  CHECK(folders >= 8);
  // Sources only: a config or README edit must not recompile the image.
  CHECK(text.find("\nCOPY . ") == std::string::npos);
  // The build context must not carry output/ (archives, GBs) to dockerd.
  auto ignore = gaia::test::read_file(root / ".dockerignore");
  for (const char* dir : {"output/", "build/"})
    CHECK(ignore.find(std::string("\n") + dir) != std::string::npos);
  auto ci = gaia::test::read_file(root / ".ci/run");
  CHECK(ci.find("scripts/install-deps.sh") != std::string::npos);
  CHECK(ci.find("scripts/docker-e2e.sh") != std::string::npos);
}

TEST_CASE("deploy: docker-compose.yml mounts what exists and passes GAIA_SETTINGS "
          "and every built-in setting's environment variable") {
  auto text = gaia::test::read_file(root / "docker-compose.yml");
  CHECK(text.find("restart: unless-stopped") != std::string::npos);
  // The mirror gives up after a few tries: no restart loop.
  CHECK(text.find("restart: on-failure:3") != std::string::npos);
  // The folder: an editor's save (a rename) stays visible to the container.
  CHECK(text.find("- ./config:/app/config:ro") != std::string::npos);
  // Only ./output is written: its subfolders are made by the container
  // user, never by dockerd as root.
  CHECK(text.find("- ./output:/app/output\n") != std::string::npos);
  CHECK(text.find("./output/") == std::string::npos);
  std::regex volume(R"(^\s*-\s+(\./[^:]+):)");
  // `GAIA_X:` without a value: passed through from the shell when set.
  std::regex env_var(R"(^\s*(GAIA_[A-Z_]+):\s*$)");
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
  // GAIA_SETTINGS reaches every key, those a component declares in its own
  // file too: adding one needs no line here.
  CHECK(passed.count(gaia::settings_env_var) == 1);
  // Each built-in key's own variable passes as it always has.
  for (const auto* g : gaia::builtin_settings_groups())
    for (const auto& d : g->docs()) {
      INFO(d.env);
      CHECK(passed.count(d.env) == 1);
    }
  // Nothing passed that no setting reads.
  std::set<std::string> known{gaia::settings_env_var};
  for (const auto& d : gaia::setting_docs())
    known.insert(d.env);
  for (const auto& var : passed) {
    INFO(var);
    CHECK(known.count(var) == 1);
  }
}

namespace {

/// The commands of the README's "Running it unattended" sh blocks (comments
/// and comment lines dropped).
std::set<std::string> readme_commands() {
  auto readme = gaia::test::read_file(root / "README.md");
  auto start = readme.find("\n## Running it unattended\n");
  REQUIRE(start != std::string::npos);
  auto end = readme.find("\n## ", start + 1);
  auto section = readme.substr(start, end - start);
  std::set<std::string> out;
  bool in_block = false;
  for (const auto& line : lines_of(section)) {
    if (line.rfind("```", 0) == 0) {
      in_block = line == "```sh";
      continue;
    }
    if (!in_block || line.empty() || line[0] == '#')
      continue;
    auto cmd = line.substr(0, line.find("  #"));
    cmd.erase(cmd.find_last_not_of(' ') + 1);
    out.insert(cmd);
  }
  return out;
}

} // namespace

TEST_CASE("deploy: scripts/docker-e2e.sh runs exactly the README's commands "
          "for running unattended") {
  auto documented = readme_commands();
  CHECK(documented.size() >= 10);
  CHECK(documented.count("docker compose up -d --build") == 1);
  CHECK(documented.count(
          "docker compose --profile synthetic up -d --build gaia-dr3-synthetic")
        == 1);
  auto script = gaia::test::read_file(root / "scripts/docker-e2e.sh");
  std::set<std::string> run;
  // readme [--option value]... '<command>'
  std::regex readme_line(R"(^\s*readme (?:--\S+ \S+ )*'([^']+)'\s*$)");
  for (const auto& line : lines_of(script)) {
    std::smatch m;
    if (std::regex_search(line, m, readme_line))
      run.insert(m[1].str());
  }
  for (const auto& c : documented) {
    INFO("in the README, not run by docker-e2e.sh: " << c);
    CHECK(run.count(c) == 1);
  }
  for (const auto& c : run) {
    INFO("run by docker-e2e.sh as a README command, not in the README: " << c);
    CHECK(documented.count(c) == 1);
  }
}
