// The light-curve inbox that `serve` watches beside the variability runs:
// a request file dropped into `lightcurves_inbox` (NAME.txt or NAME.csv of
// ids, with an optional NAME.json of options: {"format": ..., "structure":
// ...}) is answered there as NAME.zip with NAME.done, or NAME.err, written
// atomically; one request at a time, each by the light-curve production run
// once. A bad request gets its NAME.err and stops nothing: neither the
// inbox nor the variability runs. Deleting NAME.done (or NAME.err) asks for
// the request again.
#pragma once

#include "engine/messages.hpp"
#include "engine/run_control.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "settings/declaration.hpp"
#include "settings/settings.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
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

/// Answers one request (NAME.zip and NAME.done, or NAME.err); `runs` lets
/// another thread cancel it (no marker then).
engine::run_outcome answer_request(const settings& s, const inbox_request& r,
                                   std::shared_ptr<engine::run_control> runs);

/// The thread that watches the inbox every poll_interval_ms, answering
/// its requests one after another, until stop().
class inbox_service {
public:
  explicit inbox_service(settings s);
  ~inbox_service(); ///< stop()
  inbox_service(const inbox_service&) = delete;
  inbox_service& operator=(const inbox_service&) = delete;
  /// Cancels the request in flight (it leaves no marker) and joins.
  void stop();

private:
  void loop();
  settings s_;
  std::shared_ptr<engine::run_control> runs_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace gaia
