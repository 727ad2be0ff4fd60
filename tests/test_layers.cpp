// The layers stay layers: the engine (and web/, the live page on it)
// includes only itself and knows nothing of Gaia; the domain code knows no actors; no folder grows past about 20
// source files.
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <string>

namespace fs = std::filesystem;

namespace {

const fs::path root = GAIA_SOURCE_DIR;

bool source_file(const fs::path& p) {
  auto e = p.extension().string();
  return e == ".cpp" || e == ".hpp" || e == ".inc";
}

/// The project folders `file` includes ("engine", "archive", ...).
std::vector<std::string> included_folders(const fs::path& file) {
  std::vector<std::string> out;
  auto text = gaia::test::read_file(file);
  std::regex include(R"re(#include\s+"([a-z_]+)/)re");
  for (auto i = std::sregex_iterator(text.begin(), text.end(), include);
       i != std::sregex_iterator(); ++i)
    out.push_back((*i)[1].str());
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

} // namespace

TEST_CASE("layers: the engine includes only itself and has no Gaia word in it, web/ "
          "only itself and the engine") {
  int files = 0;
  for (const char* layer : {"engine", "web"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / layer)) {
      // The page's own files (web/assets) too: it is the engine's page.
      if (!source_file(e.path()) && e.path().parent_path().filename() != "assets") continue;
      ++files;
      INFO(e.path().filename().string());
      for (const auto& folder : included_folders(e.path()))
        CHECK((folder == "engine" || folder == layer));
      auto text = lower(gaia::test::read_file(e.path()));
      for (const char* word : {"gaia", "flux", "healpix", "ecsv", "photometry",
                               "source_id", "checkpoint", "archive_url", "md5"})
        CHECK_MESSAGE(text.find(word) == std::string::npos,
                      layer << "/ mentions " << std::string(word));
    }
  }
  CHECK(files >= 20);
}

TEST_CASE("layers: each folder includes only the layers below it") {
  // What each folder may include besides itself: the domain folders one
  // another and the engine; the production those and the messages; the
  // tools the domain. Only cli/ sees everything.
  const std::vector<std::string> domain = {"engine", "archive", "download", "results",
                                           "settings"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.end(), domain.begin(), domain.end());
    return more;
  };
  const std::map<std::string, std::vector<std::string>> allowed = {
    {"archive", domain},     {"download", domain},
    {"results", domain},     {"settings", domain},
    {"messages", domain},    {"actors", with({"messages"})},
    {"tools", with({"tools"})},
  };
  for (const auto& [folder, ok] : allowed) {
    for (const auto& e : fs::recursive_directory_iterator(root / folder)) {
      if (!source_file(e.path())) continue;
      for (const auto& inc : included_folders(e.path())) {
        INFO(e.path().string() << " includes " << inc << "/");
        CHECK((inc == folder || std::find(ok.begin(), ok.end(), inc) != ok.end()));
      }
    }
  }
}

TEST_CASE("layers: no folder holds more than about 20 source files") {
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_directory()) continue;
    auto rel = fs::relative(e.path(), root).string();
    if (rel.rfind("build", 0) == 0 || rel.rfind(".git", 0) == 0 || rel.rfind("tests", 0) == 0
        || rel.rfind("output", 0) == 0)
      continue;
    int n = 0;
    for (const auto& f : fs::directory_iterator(e.path()))
      n += source_file(f.path()) ? 1 : 0;
    INFO(rel);
    CHECK(n <= 22);
  }
}
