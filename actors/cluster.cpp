// The Gaia production over several machines: see actors/cluster.hpp.
#include "actors/cluster.hpp"

#include "actors/operations.hpp"
#include "actors/production.hpp"
#include "actors/version.hpp"
#include "engine/errors.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "engine/trace.hpp"
#include "core/errors.hpp"
#include "importer/file_importer.hpp"

#include <caf/io/all.hpp>

#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

namespace gaia {

namespace fs = std::filesystem;

std::string cluster_version() {
  if (const char* v = std::getenv("GAIA_CLUSTER_VERSION"); v != nullptr && *v != '\0')
    return v;
  caf::actor_system_config cfg;
  register_messages(cfg);
  return software_version() + " (messages "
         + engine::message_types_digest(cfg) + ")";
}

engine::cluster_net cluster_net_of(const cluster_settings& c) {
  engine::cluster_net net;
  net.tls = {c.certificate, c.key, c.cafile};
  net.app_id = "gaia-dr3"; // other CAF applications: refused at the handshake
  net.version = cluster_version();
  net.connection_timeout = std::chrono::milliseconds(c.connection_timeout_ms);
  net.heartbeat = std::chrono::milliseconds(std::max(100, c.connection_timeout_ms / 4));
  return net;
}

namespace {

std::string read_bytes(const std::string& path) {
  auto bytes = engine::read_whole_file(path);
  if (!bytes) throw engine::input_error(path + ": cannot read the checkpoint");
  return std::move(*bytes);
}

/// Where a worker keeps its own checkpoints (and, while fetching, its
/// downloads): under its output_dir, named like the coordinator's.
std::string scratch_path(const service_settings& s, const std::string& sub,
                         const std::string& path) {
  auto dir = fs::path(s.output_dir) / sub;
  fs::create_directories(dir);
  return (dir / fs::path(path).filename()).string();
}

std::optional<input_fingerprint> local_copy(const std::string& path) {
  std::error_code ec;
  if (!path.empty() && fs::is_regular_file(path, ec)) return fingerprint_of(path);
  return std::nullopt;
}

// ---- coordinator: the stand-ins of remote workers ------------------------

/// The importer of the file a download or import request names.
template <class Request>
file_importer importer_of(const Request& req) {
  return file_importer(req.label, req.url, req.checkpoint_path, req.expected_md5,
                       req.max_line_bytes);
}

/// What the stand-ins and shippers of one kind of job differ in.
template <class Request>
struct job_kind;

template <>
struct job_kind<download_request> {
  using reply = download_reply;
  using shipped = shipped_download;
  using remote = remote_download_actor;
  static constexpr const char* name = node_id::download;
  /// A checkpoint of this very file here already: no need to ship it.
  static std::optional<download_reply> here(const download_request& req) {
    if (req.force) return std::nullopt;
    // Only a published MD5 can tell here (version_check::none).
    auto reused = importer_of(req).reuse(local_copy(req.path), version_check::none);
    if (!reused) return std::nullopt;
    download_reply r;
    r.label = req.label;
    r.bytes = reused->bytes;
    r.reused = true;
    r.import = std::move(*reused);
    return r;
  }
  /// The reply as the coordinator's own download would give it.
  static void settle(download_reply& r, const download_request& req) {
    r.path.clear(); // the archive file stays on the worker
    r.import.checkpoint_path = req.checkpoint_path;
  }
  /// The request with the worker's own paths under its output_dir.
  static void relocate(download_request& req, const service_settings& cfg) {
    req.checkpoint_path = scratch_path(cfg, "aggregates", req.checkpoint_path);
    req.path = scratch_path(cfg, "downloads", req.path);
    req.keep = false; // the coordinator has no copy to check it against
  }
};

template <>
struct job_kind<import_request> {
  using reply = import_reply;
  using shipped = shipped_import;
  using remote = remote_import_actor;
  static constexpr const char* name = node_id::import;
  static std::optional<import_reply> here(const import_request&) { return std::nullopt; }
  static void settle(import_reply& r, const import_request& req) {
    r.checkpoint_path = req.checkpoint_path;
  }
  static void relocate(import_request& req, const service_settings& cfg) {
    req.checkpoint_path = scratch_path(cfg, "aggregates", req.checkpoint_path);
  }
};

template <class Request>
using kind_reply = typename job_kind<Request>::reply;
template <class Request>
using local_worker = engine::worker_actor<Request, kind_reply<Request>>;
/// A stand-in: a worker, and (cancel, run) passed on to the remote one.
template <class Request>
using standin_actor = engine::pool_actor<Request, kind_reply<Request>>;

template <class Request>
struct standin_state {
  typename job_kind<Request>::remote remote;
  std::string worker; ///< "download#3 (w1/download1)"
  static inline const char* name = "remote_worker";
};

/// A remote worker as its pool sees it: forwards each job, validates and
/// stores the checkpoint it ships back, answers with the local reply.
template <class Request>
typename standin_actor<Request>::behavior_type
standin(typename standin_actor<Request>::template stateful_pointer<standin_state<Request>> self,
        typename job_kind<Request>::remote remote, std::string worker) {
  using kind = job_kind<Request>;
  using reply = kind_reply<Request>;
  self->state.remote = std::move(remote);
  self->state.worker = std::move(worker);
  return {
    [self](const Request& req) -> caf::result<reply> {
      if (auto r = kind::here(req)) return std::move(*r);
      auto rp = self->template make_response_promise<reply>();
      const auto worker = self->state.worker;
      self->request(self->state.remote, caf::infinite, req)
        .then(
          [rp, req, worker](typename kind::shipped& s) mutable {
            auto stored = answer(gaia_errc::import_failed, [&] {
              importer_of(req).store_shipped(s.checkpoint, worker);
              return true;
            });
            if (!stored) {
              rp.deliver(std::move(stored.error()));
              return;
            }
            engine::log_line("cluster", worker + " did " + req.label + " (checkpoint of "
                                          + engine::format_mb(s.checkpoint.size()) + " shipped)");
            kind::settle(s.reply, req);
            rp.deliver(std::move(s.reply));
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](engine::cancel_atom, uint64_t run) {
      self->send(self->state.remote, engine::cancel_atom::value, run);
    },
  };
}

// ---- worker: the shippers ------------------------------------------------

template <class Request>
struct shipper_state {
  service_settings cfg; ///< its output_dir: where the worker's own paths are
  local_worker<Request> local;
  std::shared_ptr<engine::run_control> runs; ///< shared with `local`
  static inline const char* name = "shipper";
};

/// A worker's side of one slot: runs the job on its own operation, with
/// its own paths, and ships the checkpoint's bytes back.
template <class Request>
typename job_kind<Request>::remote::behavior_type
shipper(typename job_kind<Request>::remote::template stateful_pointer<shipper_state<Request>> self,
        service_settings cfg, local_worker<Request> local,
        std::shared_ptr<engine::run_control> runs) {
  using kind = job_kind<Request>;
  using shipped = typename kind::shipped;
  self->state.cfg = std::move(cfg);
  self->state.local = std::move(local);
  self->state.runs = std::move(runs);
  self->link_to(self->state.local);
  return {
    [self](Request req) -> caf::result<shipped> {
      // The worker's own paths: a directory it cannot make fails the job.
      auto relocated = answer(gaia_errc::import_failed, [&] {
        kind::relocate(req, self->state.cfg);
        return true;
      });
      if (!relocated) return std::move(relocated.error());
      engine::log_line("worker", std::string(kind::name) + " " + req.label);
      auto rp = self->template make_response_promise<shipped>();
      self->request(self->state.local, caf::infinite, req)
        .then(
          [rp, req](kind_reply<Request>& r) mutable {
            auto bytes = answer(gaia_errc::import_failed,
                                [&] { return read_bytes(req.checkpoint_path); });
            if (bytes)
              rp.deliver(shipped{std::move(r), std::move(*bytes)});
            else
              rp.deliver(std::move(bytes.error()));
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](engine::cancel_atom, uint64_t run) {
      // The coordinator cancelled the run: its transfer here stops at the
      // next progress tick, like a local one.
      if (!self->state.runs->cancelled(run))
        engine::log_line("worker", "run " + std::to_string(run) + " cancelled by the coordinator");
      self->state.runs->cancel(run);
    },
  };
}

/// A pool's adopter: a stand-in for a remote worker that declares the
/// kind's remote interface (none for another).
template <class Request>
engine::remote_adapter<Request, kind_reply<Request>> adapter() {
  return [](caf::actor_system& sys, const engine::remote_worker& w,
            const std::string& name) -> local_worker<Request> {
    auto remote = engine::typed_remote<typename job_kind<Request>::remote>(sys, w);
    if (!remote) return {};
    // Scheduled, not detached, as the light-curve stand-in and for its
    // reason (lightcurve_production/select_standin.cpp): a reference CAF's
    // middleman keeps must not hold the process at exit.
    return sys.spawn(standin<Request>, remote, name);
  };
}

} // namespace

std::map<std::string, std::any> remote_adapters() {
  return {{node_id::download, adapter<download_request>()},
          {node_id::import, adapter<import_request>()}};
}

// ---- coordinator ---------------------------------------------------------

coordinator::coordinator(caf::actor_system& sys, const cluster_settings& c,
                         std::map<std::string, std::any> adapters)
  : pools_(std::make_shared<engine::cluster_pools>()), adapters_(std::move(adapters)) {
  for (const auto& kv : adapters_) names_.push_back(kv.first);
  pools_->offer(names_);
  auto net = cluster_net_of(c);
  acceptor_ = engine::spawn_acceptor(sys, pools_, net.version + " on " + engine::this_host(),
                                     net.version);
  auto port = engine::publish_acceptor(acceptor_, c.listen,
                                       static_cast<uint16_t>(c.port), net);
  if (!port) {
    caf::anon_send_exit(acceptor_, caf::exit_reason::user_shutdown);
    throw std::runtime_error("cluster: cannot listen on " + c.listen + ":"
                             + std::to_string(c.port) + ": " + sys.render(port.error()));
  }
  port_ = *port;
  engine::log_line("cluster", "workers join on " + c.listen + ":" + std::to_string(port_)
                                + (net.tls.enabled() ? " (mutual TLS)" : " (loopback, no TLS)")
                                + ", " + net.version);
}

coordinator::~coordinator() {
  caf::anon_send_exit(acceptor_, caf::exit_reason::user_shutdown);
  pools_->clear();
}

void coordinator::attach(engine::spawn_options& opts) {
  opts.remote_adapters = adapters_;
  opts.on_spawned = [pools = pools_, names = names_](const engine::running_production& running) {
    pools->attach(running, names);
  };
}

// ---- the worker process --------------------------------------------------

namespace {

using slot = worker_slot;

/// A slot of `pool` for a shipper of Request's kind.
template <class Request>
slot slot_of(const char* pool, typename job_kind<Request>::remote shipper, std::string name,
             const caf::actor_system& sys) {
  return {pool,
          {caf::actor_cast<caf::actor>(shipper),
           engine::interface_of<typename job_kind<Request>::remote>(sys)},
          std::move(name)};
}

/// True when `err` will not pass by trying again (another version, other
/// message types).
bool refused_for_good(const caf::error& err) {
  return err == caf::sec::incompatible_application_ids
         || err == caf::sec::unexpected_actor_messaging_interface;
}

} // namespace

int run_worker(const settings& s, engine::signal_waiter& signals,
               const std::vector<worker_slots>& more) {
  auto signal_runs = std::make_shared<engine::run_control>();
  int code = 0;
  {
    caf::actor_system_config cfg;
    configure_actor_system(cfg);
    const auto net = cluster_net_of(s.cluster);
    engine::configure_cluster(cfg, net);
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    caf::actor me = self;
    signals.start("stopping the worker", signal_runs,
                  [me] { caf::anon_send(me, engine::shutdown_atom::value); });
    const std::string host = engine::this_host();
    const std::string name = s.cluster.worker_name.empty() ? host : s.cluster.worker_name;
    // The workers of one connection, with a run control of their own: run
    // ids are the coordinator's, and another coordinator (or the same one
    // restarted elsewhere) may use them again.
    auto make_slots = [&](const std::shared_ptr<engine::run_control>& runs) {
      // The shippers, which the coordinator knows, are scheduled actors,
      // their operations detached (they block on transfers): see the
      // stand-in's spawn for why an actor a remote node knows is not
      // detached.
      std::vector<slot> slots;
      // A worker process has no /metrics: its retries are logged, not
      // counted.
      const std::shared_ptr<retry_counter> uncounted;
      const auto& own_paths = s.get<service_settings>();
      for (int i = 1; i <= s.download_pool_size; ++i) {
        auto local = sys.spawn<caf::detached>(download_operation, s.get<download_settings>(), runs,
                                              uncounted);
        slots.push_back(slot_of<download_request>(
          node_id::download,
          sys.spawn(shipper<download_request>, own_paths, local, runs),
          name + "/" + node_id::download + std::to_string(i), sys));
      }
      for (int i = 1; s.cluster.imports && i <= s.import_pool_size; ++i) {
        auto local = sys.spawn<caf::detached>(import_operation, s.get<download_settings>(), runs);
        slots.push_back(slot_of<import_request>(
          node_id::import, sys.spawn(shipper<import_request>, own_paths, local, runs),
          name + "/" + node_id::import + std::to_string(i), sys));
      }
      for (const auto& m : more) {
        auto extra = m.make(sys, runs, name);
        slots.insert(slots.end(), extra.begin(), extra.end());
      }
      return slots;
    };
    // The connection is gone: whatever they do is for nobody now.
    auto drop_slots = [](std::vector<slot>& slots, engine::run_control& runs) {
      runs.cancel_all();
      for (const auto& sl : slots)
        caf::anon_send_exit(sl.worker.handle, caf::exit_reason::user_shutdown);
      slots.clear();
    };
    std::string more_text;
    for (const auto& m : more) more_text += ", " + m.what;
    const std::string where = s.cluster.coordinator_host + ":"
                              + std::to_string(s.cluster.coordinator_port);
    engine::log_line("worker", name + ": " + std::to_string(s.download_pool_size)
                                 + " download, "
                                 + std::to_string(s.cluster.imports ? s.import_pool_size : 0)
                                 + " import" + more_text + " workers for " + where
                                 + (net.tls.enabled() ? " (mutual TLS)" : " (loopback, no TLS)")
                                 + ", " + net.version);
    auto backoff = std::chrono::milliseconds(100);
    bool stopping = false;
    std::string last_error;
    while (!stopping) {
      auto acceptor = engine::connect_acceptor(sys, s.cluster.coordinator_host,
                                               static_cast<uint16_t>(s.cluster.coordinator_port),
                                               net);
      if (!acceptor) {
        // Ours (a TLS refusal, said in words) or CAF's.
        auto text = engine::is_error(acceptor.error(), engine::errc::refused)
                      ? engine::error_text(acceptor.error())
                      : sys.render(acceptor.error());
        if (refused_for_good(acceptor.error())) {
          engine::log_line("worker", "refused by the coordinator at " + where + ": " + text
                                       + " (this worker is " + net.version + ")");
          code = 2;
          break;
        }
        if (text != last_error)
          engine::log_line("worker", "cannot reach the coordinator at " + where + ": " + text
                                       + "; trying again");
        last_error = text;
      } else {
        last_error.clear();
        backoff = std::chrono::milliseconds(100);
        self->monitor(*acceptor);
        auto runs = std::make_shared<engine::run_control>();
        auto slots = make_slots(runs);
        int joined = 0;
        bool refused = false;
        std::vector<std::string> idle; // slots of pools the coordinator does not run
        for (const auto& sl : slots) {
          if (refused) break;
          self->request(*acceptor, std::chrono::seconds(5), engine::join_atom::value, sl.pool,
                        sl.worker.handle, sl.worker.interface, sl.name, host, net.version)
            .receive(
              [&](const std::string& greeting) {
                if (++joined == 1) engine::log_line("worker", "joined " + greeting + " at " + where);
              },
              [&](caf::error& err) {
                if (engine::is_error(err, engine::errc::refused)
                    && engine::error_text(err).rfind("it is ", 0) == 0) {
                  engine::log_line("worker", "refused by the coordinator at " + where + ": "
                                               + engine::error_text(err));
                  refused = true;
                  return;
                }
                if (engine::is_error(err, engine::errc::refused)
                    && engine::error_text(err).rfind("no pool ", 0) == 0) {
                  idle.push_back(sl.name);
                  return;
                }
                engine::log_line("worker", sl.name + " not joined: " + engine::error_text(err));
              });
        }
        if (!refused && joined > 0 && !idle.empty()) {
          std::string names;
          for (const auto& n : idle) names += (names.empty() ? "" : ", ") + n;
          engine::log_line("worker", "idle here (the coordinator runs no pool for them): "
                                       + names);
        }
        if (refused) {
          drop_slots(slots, *runs);
          code = 2;
          break;
        }
        if (joined == 0) {
          drop_slots(slots, *runs);
          // The middleman handed out the old connection's proxy (it keeps
          // it a moment after the connection is gone): try again.
          self->demonitor(acceptor->address());
          self->receive([&](engine::shutdown_atom) { stopping = true; },
                        caf::after(backoff) >> [] {});
          backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
          continue;
        }
        // Until the coordinator goes away or a signal comes.
        bool gone = false;
        while (!gone && !stopping)
          self->receive(
            [&](caf::down_msg& dm) {
              if (dm.source != acceptor->address()) return;
              gone = true;
              engine::log_line("worker", "lost the coordinator at " + where + "; reconnecting");
            },
            [&](engine::shutdown_atom) { stopping = true; });
        drop_slots(slots, *runs);
      }
      // Back-off, awake for a signal.
      self->receive(
        [&](engine::shutdown_atom) { stopping = true; },
        caf::after(backoff) >> [] {});
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
    signals.stop();
  }
  engine::log_line("worker", "stopped");
  return code;
}

} // namespace gaia
