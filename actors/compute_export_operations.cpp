// The compute and export operations: single detached actors around
// results/compute and results/results_csv.
#include "actors/operations.hpp"

#include "results/compute.hpp"
#include "settings/errors.hpp"
#include "engine/log.hpp"
#include "results/results_csv.hpp"
#include "messages/messages.hpp"

#include <chrono>

namespace gaia {

namespace {

} // namespace

caf::behavior compute_operation(caf::event_based_actor*) {
  return {
    [](compute_request& req) -> caf::result<compute_reply> {
      auto started = std::chrono::steady_clock::now();
      try {
        auto stats = compute_qualifying(req.checkpoint_paths,
                                        req.qualifying_path);
        return compute_reply{stats.sources, stats.qualifying,
                             engine::seconds_since(started)};
      } catch (const output_error& e) {
        return make_error(gaia_errc::output_failed, e.what());
      } catch (const std::exception& e) {
        return make_error(gaia_errc::compute_failed, e.what());
      }
    },
  };
}

caf::behavior export_operation(caf::event_based_actor*) {
  return {
    [](export_request& req) -> caf::result<export_reply> {
      auto started = std::chrono::steady_clock::now();
      try {
        auto rows = export_results_csv(req.qualifying_path, req.csv_path);
        return export_reply{rows, req.csv_path, engine::seconds_since(started)};
      } catch (const output_error& e) {
        return make_error(gaia_errc::output_failed, e.what());
      } catch (const std::exception& e) {
        return make_error(gaia_errc::export_failed, e.what());
      }
    },
  };
}

} // namespace gaia
