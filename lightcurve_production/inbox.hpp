// The light-curve inbox that `serve` watches beside the variability runs:
// a request file dropped into `lightcurves_inbox` (NAME.txt or NAME.csv of
// ids, with an optional NAME.json of options: {"format": ..., "structure":
// ...}) is answered there as NAME.zip with NAME.done, or NAME.err, written
// atomically; one request at a time, each by the light-curve production run
// once. A bad request gets its NAME.err and stops nothing: neither the
// inbox nor the variability runs. Deleting NAME.done (or NAME.err) asks for
// the request again.
//
// The settings are asked for at every poll, so a changed config is
// followed by the next request, and a config that does not load pauses the
// inbox (logged once) until it loads again. How a request runs is the
// caller's: `serve` spawns the production in its own actor system, with
// its trace, live page, metrics and remote workers (cli/cmd_serve_run.cpp);
// by default, an actor system of its own (run_lightcurves_once).
#pragma once

#include "engine/messages.hpp"
#include "engine/run_control.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "lightcurve_production/lightcurve_process.hpp"
#include "settings/declaration.hpp"
#include "settings/settings.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gaia {

/// The inbox's settings, declared here once (settings/declaration.hpp).
enum class lightcurve_structure { standard, raw };
struct lightcurve_inbox_settings {
  std::string lightcurves_inbox; ///< "": output_dir/lightcurves_inbox
  lightcurve::table_format lightcurves_format = lightcurve::table_format::votable;
  lightcurve_structure lightcurves_structure = lightcurve_structure::standard;
};
inline const settings_group_registration<lightcurve_inbox_settings> lightcurve_inbox_group{
  {"lightcurves",
   {text({"lightcurves_inbox", "GAIA_LIGHTCURVES_INBOX",
          "the folder `serve` answers light-curve requests in (NAME.txt or NAME.csv of ids -> "
          "NAME.zip and NAME.done, or NAME.err); \"\": output_dir/lightcurves_inbox"},
         &lightcurve_inbox_settings::lightcurves_inbox, ""),
    choice({"lightcurves_format", "GAIA_LIGHTCURVES_FORMAT",
            "the inbox's table format unless NAME.json says: votable, votable_plain, fits, "
            "ecsv or csv"},
           &lightcurve_inbox_settings::lightcurves_format, lightcurve::table_format::votable,
           {{"votable", lightcurve::table_format::votable},
            {"votable_plain", lightcurve::table_format::votable_plain},
            {"fits", lightcurve::table_format::fits},
            {"ecsv", lightcurve::table_format::ecsv},
            {"csv", lightcurve::table_format::csv}}),
    choice({"lightcurves_structure", "GAIA_LIGHTCURVES_STRUCTURE",
            "the inbox's structure unless NAME.json says: standard (one table per source) or "
            "raw (one table)"},
           &lightcurve_inbox_settings::lightcurves_structure, lightcurve_structure::standard,
           {{"standard", lightcurve_structure::standard}, {"raw", lightcurve_structure::raw}})}},
  "validate"}; // listed after the variability run's keys

/// The inbox folder these settings give.
std::string inbox_dir_of(const settings& s);

/// One request waiting in the inbox.
struct inbox_request {
  std::string name;     ///< NAME
  std::string ids_path; ///< NAME.txt or NAME.csv
};

/// The inbox's requests without a marker (NAME.done, NAME.err), by name.
std::vector<inbox_request> pending_requests(const std::string& inbox);

/// A request as `gaia-dr3 status` shows it.
struct inbox_request_state {
  std::string name;
  std::string state;  ///< running, waiting, done, failed
  std::string detail; ///< running: step and counts; done, failed: the marker's first line
};

/// The inbox's requests in flight and waiting (by name), then the last
/// `answered` ones that have a marker, newest first.
std::vector<inbox_request_state> inbox_states(const std::string& inbox, size_t answered = 10);

/// Runs the light-curve production once for `job` with settings `s` and
/// returns its outcome; `runs` lets another thread cancel it.
using lightcurve_runner = std::function<engine::run_outcome(
  const settings& s, const lightcurve_job& job, std::shared_ptr<engine::run_control> runs)>;

/// Answers one request (NAME.zip and NAME.done, or NAME.err) with `run`;
/// `runs` lets another thread cancel it (no marker then).
engine::run_outcome answer_request(const settings& s, const inbox_request& r,
                                   const lightcurve_runner& run,
                                   std::shared_ptr<engine::run_control> runs);

/// The settings as they are now; throws config_error (naming the file and
/// the key) for a config that does not load.
using settings_now = std::function<settings()>;

/// The thread that watches the inbox every poll_interval_ms, answering
/// its requests one after another with `run` (run_lightcurves_once: an
/// actor system of its own each), until stop(). The settings
/// (the inbox, the formats, the archive) are `now()`'s at each poll.
class inbox_service {
public:
  inbox_service(settings_now now, lightcurve_runner run,
                std::shared_ptr<engine::run_control> runs = nullptr);
  ~inbox_service(); ///< stop()
  inbox_service(const inbox_service&) = delete;
  inbox_service& operator=(const inbox_service&) = delete;
  /// Cancels the request in flight (it leaves no marker) and joins.
  void stop();

private:
  void loop();
  /// The settings for this poll, or nothing while the config does not
  /// load (said once, and once more when it loads again).
  std::optional<settings> settings_for_poll();
  void answer_pending(const settings& s);

  settings_now now_;
  lightcurve_runner run_;
  std::shared_ptr<engine::run_control> runs_;
  std::string paused_because_; ///< the config error that pauses the inbox
  std::string watched_;        ///< the inbox folder, once said
  int poll_ms_ = 0;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace gaia
