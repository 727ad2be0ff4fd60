// The layers stay layers, in the order layers.txt declares (the build
// compiles each folder against a view of the layers it may include; this
// checks the same from the sources): every #include goes down, the folders'
// include graph has no cycle, the README's layer table says what layers.txt
// says, the engine (and web/, the live page on it) knows nothing of Gaia,
// and no folder grows past about 20 source files.
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

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

/// One line of layers.txt: a folder and the folders it is built on.
struct layer {
  std::string folder;
  std::vector<std::string> below;
};

/// layers.txt, bottom first.
std::vector<layer> declared_layers() {
  std::vector<layer> out;
  std::istringstream in(gaia::test::read_file(root / "layers.txt"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    REQUIRE_MESSAGE(colon != std::string::npos, "layers.txt: " << line);
    layer l{line.substr(0, colon), {}};
    std::istringstream deps(line.substr(colon + 1));
    for (std::string d; deps >> d;) l.below.push_back(d);
    out.push_back(l);
  }
  return out;
}

using folder_graph = std::map<std::string, std::set<std::string>>;

/// What each declared folder may include besides itself: the folders it is
/// built on and, through them, everything below.
folder_graph allowed_includes(const std::vector<layer>& layers) {
  folder_graph allowed;
  for (const auto& l : layers) {
    auto& ok = allowed[l.folder];
    for (const auto& d : l.below) {
      ok.insert(d);
      ok.insert(allowed[d].begin(), allowed[d].end());
    }
  }
  return allowed;
}

/// The folder graph of the sources: folder -> the other project folders its
/// files include.
folder_graph include_graph(const std::vector<layer>& layers) {
  folder_graph g;
  for (const auto& l : layers) {
    auto& edges = g[l.folder];
    for (const auto& e : fs::recursive_directory_iterator(root / l.folder)) {
      if (!source_file(e.path())) continue;
      for (const auto& inc : included_folders(e.path()))
        if (inc != l.folder) edges.insert(inc);
    }
  }
  return g;
}

/// A cycle of `g` as "a -> b -> a", or "" when it has none.
std::string find_cycle(const folder_graph& g) {
  enum class mark { none, open, done };
  std::map<std::string, mark> marks;
  std::vector<std::string> path;
  std::string cycle;
  std::function<bool(const std::string&)> visit = [&](const std::string& n) {
    marks[n] = mark::open;
    path.push_back(n);
    auto it = g.find(n);
    if (it != g.end())
      for (const auto& m : it->second) {
        if (marks[m] == mark::open) {
          auto from = std::find(path.begin(), path.end(), m);
          for (auto p = from; p != path.end(); ++p) cycle += *p + " -> ";
          cycle += m;
          return true;
        }
        if (marks[m] == mark::none && visit(m)) return true;
      }
    path.pop_back();
    marks[n] = mark::done;
    return false;
  };
  for (const auto& [n, edges] : g)
    if (marks[n] == mark::none && visit(n)) return cycle;
  return "";
}

/// The rows of the README's layer table ("How it works"): the folder and
/// the folders its "depends on" column names (`archive/`, ...), in order.
std::vector<layer> readme_layers() {
  auto text = gaia::test::read_file(root / "README.md");
  auto start = text.find("| folder | what | depends on |");
  REQUIRE(start != std::string::npos);
  std::vector<layer> out;
  std::istringstream in(text.substr(start));
  std::string line;
  std::getline(in, line); // the header
  std::getline(in, line); // | --- |
  std::regex row(R"re(^\| `([a-z_]+)/` \|.*\|([^|]*)\|\s*$)re");
  std::regex folder(R"re(`([a-z_]+)/`)re");
  while (std::getline(in, line) && line.rfind("|", 0) == 0) {
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_match(line, m, row), "README layer row: " << line);
    layer l{m[1].str(), {}};
    const std::string deps = m[2].str();
    for (auto i = std::sregex_iterator(deps.begin(), deps.end(), folder);
         i != std::sregex_iterator(); ++i)
      l.below.push_back((*i)[1].str());
    out.push_back(l);
  }
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

TEST_CASE("layers: layers.txt declares every source folder once, each on layers below it") {
  const auto layers = declared_layers();
  std::set<std::string> seen;
  for (const auto& l : layers) {
    INFO("layers.txt: " << l.folder);
    CHECK(fs::is_directory(root / l.folder));
    CHECK(seen.insert(l.folder).second);
    for (const auto& d : l.below)
      CHECK_MESSAGE(seen.count(d) == 1, d << "/ is not declared below " << l.folder << "/");
  }
  // Every folder holding code is a layer (tests/ sees them all).
  for (const auto& e : fs::directory_iterator(root)) {
    const auto name = e.path().filename().string();
    if (!e.is_directory() || name == "tests" || name.rfind("build", 0) == 0 || name[0] == '.')
      continue;
    bool code = false;
    for (const auto& f : fs::recursive_directory_iterator(e.path()))
      code = code || source_file(f.path());
    INFO(name);
    CHECK((!code || seen.count(name) == 1));
  }
  CHECK(layers.size() >= 11);
}

TEST_CASE("layers: every #include goes to the folder itself or a layer below it") {
  const auto layers = declared_layers();
  const auto allowed = allowed_includes(layers);
  int includes = 0;
  for (const auto& l : layers) {
    for (const auto& e : fs::recursive_directory_iterator(root / l.folder)) {
      if (!source_file(e.path())) continue;
      for (const auto& inc : included_folders(e.path())) {
        ++includes;
        INFO(e.path().string() << " includes " << inc << "/");
        CHECK((inc == l.folder || allowed.at(l.folder).count(inc) == 1));
      }
    }
  }
  CHECK(includes > 300);
  // The order as it stands: the domain folders do not see one another.
  for (const char* domain : {"archive", "download", "results"})
    for (const char* other : {"archive", "download", "results", "settings"})
      if (std::string(domain) != other) CHECK(allowed.at(domain).count(other) == 0);
  CHECK(allowed.at("engine").empty());
  CHECK(allowed.at("web") == std::set<std::string>{"engine"});
}

TEST_CASE("layers: the folders' include graph has no cycle") {
  const auto graph = include_graph(declared_layers());
  CHECK_MESSAGE(find_cycle(graph).empty(), "include cycle: " << find_cycle(graph));
  CHECK(graph.at("actors").count("messages") == 1); // the graph is read
  // The check itself finds a cycle when there is one.
  folder_graph looped = graph;
  looped["core"].insert("actors");
  CHECK(find_cycle(looped).find("core -> actors") != std::string::npos);
}

TEST_CASE("layers: the README's layer table says what layers.txt declares") {
  const auto declared = declared_layers();
  const auto readme = readme_layers();
  REQUIRE(readme.size() == declared.size());
  for (size_t i = 0; i < declared.size(); ++i) {
    INFO("README row " << i + 1 << ": " << readme[i].folder << "/");
    CHECK(readme[i].folder == declared[i].folder);
    auto want = declared[i].below;
    auto got = readme[i].below;
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    CHECK(got == want);
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
