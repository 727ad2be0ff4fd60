// The production's settings, one struct per component that reads them. The
// values only: each key's default, checks, environment variable and meaning
// are declared once, in settings/groups.cpp; a struct's members are zero
// until default_settings() or parse_settings() fills them from there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gaia {

/// The files of a run taken from the archive's own list (its _MD5SUM.txt):
/// file_boundaries "all", "all:N" (the first N) or "all:A-B" (the A-th to
/// the B-th, counting from 1).
struct file_selection {
  bool from_list = false; ///< false: file_boundaries gives the files
  uint64_t first = 1;     ///< 1-based
  uint64_t last = 0;      ///< 0: to the end of the list
  std::string text;       ///< as written ("all:20")
};

/// What the archive is and which of its files a run takes (the prepare
/// operation and the process).
struct archive_settings {
  std::string archive_url_template;      ///< "%s" = file range
  std::vector<int64_t> file_boundaries;  ///< N+1 HEALPix bounds, N files
  file_selection files;                  ///< or: the archive's list
  /// _MD5SUM.txt to check downloads against. Unset: derived from the
  /// template (same folder); "" : no checksums.
  std::optional<std::string> checksum_url;
};

/// The polling service: where the markers and results live, how often it
/// looks.
struct service_settings {
  std::string output_dir;
  int poll_interval_ms = 0;
};

/// The download operation (and every transfer: the checksum list too).
struct download_settings {
  int download_pool_size = 0;
  int http_timeout_s = 0;                ///< one transfer attempt, start to end
  int connect_timeout_s = 0;             ///< one connection attempt
  int stall_timeout_s = 0;               ///< abort a transfer slower than
  int stall_min_bytes_per_s = 0;         ///< this (0 = never) for so long
  int download_retries = 0;              ///< attempts after the first
  int retry_backoff_ms = 0;              ///< first wait; doubles per retry
  int64_t max_file_bytes = 0;            ///< a larger download is aborted
  bool keep_downloads = false;           ///< keep the archive files in downloads/
};

/// The import operation.
struct import_settings {
  int import_pool_size = 0;
  int64_t max_line_bytes = 0;            ///< a longer row fails the import
};

/// Every job the process hands to a pool.
struct job_settings {
  int request_timeout_s = 0;             ///< one job's reply to the process
};

/// The trace of each run (output_dir/trace).
struct trace_settings {
  int trace_keep_runs = 0;               ///< run traces kept (0 = no traces)
  int64_t trace_max_bytes = 0;           ///< all kept traces together
};

/// serve's live page and /metrics.
struct web_settings {
  int web_port = 0;                      ///< the page's port; 0 = no page
  std::string web_bind;                  ///< the page's address
};

/// The `cluster` object: spreading a run over several machines
/// (engine/cluster.hpp). The coordinator (serve, run) listens when `port`
/// is set; a worker (`gaia-dr3 worker`) connects to coordinator_host and
/// coordinator_port. TLS is all three files or none; without them only
/// loopback is bound or connected to.
struct cluster_settings {
  std::string listen;                ///< coordinator: the address it binds
  int port = 0;                      ///< coordinator: its port (0 = no workers)
  std::string coordinator_host;      ///< worker: where the coordinator is
  int coordinator_port = 0;          ///< worker: the coordinator's port
  std::string certificate;           ///< PEM certificate signed by cafile
  std::string key;                   ///< its PEM private key
  std::string cafile;                ///< the CA that signs every node
  std::string worker_name;           ///< worker: its name in logs ("" : the host name)
  bool imports = false;              ///< worker: also join the import pool (file://)
  int connection_timeout_ms = 0;     ///< a silent peer is dropped after this
  bool tls() const { return !certificate.empty(); }
};

} // namespace gaia
