#include "actors/production.hpp"

#include "actors/benchmark_process.hpp"
#include "actors/operations.hpp"
#include "actors/topology.hpp"
#include "actors/worker_pool.hpp"
#include "messages/messages.hpp"

#include <filesystem>
#include <functional>
#include <stdexcept>

namespace gaia {

namespace {

/// What a spawner may use: the system, the settings and the actors its
/// node's declared edges lead to (and no others).
class spawn_context {
public:
  spawn_context(caf::actor_system& sys, const settings& cfg,
                const service_options& opts, const topology::node& node,
                const std::map<std::string, caf::actor>& spawned)
    : sys(sys), cfg(cfg), opts(opts), node(node), spawned_(spawned) {
  }

  caf::actor peer(const std::string& to) const {
    if (!topology::has_edge(node.id, to))
      throw std::logic_error(std::string("topology declares no edge ")
                             + node.id + " -> " + to);
    auto i = spawned_.find(to);
    if (i == spawned_.end())
      throw std::logic_error(std::string(node.id) + " needs " + to
                             + ", which is not spawned yet");
    return i->second;
  }

  int workers() const { return topology::workers_of(node, cfg); }

  caf::actor_system& sys;
  const settings& cfg;
  const service_options& opts;
  const topology::node& node;

private:
  const std::map<std::string, caf::actor>& spawned_;
};

using spawner = std::function<caf::actor(const spawn_context&)>;

template <class Request, class Reply>
caf::actor spawn_pool(const spawn_context& ctx, worker_factory make,
                      job_priority<Request> priority = nullptr) {
  return ctx.sys.spawn(worker_pool<Request, Reply>, std::string(ctx.node.id),
                       ctx.workers(), std::move(make), std::move(priority),
                       caf::duration{std::chrono::seconds(
                         ctx.cfg.request_timeout_s)});
}

/// Largest archive files are imported first.
uint64_t archive_size(const import_request& req) {
  std::error_code ec;
  auto n = std::filesystem::file_size(req.archive_path, ec);
  return ec ? 0 : n;
}

const std::map<std::string, spawner>& spawners() {
  static const std::map<std::string, spawner> table = {
    {"service",
     [](const spawn_context& ctx) {
       return ctx.sys.spawn(polling_service, ctx.cfg, ctx.peer("process"),
                            ctx.opts);
     }},
    {"process",
     [](const spawn_context& ctx) {
       process_peers peers{ctx.peer("download_pool"), ctx.peer("import_pool"),
                           ctx.peer("compute"), ctx.peer("export")};
       return ctx.sys.spawn(benchmark_process, ctx.cfg, peers);
     }},
    {"download_pool",
     [](const spawn_context& ctx) {
       settings cfg = ctx.cfg;
       return spawn_pool<download_request, download_reply>(
         ctx, [cfg](caf::actor_system& sys) {
           return sys.spawn<caf::detached>(download_worker, cfg);
         });
     }},
    {"import_pool",
     [](const spawn_context& ctx) {
       return spawn_pool<import_request, import_reply>(
         ctx,
         [](caf::actor_system& sys) {
           return sys.spawn<caf::detached>(import_worker);
         },
         archive_size);
     }},
    {"compute",
     [](const spawn_context& ctx) {
       return ctx.sys.spawn<caf::detached>(compute_operation);
     }},
    {"export",
     [](const spawn_context& ctx) {
       return ctx.sys.spawn<caf::detached>(export_operation);
     }},
  };
  return table;
}

} // namespace

void configure_actor_system(caf::actor_system_config& cfg) {
  register_messages(cfg);
  // Scheduled actors only route messages; blocking work runs detached.
  // "sharing" parks idle scheduler threads on a condition variable: the
  // default work stealing spins while idle and took CPU from the imports
  // (measured: 0.4 s of CPU per 1.5 GB run on 2 cores).
  cfg.set("scheduler.max-threads", 2);
  cfg.set("scheduler.policy", caf::atom("sharing"));
}

run_outcome run_production_once(const settings& s) {
  run_outcome outcome;
  caf::actor_system_config cfg;
  configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  {
    caf::scoped_actor self{sys};
    service_options opts;
    opts.run_once = true;
    opts.listener = caf::actor{self};
    auto prod = spawn_production(sys, s, opts);
    self->monitor(prod.service());
    bool waiting = true;
    while (waiting) {
      self->receive(
        [&](run_outcome& o) {
          outcome = std::move(o);
          waiting = false;
        },
        [&](caf::down_msg& d) {
          outcome.step = "service";
          outcome.error = "stopped: " + caf::to_string(d.reason);
          waiting = false;
        });
    }
    prod.shutdown();
  }
  return outcome;
}

void production::shutdown() const {
  for (const auto& [id, a] : actors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

production spawn_production(caf::actor_system& sys, const settings& cfg,
                            const service_options& opts) {
  const auto& nodes = topology::nodes();
  const auto& table = spawners();
  for (const auto& [id, fn] : table) {
    (void) fn;
    topology::find(id); // every spawner belongs to a declared node
  }
  production p;
  // Declared so that each node talks only to later ones: spawn backwards.
  for (auto n = nodes.rbegin(); n != nodes.rend(); ++n) {
    auto fn = table.find(n->id);
    if (fn == table.end())
      throw std::logic_error(std::string("no spawner for topology node ")
                             + n->id);
    spawn_context ctx(sys, cfg, opts, *n, p.actors);
    p.actors[n->id] = fn->second(ctx);
  }
  return p;
}

} // namespace gaia
