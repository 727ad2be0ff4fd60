// Settings declared once, group by group: a group declared outside
// settings/ (here, in this file) is parsed, overridden from the
// environment, checked, printed by `check` and documented like the
// built-in ones, and only while it is registered; the README's table lists
// exactly the declared keys, in their order.
#include "settings/declaration.hpp"

#include "tests/env_util.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

using namespace gaia;

using test::env_of;
using test::error_of;

namespace {

enum class toy_mode { gentle, strict };

/// A component's own settings: a choice and an integer.
struct toy_settings {
  toy_mode mode = toy_mode::gentle;
  int level = 0;
};

group_declaration<toy_settings> toy_declaration() {
  return {"toy",
          {choice({"toy_mode", "GAIA_TOY_MODE", "how the toy plays"}, &toy_settings::mode,
                  toy_mode::strict, {{"gentle", toy_mode::gentle}, {"strict", toy_mode::strict}}),
           integer({"toy_level", "GAIA_TOY_LEVEL", "how hard"}, &toy_settings::level, 3, 1, 10)},
          {[](const toy_settings& t, const std::string& origin) {
            if (t.mode == toy_mode::gentle && t.level > 5)
              throw config_error(origin + ": toy_level: at most 5 when toy_mode is gentle");
          }}};
}

std::vector<std::string> doc_keys() {
  std::vector<std::string> out;
  for (const auto& d : setting_docs()) out.emplace_back(d.key);
  return out;
}

} // namespace

TEST_CASE("settings: a group declared outside settings/ is parsed, overridden, checked, "
          "printed and documented") {
  const auto keys_before = doc_keys();
  {
    const settings_group_registration<toy_settings> toy{toy_declaration(), "import"};

    // Defaults, from the declaration.
    auto d = default_settings();
    CHECK(d.get<toy_settings>().mode == toy_mode::strict);
    CHECK(d.get<toy_settings>().level == 3);
    // Settings made by hand, without the group: its defaults; set, its own.
    settings by_hand;
    CHECK(by_hand.get<toy_settings>().level == 3);
    by_hand.get<toy_settings>().level = 5;
    CHECK(by_hand.get<toy_settings>().level == 5);
    CHECK(default_settings().get<toy_settings>().level == 3);

    // The file, then the environment over it.
    auto s = parse_settings(R"({"toy_mode": "gentle", "toy_level": 4})", "test.json", env_of({}));
    CHECK(s.get<toy_settings>().mode == toy_mode::gentle);
    CHECK(s.get<toy_settings>().level == 4);
    auto e = parse_settings(R"({"toy_mode": "gentle", "toy_level": 4})", "test.json",
                            env_of({{"GAIA_TOY_MODE", "strict"}, {"GAIA_TOY_LEVEL", " 9 "}}));
    CHECK(e.get<toy_settings>().mode == toy_mode::strict);
    CHECK(e.get<toy_settings>().level == 9);

    // Bad values name the key (or the variable) and the problem.
    CHECK(error_of(R"({"toy_mode": "wild"})")
          == "test.json: toy_mode: expected \"gentle\" or \"strict\", got 'wild'");
    CHECK(error_of(R"({"toy_mode": 1})")
          == "test.json: toy_mode: expected \"gentle\" or \"strict\", got 1");
    CHECK(error_of("{}", env_of({{"GAIA_TOY_MODE", "wild"}}))
          == "GAIA_TOY_MODE (toy_mode): expected \"gentle\" or \"strict\", got 'wild'");
    CHECK(error_of(R"({"toy_level": 11})") == "test.json: toy_level: 11 is out of range [1, 10]");
    CHECK(error_of("{}", env_of({{"GAIA_TOY_LEVEL", "high"}}))
          == "GAIA_TOY_LEVEL: expected an integer, got 'high'");
    // The group's own check of several values, after the environment.
    CHECK(error_of(R"({"toy_mode": "gentle"})", env_of({{"GAIA_TOY_LEVEL", "6"}}))
          == "test.json: toy_level: at most 5 when toy_mode is gentle");

    // `check` prints it; what it prints reads back as the same settings.
    auto j = to_json(e);
    CHECK(j["toy_mode"] == "strict");
    CHECK(j["toy_level"] == 9);
    CHECK(to_json(parse_settings(j.dump(), "check.json", env_of({}))) == j);

    // --help and the README list it after the import group's keys.
    auto keys = doc_keys();
    auto at = std::find(keys.begin(), keys.end(), "toy_mode");
    REQUIRE(at != keys.end());
    CHECK(at[-1] == "max_line_bytes");
    CHECK(at[1] == "toy_level");
    CHECK(keys.size() == keys_before.size() + 2);
    auto docs = setting_docs();
    CHECK(std::string(docs[at - keys.begin()].env) == "GAIA_TOY_MODE");

    // A key or a variable is declared once.
    group_declaration<toy_settings> twice{
      "toy2", {integer({"output_dir", "GAIA_TOY_OTHER", "taken"}, &toy_settings::level, 1, 1, 2)}};
    CHECK_THROWS_AS(settings_group_registration<toy_settings>{twice}, std::logic_error);
    group_declaration<toy_settings> same_var{
      "toy3", {integer({"toy_other", "GAIA_TOY_LEVEL", "taken"}, &toy_settings::level, 1, 1, 2)}};
    CHECK_THROWS_AS(settings_group_registration<toy_settings>{same_var}, std::logic_error);
    // One group a type: get<G>() finds it by its type.
    group_declaration<toy_settings> same_type{
      "toy4", {integer({"toy_other", "GAIA_TOY_OTHER", "free"}, &toy_settings::level, 1, 1, 2)}};
    CHECK_THROWS_AS(settings_group_registration<toy_settings>{same_type}, std::logic_error);
  }
  // Gone with its registration.
  CHECK(doc_keys() == keys_before);
  CHECK(error_of(R"({"toy_mode": "strict"})") == "test.json: unknown key 'toy_mode'");
  CHECK_THROWS_AS(default_settings().get<toy_settings>(), std::logic_error);
}

TEST_CASE("settings: what `check` prints is a config giving the same settings") {
  auto s = parse_settings(R"({"file_boundaries": "all:3", "keep_downloads": false,
                              "cluster": {"port": 4000, "worker_name": "w"}})",
                          "test.json", env_of({{"GAIA_WEB_BIND", "0.0.0.0"}}));
  auto j = to_json(s);
  CHECK(to_json(parse_settings(j.dump(), "check.json", env_of({}))) == j);
  // Every declared key is printed, the cluster's in their object.
  size_t printed = 0;
  for (const auto& [key, value] : j.items()) printed += value.is_object() ? value.size() : 1;
  CHECK(printed == setting_docs().size());
}

namespace {

/// The default of a declared key as `check` prints it ("cluster.port":
/// in the cluster object), as text.
std::string default_text(const std::string& key) {
  auto j = to_json(default_settings());
  const auto dot = key.find('.');
  auto v = dot == std::string::npos ? j[key] : j[key.substr(0, dot)][key.substr(dot + 1)];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

/// The cells of a table row, trimmed.
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::istringstream in(row.substr(1));
  std::string cell;
  while (std::getline(in, cell, '|')) {
    cell.erase(0, cell.find_first_not_of(' '));
    cell.erase(cell.find_last_not_of(' ') + 1);
    out.push_back(cell);
  }
  return out;
}

} // namespace

TEST_CASE("settings: the README's table lists every declared key, variable and default, in "
          "order") {
  auto readme = test::read_file(std::string(GAIA_SOURCE_DIR) + "/README.md");
  auto start = readme.find("| key | environment | default | meaning |");
  REQUIRE(start != std::string::npos);
  std::istringstream rows(readme.substr(start));
  std::string line;
  std::getline(rows, line); // the header
  std::getline(rows, line); // | --- | ...
  std::vector<std::string> table;
  size_t defaults_checked = 0;
  while (std::getline(rows, line) && line.rfind("| `", 0) == 0) {
    // | `key` | `VARIABLE` (a note) | default | meaning |
    auto c = cells(line);
    REQUIRE(c.size() == 4);
    const auto key = c[0].substr(1, c[0].size() - 2);
    const auto var = c[1].substr(1, c[1].find('`', 1) - 1);
    table.push_back(key + " " + var);
    // A default written as a value (`output`, `true`, 1000, "0 (off)")
    // is the declared one; prose ("number of cores") is left alone.
    const auto& d = c[2];
    INFO(key << ": README says " << d);
    if (d.size() > 2 && d.front() == '`' && d.find('`', 1) == d.size() - 1) {
      CHECK(d.substr(1, d.size() - 2) == default_text(key));
      ++defaults_checked;
    } else if (std::isdigit(static_cast<unsigned char>(d[0]))) {
      CHECK(d.substr(0, d.find(' ')) == default_text(key));
      ++defaults_checked;
    }
  }
  CHECK(defaults_checked >= 20);
  std::vector<std::string> declared;
  for (const auto& d : setting_docs()) declared.push_back(std::string(d.key) + " " + d.env);
  CHECK(table == declared);
}
