#include "settings/settings.hpp"

#include "download/checksums.hpp"
#include "core/defaults.hpp"
#include "download/downloader.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace gaia {

namespace {

using json = nlohmann::json;

// The one table of settings: key, environment variable, documentation.
// parse, apply and print below all walk it, so a key cannot be half-added.
const std::vector<setting_doc> docs = {
  {"archive_url_template", "GAIA_ARCHIVE_URL_TEMPLATE",
   "URL of one archive file; %s is replaced by the range (000000-003111)"},
  {"file_boundaries", "GAIA_FILE_BOUNDARIES",
   "N+1 increasing HEALPix level-8 bounds of the N files (env: comma list), or "
   "\"all\" / \"all:N\" / \"all:A-B\": the files the archive's _MD5SUM.txt lists "
   "(all, the first N, the A-th to the B-th)"},
  {"output_dir", "GAIA_OUTPUT_DIR",
   "where results.csv, the markers, downloads/ and aggregates/ live"},
  {"poll_interval_ms", "GAIA_POLL_INTERVAL_MS",
   "how often the service looks at the markers"},
  {"download_pool_size", "GAIA_DOWNLOAD_POOL", "parallel downloads"},
  {"import_pool_size", "GAIA_IMPORT_POOL",
   "parallel imports (default: number of cores)"},
  {"http_timeout_s", "GAIA_HTTP_TIMEOUT_SECONDS",
   "longest time one attempt at a file's transfer may take"},
  {"request_timeout_s", "GAIA_REQUEST_TIMEOUT_SECONDS",
   "longest time one job (a file's download or import, compute, export) may take"},
  {"download_retries", "GAIA_DOWNLOAD_RETRIES",
   "further attempts of a download after a timeout, stall, dropped "
   "connection, HTTP 5xx/429, non-gzip body or MD5 mismatch"},
  {"connect_timeout_s", "GAIA_CONNECT_TIMEOUT_SECONDS",
   "longest time one connection attempt may take"},
  {"stall_timeout_s", "GAIA_STALL_TIMEOUT_SECONDS",
   "a transfer slower than stall_min_bytes_per_s for this long is retried"},
  {"stall_min_bytes_per_s", "GAIA_STALL_MIN_BYTES_PER_SECOND",
   "the speed below which a transfer counts as stalled (0 = never)"},
  {"retry_backoff_ms", "GAIA_RETRY_BACKOFF_MS",
   "wait before the first retry; doubles per retry (with jitter)"},
  {"max_file_bytes", "GAIA_MAX_FILE_BYTES",
   "a download larger than this (or than its Content-Length) is aborted"},
  {"max_line_bytes", "GAIA_MAX_LINE_BYTES",
   "a row longer than this ends the file's import with an error"},
  {"keep_downloads", "GAIA_KEEP_DOWNLOADS",
   "keep the archive files in downloads/ (true); false: only the checkpoints "
   "stay, the files are imported as they stream in"},
  {"checksum_url", "GAIA_CHECKSUM_URL",
   "the _MD5SUM.txt downloads are checked against (default: beside the "
   "archive files; \"\" or \"none\" = no checks)"},
  {"trace_keep_runs", "GAIA_TRACE_KEEP_RUNS",
   "runs whose message trace is kept in output_dir/trace (oldest go first; 0 = no traces)"},
  {"trace_max_bytes", "GAIA_TRACE_MAX_BYTES",
   "the kept traces together stay below this (oldest go first)"},
  {"web_port", "GAIA_WEB_PORT",
   "serve: the live page, /metrics, /livez and /readyz on this port (0 = off)"},
  {"web_bind", "GAIA_WEB_BIND",
   "serve: the page's address (127.0.0.1 = this machine only)"},
  // The "cluster" object (keys "cluster.X" here): several machines.
  {"cluster.port", "GAIA_CLUSTER_PORT",
   "serve/run: the port remote workers connect to (0 = no remote workers)"},
  {"cluster.listen", "GAIA_CLUSTER_LISTEN",
   "serve/run: the address it listens on; another than loopback needs the TLS files"},
  {"cluster.coordinator_host", "GAIA_CLUSTER_COORDINATOR_HOST",
   "worker: the coordinator's host"},
  {"cluster.coordinator_port", "GAIA_CLUSTER_COORDINATOR_PORT",
   "worker: the coordinator's cluster.port"},
  {"cluster.certificate", "GAIA_CLUSTER_CERTIFICATE",
   "this node's PEM certificate, signed by cluster.cafile (mutual TLS)"},
  {"cluster.key", "GAIA_CLUSTER_KEY", "the certificate's PEM private key"},
  {"cluster.cafile", "GAIA_CLUSTER_CAFILE",
   "the PEM CA every node's certificate must be signed by"},
  {"cluster.worker_name", "GAIA_CLUSTER_WORKER_NAME",
   "worker: its name in the coordinator's log and trace (default: the host name)"},
  {"cluster.imports", "GAIA_CLUSTER_IMPORTS",
   "worker: also join the import pool, for file:// archives (it must see the same paths)"},
  {"cluster.connection_timeout_ms", "GAIA_CLUSTER_CONNECTION_TIMEOUT_MS",
   "a node silent for this long (killed, frozen, cut off) is dropped; its jobs move on"},
};

std::string quoted(const std::string& s) { return "'" + s + "'"; }

int int_in_range(const json& v, const std::string& where, long long lo,
                 long long hi) {
  if (!v.is_number_integer())
    throw config_error(where + ": expected an integer, got " + v.dump());
  auto x = v.get<long long>();
  if (x < lo || x > hi)
    throw config_error(where + ": " + std::to_string(x) + " is out of range ["
                       + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(x);
}

int64_t int64_in_range(const json& v, const std::string& where, int64_t lo,
                       int64_t hi) {
  if (!v.is_number_integer())
    throw config_error(where + ": expected an integer, got " + v.dump());
  auto x = v.get<int64_t>();
  if (x < lo || x > hi)
    throw config_error(where + ": " + std::to_string(x) + " is out of range ["
                       + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

std::string string_value(const json& v, const std::string& where) {
  if (!v.is_string())
    throw config_error(where + ": expected a string, got " + v.dump());
  return v.get<std::string>();
}

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

bool bool_value(const json& v, const std::string& where) {
  if (!v.is_boolean())
    throw config_error(where + ": expected true or false, got " + v.dump());
  return v.get<bool>();
}

std::vector<int64_t> boundaries_value(const json& v, const std::string& where) {
  if (!v.is_array())
    throw config_error(where + ": expected an array of integers, got "
                       + v.dump());
  std::vector<int64_t> out;
  for (const auto& e : v) {
    if (!e.is_number_integer())
      throw config_error(where + ": expected integers, got " + e.dump());
    out.push_back(e.get<int64_t>());
  }
  return out;
}

// Environment values are text; turn them into the JSON the file would hold
// so both go through the same checks.
json env_to_json(const std::string& key, const std::string& text,
                 const std::string& var) {
  auto parse_int = [&](const std::string& t) -> long long {
    long long x = 0;
    const char* b = t.data();
    const char* e = t.data() + t.size();
    while (b < e && *b == ' ') ++b;
    while (e > b && e[-1] == ' ') --e;
    auto r = std::from_chars(b, e, x);
    if (b == e || r.ec != std::errc() || r.ptr != e)
      throw config_error(var + ": expected an integer, got " + quoted(text));
    return x;
  };
  if (key == "web_bind" || (key.rfind("cluster.", 0) == 0 && key.find("port") == std::string::npos
                            && key.find("timeout") == std::string::npos))
    return text;
  if (key == "archive_url_template" || key == "output_dir"
      || key == "checksum_url")
    return text;
  if (key == "file_boundaries" && text.rfind("all", 0) == 0)
    return text;
  if (key == "keep_downloads" || key == "cluster.imports") {
    if (text == "true" || text == "1" || text == "yes") return true;
    if (text == "false" || text == "0" || text == "no") return false;
    throw config_error(var + ": expected true or false, got " + quoted(text));
  }
  if (key == "file_boundaries") {
    json arr = json::array();
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
      arr.push_back(parse_int(item));
    return arr;
  }
  return parse_int(text);
}

void apply(settings& s, const std::string& key, const json& v,
           const std::string& where) {
  if (key == "archive_url_template")
    s.archive_url_template = string_value(v, where);
  else if (key == "file_boundaries" && v.is_string()) {
    s.files = selection_value(v.get<std::string>(), where);
    s.file_boundaries.clear();
  } else if (key == "file_boundaries") {
    s.file_boundaries = boundaries_value(v, where);
    s.files = file_selection{};
  } else if (key == "keep_downloads")
    s.keep_downloads = bool_value(v, where);
  else if (key == "output_dir")
    s.output_dir = string_value(v, where);
  else if (key == "poll_interval_ms")
    s.poll_interval_ms = int_in_range(v, where, 10, 86'400'000);
  else if (key == "download_pool_size")
    s.download_pool_size = int_in_range(v, where, 1, 256);
  else if (key == "import_pool_size")
    s.import_pool_size = int_in_range(v, where, 1, 256);
  else if (key == "http_timeout_s")
    s.http_timeout_s = int_in_range(v, where, 1, 7 * 86'400);
  else if (key == "request_timeout_s")
    s.request_timeout_s = int_in_range(v, where, 1, 30 * 86'400);
  else if (key == "download_retries")
    s.download_retries = int_in_range(v, where, 0, 100);
  else if (key == "connect_timeout_s")
    s.connect_timeout_s = int_in_range(v, where, 1, 3600);
  else if (key == "stall_timeout_s")
    s.stall_timeout_s = int_in_range(v, where, 1, 86'400);
  else if (key == "stall_min_bytes_per_s")
    s.stall_min_bytes_per_s = int_in_range(v, where, 0, 1'000'000'000);
  else if (key == "retry_backoff_ms")
    s.retry_backoff_ms = int_in_range(v, where, 0, 600'000);
  else if (key == "max_file_bytes")
    s.max_file_bytes = int64_in_range(v, where, 1024, int64_t{1} << 40);
  else if (key == "max_line_bytes")
    s.max_line_bytes = int64_in_range(v, where, 1024, int64_t{1} << 32);
  else if (key == "checksum_url") {
    auto url = string_value(v, where);
    s.checksum_url = url == "none" ? "" : url;
  }
  else if (key == "trace_keep_runs")
    s.trace_keep_runs = int_in_range(v, where, 0, 100'000);
  else if (key == "trace_max_bytes")
    s.trace_max_bytes = int64_in_range(v, where, 65'536, int64_t{1} << 40);
  else if (key == "web_port")
    s.web_port = int_in_range(v, where, 0, 65'535);
  else if (key == "cluster.port")
    s.cluster.port = int_in_range(v, where, 0, 65'535);
  else if (key == "cluster.coordinator_port")
    s.cluster.coordinator_port = int_in_range(v, where, 0, 65'535);
  else if (key == "cluster.connection_timeout_ms")
    s.cluster.connection_timeout_ms = int_in_range(v, where, 500, 3'600'000);
  else if (key == "cluster.listen")
    s.cluster.listen = string_value(v, where);
  else if (key == "cluster.coordinator_host")
    s.cluster.coordinator_host = string_value(v, where);
  else if (key == "cluster.certificate")
    s.cluster.certificate = string_value(v, where);
  else if (key == "cluster.key")
    s.cluster.key = string_value(v, where);
  else if (key == "cluster.cafile")
    s.cluster.cafile = string_value(v, where);
  else if (key == "cluster.imports")
    s.cluster.imports = bool_value(v, where);
  else if (key == "cluster.worker_name")
    s.cluster.worker_name = string_value(v, where);
  else if (key == "web_bind") {
    s.web_bind = string_value(v, where);
    if (s.web_bind.empty())
      throw config_error(where + ": must not be empty (127.0.0.1: this machine only)");
  }
}

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// The cluster object: TLS is all three files or none, each readable; no
// address but loopback without TLS (CAF would otherwise fall back to
// anonymous ciphers, or to plain TCP).
void validate_cluster(const cluster_settings& c, const std::string& origin) {
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

// Checks that need more than one value or more than the type.
void validate(const settings& s, const std::string& origin) {
  validate_cluster(s.cluster, origin);
  if (s.archive_url_template.find("%s") == std::string::npos)
    throw config_error(origin + ": archive_url_template: must contain %s "
                       "(the file range), got "
                       + quoted(s.archive_url_template));
  if (s.output_dir.empty())
    throw config_error(origin + ": output_dir: must not be empty");
  if (s.checksum_url && !s.checksum_url->empty()) {
    const auto& u = *s.checksum_url;
    bool url = false;
    for (const char* scheme : {"https://", "http://", "file://"})
      url = url || u.rfind(scheme, 0) == 0;
    if (!url)
      throw config_error(origin + ": checksum_url: must be an https://, "
                         "http:// or file:// URL, \"\" or \"none\", got "
                         + quoted(u));
  }
  if (s.files.from_list) {
    if (checksum_source_of(s).url.empty())
      throw config_error(origin + ": file_boundaries: " + quoted(s.files.text)
                         + " takes the files from the archive's _MD5SUM.txt, but "
                           "checksum_url is none");
    return;
  }
  const auto& b = s.file_boundaries;
  if (b.size() < 2)
    throw config_error(origin + ": file_boundaries: need at least two "
                       "numbers (one file), got "
                       + std::to_string(b.size()));
  if (b.front() < 0)
    throw config_error(origin + ": file_boundaries: must not be negative");
  for (size_t i = 1; i < b.size(); ++i)
    if (b[i] <= b[i - 1])
      throw config_error(origin + ": file_boundaries: must increase, but "
                         + std::to_string(b[i]) + " follows "
                         + std::to_string(b[i - 1]) + " (position "
                         + std::to_string(i) + ")");
  // Level-8 HEALPix has 12 * 4^8 = 786432 pixels; file labels have 6 digits.
  if (b.back() > 786432)
    throw config_error(origin + ": file_boundaries: " + std::to_string(b.back())
                       + " is beyond the last HEALPix level-8 index 786432");
}

} // namespace

env_lookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    // An empty variable counts as unset: docker compose passes declared
    // but unset variables through as empty strings.
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0')
      return std::string(v);
    return std::nullopt;
  };
}

checksum_source checksum_source_of(const settings& s) {
  if (s.checksum_url) return {*s.checksum_url, !s.checksum_url->empty()};
  return {derived_checksum_url(s.archive_url_template), false};
}

settings default_settings() {
  settings s;
  s.archive_url_template = defaults::archive_url_template;
  s.file_boundaries = defaults::file_boundaries;
  s.output_dir = defaults::output_dir;
  s.poll_interval_ms = defaults::poll_interval_ms;
  s.download_pool_size = 4;
  unsigned cores = std::thread::hardware_concurrency();
  s.import_pool_size = cores == 0 ? 2 : static_cast<int>(cores);
  s.http_timeout_s = defaults::http_timeout_s;
  s.request_timeout_s = defaults::request_timeout_s;
  // The download defaults live with the downloader, in one place.
  const download_options d;
  s.download_retries = d.retries;
  s.connect_timeout_s = static_cast<int>(d.connect_timeout_s);
  s.stall_timeout_s = static_cast<int>(d.stall_timeout_s);
  s.stall_min_bytes_per_s = static_cast<int>(d.stall_min_bytes_per_s);
  s.retry_backoff_ms = d.retry_backoff_ms;
  s.max_file_bytes = defaults::max_file_bytes;
  s.max_line_bytes = defaults::max_line_bytes;
  s.keep_downloads = true;
  return s;
}

settings parse_settings(const std::string& json_text, const std::string& origin,
                        const env_lookup& env) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw config_error(origin + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object())
    throw config_error(origin + ": expected a JSON object at the top level");
  settings s = default_settings();
  for (const auto& [key, value] : doc.items()) {
    if (key == "cluster") {
      if (!value.is_object())
        throw config_error(origin + ": cluster: expected an object, got " + value.dump());
      for (const auto& [sub, v] : value.items()) {
        const std::string full = "cluster." + sub;
        bool known = false;
        for (const auto& d : docs) known = known || full == d.key;
        if (!known) throw config_error(origin + ": unknown key " + quoted(full));
        apply(s, full, v, origin + ": " + full);
      }
      continue;
    }
    bool known = false;
    for (const auto& d : docs)
      known = known || (key == d.key && key.find('.') == std::string::npos);
    if (!known)
      throw config_error(origin + ": unknown key " + quoted(key));
    apply(s, key, value, origin + ": " + key);
  }
  for (const auto& d : docs) {
    if (auto text = env(d.env))
      apply(s, d.key, env_to_json(d.key, *text, d.env),
            std::string(d.env) + " (" + d.key + ")");
  }
  validate(s, origin);
  return s;
}

settings load_settings(const std::string& path, const env_lookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw config_error(path + ": cannot read the config file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_settings(ss.str(), path, env);
}

nlohmann::json to_json(const settings& s) {
  return json{{"archive_url_template", s.archive_url_template},
              {"file_boundaries", s.files.from_list ? json(s.files.text) : json(s.file_boundaries)},
              {"output_dir", s.output_dir},
              {"poll_interval_ms", s.poll_interval_ms},
              {"download_pool_size", s.download_pool_size},
              {"import_pool_size", s.import_pool_size},
              {"http_timeout_s", s.http_timeout_s},
              {"request_timeout_s", s.request_timeout_s},
              {"download_retries", s.download_retries},
              {"connect_timeout_s", s.connect_timeout_s},
              {"stall_timeout_s", s.stall_timeout_s},
              {"stall_min_bytes_per_s", s.stall_min_bytes_per_s},
              {"retry_backoff_ms", s.retry_backoff_ms},
              {"max_file_bytes", s.max_file_bytes},
              {"max_line_bytes", s.max_line_bytes},
              {"keep_downloads", s.keep_downloads},
              // resolved: the derived URL when none was configured
              {"checksum_url", checksum_source_of(s).url},
              {"trace_keep_runs", s.trace_keep_runs},
              {"trace_max_bytes", s.trace_max_bytes},
              {"web_port", s.web_port},
              {"web_bind", s.web_bind},
              {"cluster", json{{"port", s.cluster.port},
                               {"listen", s.cluster.listen},
                               {"coordinator_host", s.cluster.coordinator_host},
                               {"coordinator_port", s.cluster.coordinator_port},
                               {"certificate", s.cluster.certificate},
                               {"key", s.cluster.key},
                               {"cafile", s.cluster.cafile},
                               {"worker_name", s.cluster.worker_name},
                               {"imports", s.cluster.imports},
                               {"connection_timeout_ms", s.cluster.connection_timeout_ms}}}};
}

const std::vector<setting_doc>& setting_docs() { return docs; }

} // namespace gaia
