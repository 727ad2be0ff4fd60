// A production wired wrongly, to show that the compiler refuses it
// (tests/compile_fails/expect_errors.cmake). Built with -DMISWIRE=<case>,
// exactly that miswiring is in; with none, the production is wired right and
// must compile, so each failure is the miswiring's alone.
#include "engine/polling_service.hpp"
#include "engine/production.hpp"
#include "engine/spawn.hpp"
#include "engine/worker_pool.hpp"

namespace probe {

struct ping {
  uint64_t run_id = 0;
};
struct pong {};
struct other {
  uint64_t run_id = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping& x) {
  return f(caf::meta::type_name("ping"), x.run_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pong&) {
  return f(caf::meta::type_name("pong"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, other& x) {
  return f(caf::meta::type_name("other"), x.run_id);
}

using pinger = engine::worker_actor<ping, pong>;
using otherer = engine::worker_actor<other, pong>;

pinger::behavior_type pinging() {
  return {[](const ping&) { return pong{}; }};
}
otherer::behavior_type othering() {
  return {[](const other&) { return pong{}; }};
}

engine::process_actor::behavior_type running(pinger) {
  return {
    [](const engine::run_request&) { return engine::run_outcome{}; },
    [](engine::cancel_atom, uint64_t) {},
  };
}

engine::production declare() {
  engine::production prod("probe");
  auto pingers = prod.operation<ping, pong>(
    "pingers", "Ping operation", "",
#if MISWIRE == 1 // a pool whose workers answer another request
    [](engine::spawn_context& ctx) { return ctx.system().spawn(othering); },
#else
    [](engine::spawn_context& ctx) { return ctx.system().spawn(pinging); },
#endif
    engine::fixed_pool(2));
  auto others = prod.operation<other, pong>(
    "others", "Other operation", "",
    [](engine::spawn_context& ctx) { return ctx.system().spawn(othering); },
    engine::fixed_pool(1));
  auto untyped = prod.operation("untyped", "Untyped operation", "",
                                [](engine::spawn_context& ctx) {
                                  return ctx.system().spawn(
                                    []() -> caf::behavior { return {[](int) {}}; });
                                });
  auto process = prod.process("process", "Process", "",
                              [=](engine::spawn_context& ctx) {
#if MISWIRE == 2 // a process handed a peer of another interface
                                return ctx.system().spawn(running, ctx.peer(others));
#else
                                return ctx.system().spawn(running, ctx.peer(pingers));
#endif
                              });
#if MISWIRE == 3 // a service whose "process" is a pool
  auto service = prod.service("service", "Service", "",
                              engine::polling_service(engine::service_config{}, pingers));
#else
  auto service = prod.service("service", "Service", "",
                              engine::polling_service(engine::service_config{}, process));
#endif
  prod.connect(service, process);
  prod.connect<ping>(process, pingers);
  prod.connect(process, others);
#if MISWIRE == 4 // a message the target does not take
  prod.connect<other>(process, pingers);
#endif
#if MISWIRE == 5 // an edge, by reference, to an untyped node
  prod.connect<int>(process, untyped);
#endif
  (void)untyped;
  return prod;
}

} // namespace probe
