// The cluster's pools when a process runs two productions (serve's
// variability run and its light-curve requests): attaching the second keeps
// the first one's pools for remote workers; a respawn of the first replaces
// them.
#include "engine/cluster.hpp"
#include "engine/spawn.hpp"

#include <doctest/doctest.h>

#include <caf/all.hpp>

namespace {

caf::behavior idle_pool() {
  return {[](int) {}};
}

} // namespace

TEST_CASE("cluster pools: a production spawned beside another keeps the other's pools, a "
          "respawn replaces them") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  engine::cluster_pools pools;
  const std::vector<std::string> names{"download", "import"};

  engine::running_production variability;
  variability.actors["download"] = sys.spawn(idle_pool);
  variability.actors["import"] = sys.spawn(idle_pool);
  pools.attach(variability, names);
  CHECK(pools.pool("download") == variability.actors["download"]);

  // Another production with none of these pools: theirs stay.
  engine::running_production beside;
  beside.actors["lc_select"] = sys.spawn(idle_pool);
  pools.attach(beside, names);
  CHECK(pools.pool("download") == variability.actors["download"]);
  CHECK(pools.pool("import") == variability.actors["import"]);
  CHECK_FALSE(pools.pool("lc_select"));

  // The variability production respawned (a changed config): the new pools.
  engine::running_production respawned;
  respawned.actors["download"] = sys.spawn(idle_pool);
  respawned.actors["import"] = sys.spawn(idle_pool);
  pools.attach(respawned, names);
  CHECK(pools.pool("download") == respawned.actors["download"]);
  CHECK(pools.pool("import") == respawned.actors["import"]);

  pools.clear();
  for (auto* r : {&variability, &beside, &respawned}) r->shutdown();
}
