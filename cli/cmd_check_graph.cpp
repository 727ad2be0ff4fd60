// check and graph: the commands that only read the config.
#include "cli/commands.hpp"

#include "cli/config_option.hpp"

#include "actors/production.hpp"
#include "core/file_range.hpp"
#include "download/checksums.hpp"
#include "lightcurve_production/production.hpp"

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

/// The production `name` declares for these settings.
engine::production production_named(const std::string& name, const settings& s) {
  if (name == "lightcurves") return lightcurve_production(s, lightcurve_job{});
  return gaia_production(s);
}

int graph(const config_option& config, const std::string& production) {
  if (!config.given()) {
    std::fputs(production_named(production, default_settings()).to_mermaid().c_str(), stdout);
    return 0;
  }
  auto s = load_or_report(config);
  if (!s)
    return 2;
  auto sizes = pool_sizes_of(*s);
  std::fputs(production_named(production, *s).to_mermaid(&sizes).c_str(), stdout);
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
  auto production = std::make_shared<std::string>("variability");
  auto* graph_cmd = app.add_subcommand(
    "graph",
    "Prints a production as a Mermaid flowchart, from the declaration that "
    "also spawns the actors (actors/production.cpp; lightcurve_production/production.cpp). "
    "With --config, pools show their sizes.");
  graph_config->add_to(graph_cmd);
  graph_cmd
    ->add_option("--production", *production,
                 "variability (the run) or lightcurves (`gaia-dr3 lightcurves`)")
    ->check(CLI::IsMember({"variability", "lightcurves"}))
    ->capture_default_str();
  out.push_back(
    {graph_cmd, [graph_config, production] { return graph(*graph_config, *production); }});
}

} // namespace gaia::cli
