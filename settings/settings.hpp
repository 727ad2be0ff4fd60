// The production's settings: config/production.json, then environment
// overrides, validated as a whole before anything starts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gaia {

struct checksum_source; // download/checksums.hpp

/// The files of a run taken from the archive's own list (its _MD5SUM.txt):
/// file_boundaries "all", "all:N" (the first N) or "all:A-B" (the A-th to
/// the B-th, counting from 1).
struct file_selection {
  bool from_list = false; ///< false: file_boundaries gives the files
  uint64_t first = 1;     ///< 1-based
  uint64_t last = 0;      ///< 0: to the end of the list
  std::string text;       ///< as written ("all:20")
};

/// The `cluster` object: spreading a run over several machines
/// (engine/cluster.hpp). The coordinator (serve, run) listens when `port`
/// is set; a worker (`gaia-dr3 worker`) connects to coordinator_host and
/// coordinator_port. TLS is all three files or none; without them only
/// loopback is bound or connected to.
struct cluster_settings {
  std::string listen = "127.0.0.1";  ///< coordinator: the address it binds
  int port = 0;                      ///< coordinator: its port (0 = no workers)
  std::string coordinator_host = "127.0.0.1"; ///< worker: where the coordinator is
  int coordinator_port = 0;          ///< worker: the coordinator's port
  std::string certificate;           ///< PEM certificate signed by cafile
  std::string key;                   ///< its PEM private key
  std::string cafile;                ///< the CA that signs every node
  std::string worker_name;           ///< worker: its name in logs ("" : the host name)
  bool imports = false;              ///< worker: also join the import pool (file://)
  int connection_timeout_ms = 5000;  ///< a silent peer is dropped after this
  bool tls() const { return !certificate.empty(); }
};

/// Everything a run needs to know. Field names are the JSON keys.
struct settings {
  std::string archive_url_template;      ///< "%s" = file range
  std::vector<int64_t> file_boundaries;  ///< N+1 HEALPix bounds, N files
  file_selection files;                  ///< or: the archive's list
  std::string output_dir;
  int poll_interval_ms = 0;
  int download_pool_size = 0;
  int import_pool_size = 0;
  int http_timeout_s = 0;                ///< one transfer attempt, start to end
  int request_timeout_s = 0;             ///< one step's reply to the process
  int download_retries = 0;              ///< attempts after the first
  int connect_timeout_s = 0;             ///< one connection attempt
  int stall_timeout_s = 0;               ///< abort a transfer slower than
  int stall_min_bytes_per_s = 0;         ///< this (0 = never) for so long
  int retry_backoff_ms = 0;              ///< first wait; doubles per retry
  int64_t max_file_bytes = 0;            ///< a larger download is aborted
  int64_t max_line_bytes = 0;            ///< a longer row fails the import
  bool keep_downloads = true;            ///< keep the archive files in downloads/
  /// _MD5SUM.txt to check downloads against. Unset: derived from the
  /// template (same folder); "" : no checksums.
  std::optional<std::string> checksum_url;
  // Watching runs: the trace of each run, the live page and /metrics.
  int trace_keep_runs = 100;               ///< run traces kept (0 = no traces)
  int64_t trace_max_bytes = int64_t{64} << 20; ///< all kept traces together
  int web_port = 0;                        ///< the page's port; 0 = no page
  std::string web_bind = "127.0.0.1";      ///< the page's address
  cluster_settings cluster;                ///< JSON: "cluster": {...}
};

/// Where a run's checksums come from: checksum_url when set ("" = none),
/// else derived from the template (download/checksums.hpp).
checksum_source checksum_source_of(const settings& s);

/// A config that cannot be used. what() is one line naming the key (or the
/// environment variable, or the file) and the problem.
class config_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Looks up an environment variable; empty optional when unset.
using env_lookup = std::function<std::optional<std::string>(const char*)>;

/// The process environment.
env_lookup process_env();

/// Default settings (no file, no environment).
settings default_settings();

/// Reads the JSON file at `path` (keys not present keep their defaults),
/// applies the environment overrides, validates. Throws config_error.
settings load_settings(const std::string& path, const env_lookup& env);

/// Same from JSON text already read; `origin` names it in errors.
settings parse_settings(const std::string& json_text, const std::string& origin,
                        const env_lookup& env);

/// The resolved settings as JSON (what `gaia-dr3 check` prints).
nlohmann::json to_json(const settings& s);

/// One line per key: JSON key, environment variable, meaning (for --help
/// and the README).
struct setting_doc {
  const char* key;
  const char* env;
  const char* meaning;
};
const std::vector<setting_doc>& setting_docs();

} // namespace gaia
