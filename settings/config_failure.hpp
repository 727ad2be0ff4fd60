// A config that does not load, seen by the commands that must go on anyway:
// serve reports it in results.err and waits for a fix (it never exits on it:
// under a restart policy an exit becomes a restart loop), status reports it
// and exits 1 (a Docker healthcheck). Both need the output directory that
// the broken config cannot give them.
#pragma once

#include "settings/settings.hpp"

#include <string>

namespace gaia::cli {

/// output_dir as far as it can be known without a valid config, in the order
/// load_settings resolves it: the environment's GAIA_OUTPUT_DIR, else
/// GAIA_SETTINGS' or else the file's "output_dir" (when a JSON object with
/// that key a non-empty string), else the default ("output").
std::string output_dir_despite(const std::string& config_path,
                               const env_lookup& env);

/// Where serve's live page listens, as far as it can be known without a
/// valid config: web_port and web_bind each resolved as load_settings
/// would (GAIA_WEB_PORT / GAIA_WEB_BIND, else GAIA_SETTINGS' key, else the
/// file's key when the file is a JSON object), whatever else in the file is wrong; a value that is
/// itself wrong leaves the default (port 0: no page, bind 127.0.0.1).
struct web_address {
  std::string bind;
  int port = 0;
};
web_address web_despite(const std::string& config_path, const env_lookup& env);

/// The content of results.err for a config that does not load: first line
/// `config failed: <config file>`, then the error (which names the key).
/// The polling service writes the same when a config turns invalid later.
std::string config_failure_text(const std::string& config_path,
                                const std::string& error);

/// True when results.err (its text) reports a config failure.
bool is_config_failure(const std::string& err_marker_text);

} // namespace gaia::cli
