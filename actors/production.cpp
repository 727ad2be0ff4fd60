// The Gaia production, declared once (the IoP reference's production.py):
// a polling service starts runs; the benchmark process prepares each run,
// fans one download per archive file and one import per downloaded file
// out to pooled operations, then drives compute and export.
#include "actors/production.hpp"

#include "actors/benchmark_process.hpp"
#include "actors/cluster.hpp"
#include "actors/export_operation.hpp"
#include "actors/interfaces.hpp"
#include "actors/operations.hpp"
#include "actors/validate_operation.hpp"
#include "engine/polling_service.hpp"
#include "engine/runner.hpp"
#include "engine/worker_pool.hpp"
#include "settings/output_layout.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace gaia {

namespace {

/// What the service asks before each run and at every poll between: is
/// the config file still the one the production was spawned with? Each
/// answer also goes to `report`.
std::function<engine::config_check()> config_watch(const settings& s, const std::string& path,
                                                   config_report report) {
  if (path.empty()) return nullptr;
  return [s, path, report] {
    try {
      auto fresh = load_settings(path, process_env());
      if (report) report("");
      if (to_json(fresh) == to_json(s)) return engine::config_check{};
      return engine::config_check{engine::config_check::state::changed, ""};
    } catch (const config_error& e) {
      if (report) report(e.what());
      return engine::config_check{engine::config_check::state::invalid, e.what()};
    }
  };
}

/// A pooled operation's size: its settings key (the engine's declaration,
/// the graph) and the settings field that holds it.
struct pool_size_field {
  const char* key;
  int settings::*size;
};
constexpr pool_size_field download_pool{"download_pool_size", &settings::download_pool_size};
constexpr pool_size_field import_pool{"import_pool_size", &settings::import_pool_size};
constexpr pool_size_field pools[] = {download_pool, import_pool};

/// The declaration of a pool: its key, and the settings' default as its
/// default size (import_pool_size: the number of cores).
engine::pool_setting pool_of(const pool_size_field& f) {
  return engine::pool_setting{f.key, default_settings().*f.size};
}

/// A detached actor: the operations block (curl, inflate, file I/O).
template <class F, class... Ts>
auto detached(F f, Ts... args) {
  return [f, args...](engine::spawn_context& ctx) {
    return ctx.system().spawn<caf::detached>(f, args...);
  };
}

} // namespace

engine::production gaia_production(const settings& s, const std::string& config_path,
                                   config_report report, std::shared_ptr<retry_counter> retries) {
  engine::production prod("gaia-dr3");

  // Bottom up: each node after the nodes it sends to, whose typed
  // references it takes. The single operations sit behind pools of one,
  // like the pooled ones: every request of the process is queued, timed
  // and traced the same way.
  auto prepare = prod.operation<prepare_request, prepare_reply>(
    node_id::prepare, "Prepare operation", "reads the run's checksum list (_MD5SUM.txt) once",
    detached(prepare_operation, s.get<download_settings>()), engine::fixed_pool(1));
  auto download = prod.operation<download_request, download_reply>(
    node_id::download, "Download operation",
    "fetches an archive file with libcurl and imports it as it streams in "
    "(MD5, inflate, parse in one pass), kept in downloads/ or not",
    [cfg = s.get<download_settings>(), retries](engine::spawn_context& ctx) {
      return ctx.system().spawn<caf::detached>(download_operation, cfg, ctx.runs(), retries);
    },
    pool_of(download_pool));
  auto import = prod.operation<import_request, import_reply>(
    node_id::import, "Import operation",
    "reads a file:// archive file where it is (MD5, inflate, parse in one pass)",
    [cfg = s.get<download_settings>()](engine::spawn_context& ctx) {
      return ctx.system().spawn<caf::detached>(import_operation, cfg, ctx.runs());
    },
    pool_of(import_pool));
  auto validate = prod.operation<validate_request, validate_reply>(
    node_id::validate, "Validate operation",
    "checks each file's sources against the HEALPix range its name gives (misplaced_sources)",
    detached(validate_operation, s.get<validate_settings>()), engine::fixed_pool(1));
  auto compute = prod.operation<compute_request, compute_reply>(
    node_id::compute, "Compute operation",
    "k-way merge of the checkpoints by source_id, keeps changes > 100 %",
    detached(compute_operation), engine::fixed_pool(1));
  auto exporter = prod.operation<export_request, export_reply>(
    node_id::exporter, "Export operation",
    "writes results.csv, then the other export_formats (temporary name, then rename)",
    detached(export_operation, s.get<export_settings>()), engine::fixed_pool(1));

  auto process = prod.process(
    node_id::process, "Benchmark process",
    "prepares the run, pipelines downloads into imports, then compute and export",
    [cfg = process_settings_of(s), prepare, download, import, validate, compute,
     exporter](engine::spawn_context& ctx) {
      process_peers peers{ctx.peer(prepare),  ctx.peer(download), ctx.peer(import),
                          ctx.peer(validate), ctx.peer(compute),  ctx.peer(exporter)};
      return ctx.system().spawn(benchmark_process, cfg, peers, ctx.runs());
    });

  engine::service_config svc;
  svc.state = output_layout(s.output_dir).state;
  svc.poll_interval = std::chrono::milliseconds(s.poll_interval_ms);
  svc.check_config = config_watch(s, config_path, std::move(report));
  svc.config_name = config_path;
  auto service = prod.service(
    node_id::service, "Polling service",
    "polls output_dir; starts a run when no marker exists and results.lock "
    "can be taken; writes results.done / results.err",
    engine::polling_service(svc, process));

  // Each edge compiles only if its target takes the message.
  prod.connect<engine::run_request>(service, process);
  prod.connect<prepare_request>(process, prepare);
  prod.connect<download_request>(process, download);
  prod.connect<import_request>(process, import);
  prod.connect<validate_request>(process, validate);
  prod.connect<compute_request>(process, compute);
  prod.connect<export_request>(process, exporter);
  return prod;
}

engine::pool_sizes pool_sizes_of(const settings& s) {
  // The engine names a pool by its declared key; the size is the field's.
  std::map<std::string, int> sizes;
  for (const auto& f : pools) sizes[f.key] = s.*f.size;
  return [sizes](const engine::pool_setting& p) {
    auto it = sizes.find(p.key);
    return it != sizes.end() ? it->second : p.default_size;
  };
}

std::shared_ptr<engine::trace_store> trace_store_of(const settings& s) {
  if (s.trace_keep_runs <= 0) return nullptr;
  engine::trace_limits limits;
  limits.keep_runs = s.trace_keep_runs;
  limits.max_bytes = static_cast<uint64_t>(s.trace_max_bytes);
  return std::make_shared<engine::trace_store>(output_layout(s.output_dir).trace_dir, limits);
}

engine::spawn_options spawn_options_of(const settings& s) {
  engine::spawn_options o;
  o.sizes = pool_sizes_of(s);
  o.job_timeout = caf::duration{std::chrono::seconds(s.request_timeout_s)};
  o.job_timeout_text = "no reply within request_timeout_s";
  o.trace = trace_store_of(s);
  return o;
}

void configure_actor_system(caf::actor_system_config& cfg) {
  register_messages(cfg);
  // Scheduled actors only route messages; blocking work runs detached.
  // "sharing" parks idle scheduler threads on a condition variable: the
  // default work stealing spins while idle and took CPU from the imports
  // (measured: 0.4 s of CPU per 1.5 GB run on 2 cores).
  cfg.set("scheduler.max-threads", 2);
  cfg.set("scheduler.policy", caf::atom("sharing"));
}

void configure_actor_system(caf::actor_system_config& cfg, const settings& s) {
  configure_actor_system(cfg);
  if (s.cluster.port != 0) engine::configure_cluster(cfg, cluster_net_of(s.cluster));
}

engine::run_outcome run_production_once(const settings& s,
                                        std::shared_ptr<engine::run_control> runs) {
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s);
  caf::actor_system sys{cfg};
  auto opts = spawn_options_of(s);
  opts.runs = runs ? runs : std::make_shared<engine::run_control>();
  std::optional<coordinator> cluster; // after sys: it goes first
  if (s.cluster.port != 0) {
    cluster.emplace(sys, s.cluster);
    cluster->attach(opts);
  }
  return engine::run_once(sys, gaia_production(s), opts);
}

} // namespace gaia
