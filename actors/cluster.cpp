// The Gaia production over several machines: see actors/cluster.hpp.
#include "actors/cluster.hpp"

#include "actors/import_steps.hpp"
#include "actors/operations.hpp"
#include "actors/production.hpp"
#include "engine/errors.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "engine/trace.hpp"
#include "settings/errors.hpp"

#include <caf/io/all.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#ifndef GAIA_DR3_VERSION
#define GAIA_DR3_VERSION "0"
#endif

namespace gaia {

namespace fs = std::filesystem;

std::string cluster_version() {
  if (const char* v = std::getenv("GAIA_CLUSTER_VERSION"); v != nullptr && *v != '\0')
    return v;
  caf::actor_system_config cfg;
  register_messages(cfg);
  return std::string("gaia-dr3 ") + GAIA_DR3_VERSION + " (messages "
         + engine::message_types_digest(cfg) + ")";
}

engine::cluster_net cluster_net_of(const settings& s) {
  engine::cluster_net net;
  net.tls = {s.cluster.certificate, s.cluster.key, s.cluster.cafile};
  net.app_id = "gaia-dr3"; // other CAF applications: refused at the handshake
  net.version = cluster_version();
  net.connection_timeout = std::chrono::milliseconds(s.cluster.connection_timeout_ms);
  net.heartbeat = std::chrono::milliseconds(std::max(100, s.cluster.connection_timeout_ms / 4));
  return net;
}

void store_shipped_checkpoint(const std::string& path, const std::string& bytes,
                              const std::string& url, const std::string& worker) {
  // Validated under a name of its own, renamed only when whole and of this
  // file: a reader of aggregates/ never sees a partial or foreign one.
  const std::string tmp = path + ".shipped." + std::to_string(::getpid());
  {
    engine::atomic_file out(tmp, engine::durability::cache);
    out.write(bytes);
    out.commit();
  }
  auto info = read_checkpoint_info(tmp);
  if (!info || info->source.url != url) {
    engine::remove_if_exists(tmp);
    throw engine::input_error(url + ": the checkpoint " + worker + " sent is "
                              + (info ? "of " + info->source.url : std::string("not valid")));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    engine::remove_if_exists(tmp);
    throw engine::output_error(path + ": " + ec.message());
  }
}

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw engine::input_error(path + ": cannot read the checkpoint");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<input_fingerprint> local_copy(const std::string& path) {
  std::error_code ec;
  if (!path.empty() && fs::is_regular_file(path, ec)) return fingerprint_of(path);
  return std::nullopt;
}

// ---- coordinator: the stand-ins of remote workers ------------------------

struct download_standin_state {
  remote_download_actor remote;
  std::string worker; ///< "download#3 (w1/download1)"
  static inline const char* name = "remote_download";
};

download_worker_actor::behavior_type
download_standin(download_worker_actor::stateful_pointer<download_standin_state> self,
                 remote_download_actor remote, std::string worker) {
  self->state.remote = std::move(remote);
  self->state.worker = std::move(worker);
  return {
    [self](const download_request& req) -> caf::result<download_reply> {
      // A checkpoint of this very file here already: no need to ship it.
      if (!req.force && !req.expected_md5.empty()) {
        const source_version wanted{req.url, "", "", 0, req.expected_md5};
        if (auto info = fitting_checkpoint(req.checkpoint_path, wanted, local_copy(req.path))) {
          download_reply r;
          r.label = req.label;
          r.bytes = info->source.size;
          r.reused = true;
          r.import = reused_reply(req.label, req.checkpoint_path, *info);
          return r;
        }
      }
      auto rp = self->make_response_promise<download_reply>();
      const auto worker = self->state.worker;
      self->request(self->state.remote, caf::infinite, req)
        .then(
          [rp, req, worker](shipped_download& s) mutable {
            try {
              store_shipped_checkpoint(req.checkpoint_path, s.checkpoint, req.url, worker);
              engine::log_line("cluster", worker + " did " + req.label + " (checkpoint of "
                                            + engine::format_mb(s.checkpoint.size()) + " shipped)");
            } catch (const std::exception& e) {
              rp.deliver(error_from(e, gaia_errc::import_failed));
              return;
            }
            s.reply.path.clear(); // the archive file stays on the worker
            s.reply.import.checkpoint_path = req.checkpoint_path;
            rp.deliver(std::move(s.reply));
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

struct import_standin_state {
  remote_import_actor remote;
  std::string worker;
  static inline const char* name = "remote_import";
};

import_worker_actor::behavior_type
import_standin(import_worker_actor::stateful_pointer<import_standin_state> self,
               remote_import_actor remote, std::string worker) {
  self->state.remote = std::move(remote);
  self->state.worker = std::move(worker);
  return {
    [self](const import_request& req) -> caf::result<import_reply> {
      auto rp = self->make_response_promise<import_reply>();
      const auto worker = self->state.worker;
      self->request(self->state.remote, caf::infinite, req)
        .then(
          [rp, req, worker](shipped_import& s) mutable {
            try {
              store_shipped_checkpoint(req.checkpoint_path, s.checkpoint, req.url, worker);
              engine::log_line("cluster", worker + " did " + req.label + " (checkpoint of "
                                            + engine::format_mb(s.checkpoint.size()) + " shipped)");
            } catch (const std::exception& e) {
              rp.deliver(error_from(e, gaia_errc::import_failed));
              return;
            }
            s.reply.checkpoint_path = req.checkpoint_path;
            rp.deliver(std::move(s.reply));
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

// ---- worker: the shippers ------------------------------------------------

/// Where a worker keeps its own checkpoints: output_dir/aggregates, named
/// like the coordinator's.
std::string scratch_path(const settings& s, const std::string& sub, const std::string& path) {
  auto dir = fs::path(s.output_dir) / sub;
  fs::create_directories(dir);
  return (dir / fs::path(path).filename()).string();
}

struct download_shipper_state {
  settings cfg;
  download_worker_actor local;
  static inline const char* name = "download_shipper";
};

remote_download_actor::behavior_type
download_shipper(remote_download_actor::stateful_pointer<download_shipper_state> self,
                 settings cfg, download_worker_actor local) {
  self->state.cfg = std::move(cfg);
  self->state.local = std::move(local);
  self->link_to(self->state.local);
  return {
    [self](download_request req) -> caf::result<shipped_download> {
      const auto& cfg = self->state.cfg;
      try {
        req.checkpoint_path = scratch_path(cfg, "aggregates", req.checkpoint_path);
        req.path = scratch_path(cfg, "downloads", req.path);
        req.keep = false; // the coordinator has no copy to check it against
      } catch (const std::exception& e) {
        return error_from(e, gaia_errc::output_failed);
      }
      engine::log_line("worker", "download " + req.label);
      auto rp = self->make_response_promise<shipped_download>();
      self->request(self->state.local, caf::infinite, req)
        .then(
          [rp, req](download_reply& r) mutable {
            try {
              rp.deliver(shipped_download{std::move(r), read_bytes(req.checkpoint_path)});
            } catch (const std::exception& e) {
              rp.deliver(error_from(e, gaia_errc::import_failed));
            }
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

struct import_shipper_state {
  settings cfg;
  import_worker_actor local;
  static inline const char* name = "import_shipper";
};

remote_import_actor::behavior_type
import_shipper(remote_import_actor::stateful_pointer<import_shipper_state> self, settings cfg,
               import_worker_actor local) {
  self->state.cfg = std::move(cfg);
  self->state.local = std::move(local);
  self->link_to(self->state.local);
  return {
    [self](import_request req) -> caf::result<shipped_import> {
      try {
        req.checkpoint_path = scratch_path(self->state.cfg, "aggregates", req.checkpoint_path);
      } catch (const std::exception& e) {
        return error_from(e, gaia_errc::output_failed);
      }
      engine::log_line("worker", "import " + req.label);
      auto rp = self->make_response_promise<shipped_import>();
      self->request(self->state.local, caf::infinite, req)
        .then(
          [rp, req](import_reply& r) mutable {
            try {
              rp.deliver(shipped_import{std::move(r), read_bytes(req.checkpoint_path)});
            } catch (const std::exception& e) {
              rp.deliver(error_from(e, gaia_errc::import_failed));
            }
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

} // namespace

std::map<std::string, engine::remote_adapter> remote_adapters() {
  return {
    {"download",
     [](caf::actor_system& sys, caf::actor remote, const std::string& name) {
       return caf::actor_cast<caf::actor>(
         sys.spawn<caf::detached>(download_standin,
                                  caf::actor_cast<remote_download_actor>(remote), name));
     }},
    {"import",
     [](caf::actor_system& sys, caf::actor remote, const std::string& name) {
       return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(
         import_standin, caf::actor_cast<remote_import_actor>(remote), name));
     }},
  };
}

// ---- coordinator ---------------------------------------------------------

coordinator::coordinator(caf::actor_system& sys, const settings& s)
  : pools_(std::make_shared<engine::cluster_pools>()) {
  auto net = cluster_net_of(s);
  acceptor_ = engine::spawn_acceptor(sys, pools_, net.version + " on " + engine::this_host(),
                                     net.version);
  auto port = engine::publish_acceptor(acceptor_, s.cluster.listen,
                                       static_cast<uint16_t>(s.cluster.port), net);
  if (!port) {
    caf::anon_send_exit(acceptor_, caf::exit_reason::user_shutdown);
    throw std::runtime_error("cluster: cannot listen on " + s.cluster.listen + ":"
                             + std::to_string(s.cluster.port) + ": " + sys.render(port.error()));
  }
  port_ = *port;
  engine::log_line("cluster", "workers join on " + s.cluster.listen + ":" + std::to_string(port_)
                                + (net.tls.enabled() ? " (mutual TLS)" : " (loopback, no TLS)")
                                + ", " + net.version);
}

coordinator::~coordinator() {
  caf::anon_send_exit(acceptor_, caf::exit_reason::user_shutdown);
  pools_->clear();
}

void coordinator::attach(engine::spawn_options& opts) {
  opts.remote_adapters = remote_adapters();
  auto pools = pools_;
  opts.on_spawned = [pools](const engine::running_production& running) {
    pools->attach(running, {"download", "import"});
  };
}

// ---- the worker process --------------------------------------------------

namespace {

struct slot {
  std::string pool;
  caf::actor actor;
  std::string name;
};

/// True when `err` will not pass by trying again (another version, other
/// message types).
bool refused_for_good(const caf::error& err) {
  return err == caf::sec::incompatible_application_ids
         || err == caf::sec::unexpected_actor_messaging_interface;
}

} // namespace

int run_worker(const settings& s, engine::signal_waiter& signals) {
  auto runs = std::make_shared<engine::run_control>();
  int code = 0;
  {
    caf::actor_system_config cfg;
    configure_actor_system(cfg);
    const auto net = cluster_net_of(s);
    engine::configure_cluster(cfg, net);
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    caf::actor me = self;
    signals.start("stopping the worker", runs,
                  [me] { caf::anon_send(me, engine::shutdown_atom::value); });
    const std::string host = engine::this_host();
    const std::string name = s.cluster.worker_name.empty() ? host : s.cluster.worker_name;
    std::vector<slot> slots;
    for (int i = 1; i <= s.download_pool_size; ++i) {
      auto local = sys.spawn<caf::detached>(download_operation, s, runs);
      slots.push_back({"download",
                       caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(download_shipper, s, local)),
                       name + "/download" + std::to_string(i)});
    }
    for (int i = 1; s.cluster.imports && i <= s.import_pool_size; ++i) {
      auto local = sys.spawn<caf::detached>(import_operation, s, runs);
      slots.push_back({"import",
                       caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(import_shipper, s, local)),
                       name + "/import" + std::to_string(i)});
    }
    const std::string where = s.cluster.coordinator_host + ":"
                              + std::to_string(s.cluster.coordinator_port);
    engine::log_line("worker", name + ": " + std::to_string(s.download_pool_size)
                                 + " download and "
                                 + std::to_string(s.cluster.imports ? s.import_pool_size : 0)
                                 + " import workers for " + where
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
        auto text = sys.render(acceptor.error());
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
        int joined = 0;
        bool refused = false;
        for (const auto& sl : slots) {
          if (refused) break;
          self->request(*acceptor, std::chrono::seconds(5), engine::join_atom::value, sl.pool,
                        sl.actor, sl.name, host, net.version)
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
                engine::log_line("worker", sl.name + " not joined: " + engine::error_text(err));
              });
        }
        if (refused) {
          code = 2;
          break;
        }
        if (joined == 0) {
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
      }
      // Back-off, awake for a signal.
      self->receive(
        [&](engine::shutdown_atom) { stopping = true; },
        caf::after(backoff) >> [] {});
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
    for (const auto& sl : slots) caf::anon_send_exit(sl.actor, caf::exit_reason::user_shutdown);
    signals.stop();
  }
  engine::log_line("worker", "stopped");
  return code;
}

} // namespace gaia
