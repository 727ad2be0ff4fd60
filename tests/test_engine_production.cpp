// A production declared as data: validation, spawn order, the Mermaid graph
// grouped like IoP's, and spawning that hands each node only its declared
// peers.
#include "engine/production.hpp"
#include "engine/spawn.hpp"
#include "engine/worker_pool.hpp"

#include "tests/engine_fixture.hpp"

#include <doctest/doctest.h>

namespace {

struct ping {
  uint64_t run_id = 0;
};
struct pong {};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping& x) {
  return f(caf::meta::type_name("ping"), x.run_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pong&) {
  return f(caf::meta::type_name("pong"));
}

engine::spawner idle_actor() {
  return [](engine::spawn_context& ctx) {
    return ctx.system().spawn([]() -> caf::behavior { return {[](int) {}}; });
  };
}

engine::typed_spawner<engine::worker_actor<ping, pong>> ponger() {
  return [](engine::spawn_context& ctx) {
    return ctx.system().spawn(
      []() -> engine::worker_actor<ping, pong>::behavior_type {
        return {[](const ping&) { return pong{}; }};
      });
  };
}

engine::production small() {
  engine::production p("small");
  p.service("svc", "Polling service", "starts runs", idle_actor());
  p.process("proc", "Main process", "runs things", idle_actor());
  p.operation<ping, pong>("pingers", "Ping operation", "pings",
                          ponger(), engine::pool_setting{"ping_pool_size", 3});
  p.operation("single", "Single operation", "does one thing", idle_actor());
  p.connect<engine::run_request>("svc", "proc");
  p.connect<ping>("proc", "pingers");
  p.connect<ping>("proc", "single");
  return p;
}

} // namespace

TEST_CASE("engine production: validation names what does not hold together") {
  CHECK_NOTHROW(small().validate());
  auto unknown = small();
  unknown.connect<ping>("proc", "nowhere");
  CHECK_THROWS_WITH_AS(unknown.validate(),
                       "production small: edge proc -> nowhere names an unknown node 'nowhere'",
                       std::logic_error);
  auto cycle = small();
  cycle.connect<ping>("single", "proc");
  CHECK_THROWS_WITH_AS(cycle.validate(), doctest::Contains("a cycle"), std::logic_error);
  auto twice = small();
  twice.operation("single", "Again", "", idle_actor());
  CHECK_THROWS_WITH_AS(twice.validate(), "production small: two nodes named 'single'",
                       std::logic_error);
  auto blank = small();
  blank.operation("nospawn", "No spawner", "", nullptr);
  CHECK_THROWS_WITH_AS(blank.validate(), doctest::Contains("'nospawn' has no spawner"),
                       std::logic_error);
}

TEST_CASE("engine production: spawn order puts every node after its peers") {
  auto order = small().spawn_order();
  auto pos = [&](const std::string& id) {
    return std::find(order.begin(), order.end(), id) - order.begin();
  };
  REQUIRE(order.size() == 4);
  CHECK(pos("proc") > pos("pingers"));
  CHECK(pos("proc") > pos("single"));
  CHECK(pos("svc") > pos("proc"));
}

TEST_CASE("engine production: the Mermaid graph groups services, processes "
          "and operations, and names the messages") {
  auto p = small();
  const std::string want =
    "flowchart LR\n"
    "  subgraph group_services[\"Services\"]\n"
    "    svc([\"Polling service\"])\n"
    "  end\n"
    "  subgraph group_processes[\"Processes\"]\n"
    "    proc[\"Main process\"]\n"
    "  end\n"
    "  subgraph group_operations[\"Operations\"]\n"
    "    pingers[[\"Ping operation pool\"]]\n"
    "    single(\"Single operation\")\n"
    "  end\n"
    "  svc -- run_request --> proc\n"
    "  proc -- ping --> pingers\n"
    "  proc -- ping --> single\n";
  CHECK(p.to_mermaid() == want);
  engine::pool_sizes sizes = [](const engine::pool_setting& s) {
    return s.key == "ping_pool_size" ? 7 : s.default_size;
  };
  CHECK(p.to_mermaid(&sizes).find("pingers[[\"Ping operation x7\"]]") != std::string::npos);
}

TEST_CASE("engine production: spawning gives each node its declared peers "
          "only, and pools their configured size") {
  gaia::test::deterministic_system d([](caf::actor_system_config& c) {
    c.add_message_type<ping>("ping");
    c.add_message_type<pong>("pong");
  });
  auto p = small();
  std::string asked_wrongly;
  p.process("rogue", "Rogue process", "asks for a peer it has no edge to",
            [&](engine::spawn_context& ctx) {
              try {
                ctx.peer("single");
              } catch (const std::logic_error& e) {
                asked_wrongly = e.what();
              }
              return ctx.system().spawn([]() -> caf::behavior { return {[](int) {}}; });
            });
  int pool_workers = 0;
  engine::spawn_options opts;
  opts.sizes = [&](const engine::pool_setting& s) {
    pool_workers = s.default_size + 2;
    return pool_workers;
  };
  auto running = engine::spawn(*d.sys, p, opts);
  d.run();
  CHECK(running.actors.size() == 5);
  CHECK(pool_workers == 5);
  CHECK(asked_wrongly == "production small declares no edge rogue -> single");
  running.shutdown();
  d.run();
}

TEST_CASE("engine production: a fixed pool has its declared size whatever the settings, "
          "and a pool of one is drawn as the single operation it is") {
  engine::production p("fixed");
  p.service("svc", "Polling service", "starts runs", idle_actor());
  p.process("proc", "Main process", "runs things", idle_actor());
  p.operation<ping, pong>("one", "One operation", "one at a time", ponger(),
                          engine::fixed_pool(1));
  p.operation<ping, pong>("two", "Two operation", "two at a time", ponger(),
                          engine::fixed_pool(2));
  p.connect<engine::run_request>("svc", "proc");
  p.connect<ping>("proc", "one");
  p.connect<ping>("proc", "two");
  CHECK_NOTHROW(p.validate());
  auto graph = p.to_mermaid();
  CHECK(graph.find("    one(\"One operation\")\n") != std::string::npos);
  CHECK(graph.find("    two[[\"Two operation x2\"]]\n") != std::string::npos);

  gaia::test::deterministic_system d([](caf::actor_system_config& c) {
    c.add_message_type<ping>("ping");
    c.add_message_type<pong>("pong");
  });
  bool asked = false;
  engine::spawn_options opts;
  opts.sizes = [&](const engine::pool_setting&) {
    asked = true;
    return 9;
  };
  auto running = engine::spawn(*d.sys, p, opts);
  d.run();
  CHECK_FALSE(asked); // no setting to look up
  running.shutdown();
  d.run();

  auto zero = p;
  zero.operation<ping, pong>("none", "No operation", "no workers", ponger(),
                             engine::fixed_pool(0));
  CHECK_THROWS_WITH_AS(zero.validate(), doctest::Contains("'none' needs a pool setting or a fixed size"),
                       std::logic_error);
}
