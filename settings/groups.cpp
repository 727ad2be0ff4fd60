// The built-in settings, declared once, group by group in the order --help
// and the README list them: key, environment variable, meaning, default,
// kind and range, and the member that holds the value; then the checks
// that need several values of a group.
#include "settings/declaration.hpp"

#include "core/defaults.hpp"
#include "download/checksums.hpp"
#include "download/downloader.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <thread>

namespace gaia {

namespace {

using json = nlohmann::json;
using setting_values::quoted;

// ---- archive: the prepare operation and the process ----------------------

/// "all", "all:N" or "all:A-B".
file_selection selection_value(const std::string& text, const std::string& where) {
  file_selection sel;
  sel.from_list = true;
  sel.text = text;
  auto fail = [&]() -> file_selection {
    throw config_error(where + ": expected \"all\", \"all:N\" or \"all:A-B\" (files "
                       "counted from 1), got " + quoted(text));
  };
  if (text == "all") return sel;
  if (text.rfind("all:", 0) != 0) return fail();
  const std::string spec = text.substr(4);
  auto number = [&](const std::string& t, uint64_t& out) {
    auto r = std::from_chars(t.data(), t.data() + t.size(), out);
    return !t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size() && out >= 1;
  };
  const auto dash = spec.find('-');
  if (dash == std::string::npos) {
    if (!number(spec, sel.last)) return fail();
  } else if (!number(spec.substr(0, dash), sel.first) || !number(spec.substr(dash + 1), sel.last)
             || sel.last < sel.first) {
    return fail();
  }
  return sel;
}

std::vector<int64_t> boundaries_value(const json& v, const std::string& where) {
  if (!v.is_array())
    throw config_error(where + ": expected an array of integers, got " + v.dump());
  std::vector<int64_t> out;
  for (const auto& e : v) {
    if (!e.is_number_integer())
      throw config_error(where + ": expected integers, got " + e.dump());
    out.push_back(e.get<int64_t>());
  }
  return out;
}

/// file_boundaries: a list of bounds, or a selection from the archive's
/// list (the two exclude each other: the last one given wins).
setting<archive_settings> file_boundaries_setting(setting_doc doc) {
  using a = archive_settings;
  return {doc,
          [](a& g) {
            g.file_boundaries = defaults::file_boundaries;
            g.files = file_selection{};
          },
          [](a& g, const json& v, const std::string& where) {
            if (v.is_string()) {
              g.files = selection_value(v.get<std::string>(), where);
              g.file_boundaries.clear();
            } else {
              g.file_boundaries = boundaries_value(v, where);
              g.files = file_selection{};
            }
          },
          // The environment: "all..." or a comma list.
          [](const std::string& text, const std::string& var) -> json {
            if (text.rfind("all", 0) == 0) return text;
            json arr = json::array();
            std::stringstream ss(text);
            std::string item;
            while (std::getline(ss, item, ','))
              arr.push_back(setting_values::env_integer_in(item, text, var));
            return arr;
          },
          [](const a& g) {
            return g.files.from_list ? json(g.files.text) : json(g.file_boundaries);
          }};
}

/// checksum_url: unset (derived from the template), "" / "none" (no
/// checks) or a URL.
setting<archive_settings> checksum_url_setting(setting_doc doc) {
  using a = archive_settings;
  return {doc, [](a& g) { g.checksum_url.reset(); },
          [](a& g, const json& v, const std::string& where) {
            auto url = setting_values::text(v, where);
            g.checksum_url = url == "none" ? "" : url;
          },
          setting_values::env_text,
          // resolved: the derived URL when none was configured
          [](const a& g) { return json(checksum_source_of(g).url); }};
}

std::string template_problem(const archive_settings& s) {
  if (s.archive_url_template.find("%s") != std::string::npos) return "";
  return "must contain %s (the file range), got " + quoted(s.archive_url_template);
}

std::string checksum_url_problem(const archive_settings& s) {
  if (!s.checksum_url || s.checksum_url->empty()) return "";
  const auto& u = *s.checksum_url;
  for (const char* scheme : {"https://", "http://", "file://"})
    if (u.rfind(scheme, 0) == 0) return "";
  return "must be an https://, http:// or file:// URL, \"\" or \"none\", got " + quoted(u);
}

/// Bounds must be level-8 indices that increase (a selection is checked
/// when it is read).
std::string bounds_problem(const archive_settings& s) {
  if (s.files.from_list) return "";
  const auto& b = s.file_boundaries;
  if (b.size() < 2)
    return "need at least two numbers (one file), got " + std::to_string(b.size());
  if (b.front() < 0) return "must not be negative";
  for (size_t i = 1; i < b.size(); ++i)
    if (b[i] <= b[i - 1])
      return "must increase, but " + std::to_string(b[i]) + " follows "
             + std::to_string(b[i - 1]) + " (position " + std::to_string(i) + ")";
  // Level-8 HEALPix has 12 * 4^8 = 786432 pixels; file labels have 6 digits.
  if (b.back() > 786432)
    return std::to_string(b.back()) + " is beyond the last HEALPix level-8 index 786432";
  return "";
}

/// A selection from the archive's list needs that list.
void check_list_source(const archive_settings& s, const std::string& origin) {
  if (s.files.from_list && checksum_source_of(s).url.empty())
    throw config_error(origin + ": file_boundaries: " + quoted(s.files.text)
                       + " takes the files from the archive's _MD5SUM.txt, but "
                         "checksum_url is none");
}

declared_group<archive_settings> archive_group() {
  return declared_group<archive_settings>{{
    "archive",
    {text({"archive_url_template", "GAIA_ARCHIVE_URL_TEMPLATE",
           "URL of one archive file; %s is replaced by the range (000000-003111)"},
          &archive_settings::archive_url_template, defaults::archive_url_template)
       .checked(template_problem),
     file_boundaries_setting(
       {"file_boundaries", "GAIA_FILE_BOUNDARIES",
        "N+1 increasing HEALPix level-8 bounds of the N files (env: comma list), or "
        "\"all\" / \"all:N\" / \"all:A-B\": the files the archive's _MD5SUM.txt lists "
        "(all, the first N, the A-th to the B-th)"})
       .checked(bounds_problem),
     checksum_url_setting(
       {"checksum_url", "GAIA_CHECKSUM_URL",
        "the _MD5SUM.txt downloads are checked against (default: beside the "
        "archive files; \"\" or \"none\" = no checks)"})
       .checked(checksum_url_problem)},
    {check_list_source}}};
}

// ---- the polling service --------------------------------------------------

declared_group<service_settings> service_group() {
  return declared_group<service_settings>{{
    "service",
    {text({"output_dir", "GAIA_OUTPUT_DIR",
           "where results.csv, the markers, downloads/ and aggregates/ live"},
          &service_settings::output_dir, defaults::output_dir)
       .checked([](const service_settings& s) {
         return s.output_dir.empty() ? "must not be empty" : "";
       }),
     integer({"poll_interval_ms", "GAIA_POLL_INTERVAL_MS",
              "how often the service looks at the markers"},
             &service_settings::poll_interval_ms, defaults::poll_interval_ms, 10, 86'400'000)}}};
}

// ---- the download operation -----------------------------------------------

declared_group<download_settings> download_group() {
  // The transfer defaults live with the downloader, in one place.
  const download_options transfer_defaults;
  return declared_group<download_settings>{{
    "download",
    {integer({"download_pool_size", "GAIA_DOWNLOAD_POOL", "parallel downloads"},
             &download_settings::download_pool_size, 4, 1, 256),
     integer({"http_timeout_s", "GAIA_HTTP_TIMEOUT_SECONDS",
              "longest time one attempt at a file's transfer may take"},
             &download_settings::http_timeout_s, defaults::http_timeout_s, 1, 7 * 86'400),
     integer({"connect_timeout_s", "GAIA_CONNECT_TIMEOUT_SECONDS",
              "longest time one connection attempt may take"},
             &download_settings::connect_timeout_s,
             static_cast<int>(transfer_defaults.connect_timeout_s), 1, 3600),
     integer({"stall_timeout_s", "GAIA_STALL_TIMEOUT_SECONDS",
              "a transfer slower than stall_min_bytes_per_s for this long is retried"},
             &download_settings::stall_timeout_s,
             static_cast<int>(transfer_defaults.stall_timeout_s), 1, 86'400),
     integer({"stall_min_bytes_per_s", "GAIA_STALL_MIN_BYTES_PER_SECOND",
              "the speed below which a transfer counts as stalled (0 = never)"},
             &download_settings::stall_min_bytes_per_s,
             static_cast<int>(transfer_defaults.stall_min_bytes_per_s), 0, 1'000'000'000),
     integer({"download_retries", "GAIA_DOWNLOAD_RETRIES",
              "further attempts of a download after a timeout, stall, dropped "
              "connection, HTTP 5xx/429, non-gzip body or MD5 mismatch"},
             &download_settings::download_retries, transfer_defaults.retries, 0, 100),
     integer({"retry_backoff_ms", "GAIA_RETRY_BACKOFF_MS",
              "wait before the first retry; doubles per retry (with jitter)"},
             &download_settings::retry_backoff_ms, transfer_defaults.retry_backoff_ms, 0, 600'000),
     integer({"max_file_bytes", "GAIA_MAX_FILE_BYTES",
              "a download larger than this (or than its Content-Length) is aborted"},
             &download_settings::max_file_bytes, defaults::max_file_bytes, 1024,
             int64_t{1} << 40),
     boolean({"keep_downloads", "GAIA_KEEP_DOWNLOADS",
              "keep the archive files in downloads/ (true); false: only the checkpoints "
              "stay, the files are imported as they stream in"},
             &download_settings::keep_downloads, true)}}};
}

// ---- the import operation -------------------------------------------------

int cores() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : static_cast<int>(n);
}

declared_group<import_settings> import_group() {
  return declared_group<import_settings>{{
    "import",
    {integer({"import_pool_size", "GAIA_IMPORT_POOL",
              "parallel imports (default: number of cores)"},
             &import_settings::import_pool_size, cores(), 1, 256),
     integer({"max_line_bytes", "GAIA_MAX_LINE_BYTES",
              "a row longer than this ends the file's import with an error"},
             &import_settings::max_line_bytes, defaults::max_line_bytes, 1024,
             int64_t{1} << 32)}}};
}

// ---- every job ------------------------------------------------------------

declared_group<job_settings> job_group() {
  return declared_group<job_settings>{{
    "job",
    {integer({"request_timeout_s", "GAIA_REQUEST_TIMEOUT_SECONDS",
              "longest time one job (a file's download or import, compute, export) may take"},
             &job_settings::request_timeout_s, defaults::request_timeout_s, 1, 30 * 86'400)}}};
}

// ---- watching runs: the trace, the live page and /metrics ----------------

declared_group<trace_settings> trace_group() {
  return declared_group<trace_settings>{{
    "trace",
    {integer({"trace_keep_runs", "GAIA_TRACE_KEEP_RUNS",
              "runs of each production whose message trace is kept in output_dir/trace "
              "(oldest go first; 0 = no traces)"},
             &trace_settings::trace_keep_runs, 100, 0, 100'000),
     integer({"trace_max_bytes", "GAIA_TRACE_MAX_BYTES",
              "the kept traces together stay below this (oldest go first)"},
             &trace_settings::trace_max_bytes, int64_t{64} << 20, 65'536, int64_t{1} << 40)}}};
}

declared_group<web_settings> web_group() {
  return declared_group<web_settings>{{
    "web",
    {integer({"web_port", "GAIA_WEB_PORT",
              "serve: the live page, /metrics, /livez and /readyz on this port (0 = off)"},
             &web_settings::web_port, 0, 0, 65'535),
     text({"web_bind", "GAIA_WEB_BIND",
           "serve: the page's address (127.0.0.1 = this machine only)"},
          &web_settings::web_bind, "127.0.0.1", " (127.0.0.1: this machine only)")}}};
}

// ---- the cluster: several machines ----------------------------------------

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// TLS is all three files or none, each readable; no address but loopback
// without TLS (CAF would otherwise fall back to anonymous ciphers, or to
// plain TCP).
void check_cluster(const cluster_settings& c, const std::string& origin) {
  const std::pair<const char*, const std::string*> files[] = {
    {"cluster.certificate", &c.certificate}, {"cluster.key", &c.key},
    {"cluster.cafile", &c.cafile}};
  int set = 0;
  for (const auto& [key, value] : files) set += value->empty() ? 0 : 1;
  if (set != 0 && set != 3)
    for (const auto& [key, value] : files)
      if (value->empty())
        throw config_error(origin + ": " + key + ": missing; mutual TLS needs "
                           "cluster.certificate, cluster.key and cluster.cafile together");
  if (set == 3)
    for (const auto& [key, value] : files)
      if (!std::ifstream(*value))
        throw config_error(origin + ": " + key + ": cannot read " + quoted(*value));
  if (c.listen.empty())
    throw config_error(origin + ": cluster.listen: must not be empty");
  if (set == 0 && c.port != 0 && !loopback(c.listen))
    throw config_error(origin + ": cluster.listen: " + quoted(c.listen) + " is not loopback; "
                       "without cluster.certificate, cluster.key and cluster.cafile (mutual "
                       "TLS) the coordinator listens on 127.0.0.1 only");
}

// The "cluster" object: keys "cluster.X", in the file {"cluster": {"X": ...}}.
declared_group<cluster_settings> cluster_group() {
  return declared_group<cluster_settings>{{
    "cluster",
    {integer({"cluster.port", "GAIA_CLUSTER_PORT",
              "serve/run/lightcurves: the port remote workers connect to (0 = no remote workers)"},
             &cluster_settings::port, 0, 0, 65'535),
     text({"cluster.listen", "GAIA_CLUSTER_LISTEN",
           "serve/run/lightcurves: the address it listens on; another than loopback needs the "
           "TLS files"},
          &cluster_settings::listen, "127.0.0.1"),
     text({"cluster.coordinator_host", "GAIA_CLUSTER_COORDINATOR_HOST",
           "worker: the coordinator's host"},
          &cluster_settings::coordinator_host, "127.0.0.1"),
     integer({"cluster.coordinator_port", "GAIA_CLUSTER_COORDINATOR_PORT",
              "worker: the coordinator's cluster.port"},
             &cluster_settings::coordinator_port, 0, 0, 65'535),
     text({"cluster.certificate", "GAIA_CLUSTER_CERTIFICATE",
           "this node's PEM certificate, signed by cluster.cafile (mutual TLS)"},
          &cluster_settings::certificate, ""),
     text({"cluster.key", "GAIA_CLUSTER_KEY", "the certificate's PEM private key"},
          &cluster_settings::key, ""),
     text({"cluster.cafile", "GAIA_CLUSTER_CAFILE",
           "the PEM CA every node's certificate must be signed by"},
          &cluster_settings::cafile, ""),
     text({"cluster.worker_name", "GAIA_CLUSTER_WORKER_NAME",
           "worker: its name in the coordinator's log and trace (default: the host name)"},
          &cluster_settings::worker_name, ""),
     boolean({"cluster.imports", "GAIA_CLUSTER_IMPORTS",
              "worker: also join the import pool, for file:// archives (it must see the same "
              "paths)"},
             &cluster_settings::imports, false),
     integer({"cluster.connection_timeout_ms", "GAIA_CLUSTER_CONNECTION_TIMEOUT_MS",
              "a node silent for this long (killed, frozen, cut off) is dropped; its jobs move on"},
             &cluster_settings::connection_timeout_ms, 5000, 500, 3'600'000)},
    {check_cluster}}};
}

} // namespace

const std::vector<const settings_group*>& builtin_settings_groups() {
  // Built on first use: a component's group may register during static
  // initialisation, before this file's globals would exist.
  static const auto archive = archive_group();
  static const auto service = service_group();
  static const auto download = download_group();
  static const auto import = import_group();
  static const auto job = job_group();
  static const auto trace = trace_group();
  static const auto web = web_group();
  static const auto cluster = cluster_group();
  static const std::vector<const settings_group*> groups = {
    &archive, &service, &download, &import, &job, &trace, &web, &cluster};
  return groups;
}

checksum_source checksum_source_of(const archive_settings& s) {
  if (s.checksum_url) return {*s.checksum_url, !s.checksum_url->empty()};
  return {derived_checksum_url(s.archive_url_template), false};
}

} // namespace gaia
