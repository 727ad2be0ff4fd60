#include "settings/config_failure.hpp"

#include "settings/defaults.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace gaia::cli {

std::string output_dir_despite(const std::string& config_path,
                               const env_lookup& env) {
  if (auto dir = env("GAIA_OUTPUT_DIR"))
    return *dir;
  std::ifstream in(config_path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  // No exceptions: the file may be anything, that is why we are here.
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_object()) {
    auto it = doc.find("output_dir");
    if (it != doc.end() && it->is_string() && !it->get<std::string>().empty())
      return it->get<std::string>();
  }
  return defaults::output_dir;
}

std::string config_failure_text(const std::string& config_path,
                                const std::string& error) {
  return "config failed: " + config_path + "\n" + error + "\n";
}

bool is_config_failure(const std::string& err_marker_text) {
  return err_marker_text.rfind("config failed: ", 0) == 0;
}

} // namespace gaia::cli
