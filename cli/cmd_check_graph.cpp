// check and graph: the commands that only read the config.
#include "cli/commands.hpp"

#include "cli/config_option.hpp"

#include "actors/production.hpp"
#include "core/file_range.hpp"
#include "download/checksums.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace gaia::cli {

namespace {

int check(const config_option& config) {
  auto s = load_or_report(config);
  if (!s)
    return 2;
  std::printf("%s\n", to_json(*s).dump(2).c_str());
  if (s->files.from_list) {
    // The files are known only once the run reads the archive's list.
    std::fprintf(stderr, "gaia-dr3 check: %s is valid: the files %s of %s\n",
                 config.path.c_str(), s->files.text.c_str(),
                 checksum_source_of(*s).url.c_str());
    return 0;
  }
  auto ranges = ranges_from_boundaries(s->file_boundaries);
  std::fprintf(stderr, "gaia-dr3 check: %s is valid: %zu files, first %s\n",
               config.path.c_str(), ranges.size(),
               expand_url_template(s->archive_url_template, ranges[0].label()).c_str());
  return 0;
}

int graph(const config_option& config) {
  if (!config.given()) {
    std::fputs(gaia_production(default_settings()).to_mermaid().c_str(), stdout);
    return 0;
  }
  auto s = load_or_report(config);
  if (!s)
    return 2;
  auto sizes = pool_sizes_of(*s);
  std::fputs(gaia_production(*s).to_mermaid(&sizes).c_str(), stdout);
  return 0;
}

} // namespace

void add_check_graph(CLI::App& app, command_list& out) {
  auto check_config = std::make_shared<config_option>();
  auto* check_cmd = app.add_subcommand(
    "check",
    "Validates the config and prints the resolved settings (after environment "
    "overrides) as JSON. Touches nothing.");
  check_config->add_to(check_cmd);
  out.push_back({check_cmd, [check_config] { return check(*check_config); }});

  auto graph_config = std::make_shared<config_option>();
  auto* graph_cmd = app.add_subcommand(
    "graph",
    "Prints the production as a Mermaid flowchart, from the declaration that "
    "also spawns the actors (actors/production.cpp). With --config, pools show "
    "their sizes.");
  graph_config->add_to(graph_cmd);
  out.push_back({graph_cmd, [graph_config] { return graph(*graph_config); }});
}

} // namespace gaia::cli
