// The select operation (select_operation.hpp).
#include "lightcurve_production/select_operation.hpp"

#include "actors/transfer_options.hpp"
#include "download/checksums.hpp"
#include "engine/log.hpp"
#include "lightcurve_production/fragment_file.hpp"
#include "lightcurve_production/part_file.hpp"
#include "lightcurve_select/id_list.hpp"
#include "lightcurve_select/row_select.hpp"
#include "messages/errors.hpp"

#include <chrono>
#include <filesystem>
#include <optional>

namespace gaia {

lc_select_reply select_file(downloader& dl, const download_settings& cfg,
                            const lc_select_request& req,
                            const std::shared_ptr<engine::run_control>& runs,
                            const std::shared_ptr<retry_counter>& retries,
                            lc_select_output& out) {
  const auto started = std::chrono::steady_clock::now();
  download_options opts = transfer_options(cfg, req.run_id, req.label, runs, retries);
  opts.expected_md5 = req.expected_md5;
  std::vector<int64_t> asked;
  {
    sorted_id_file ids(req.ids_path);
    asked = ids.read(req.first, req.count);
  }
  // standard: each asked row's table made and deflated here, as the file
  // streams (fragment_file.hpp); raw: the rows' text, for the one table the
  // assemble step writes. Either appended to the worker's spool, opened
  // (created once per request) for this file; an error cuts it back.
  const bool standard = req.structure == "standard";
  std::optional<lightcurve::table_format> format;
  if (standard) {
    format = lightcurve::parse_table_format(req.format);
    if (!format) throw input_error(req.url + ": format '" + req.format + "' is not one of "
                                   "votable, votable_plain, fits, ecsv, csv");
  } else if (req.structure != "raw") {
    throw input_error(req.url + ": structure '" + req.structure + "' is not standard or raw");
  }
  out.spool.open((std::filesystem::path(req.spool_dir) / out.spool_name).string());
  struct cut_back_unless_closed {
    spool_file& spool;
    ~cut_back_unless_closed() { spool.discard(); }
  } guard{out.spool};
  selected_row_sink* sink = nullptr;
  if (standard) {
    out.fragment.begin(out.spool, *format, req.url);
    sink = &out.fragment;
  } else {
    out.text.begin(out.spool);
    sink = &out.text;
  }
  read_options ro;
  if (req.max_line_bytes > 0) ro.max_line_bytes = req.max_line_bytes;
  stream_select select(req.url, std::move(asked), *sink, ro);
  lc_select_reply reply;
  reply.label = req.label;

  bool done = false;
  if (auto local = file_url_path(req.url)) {
    // A file:// archive: read in place (read_local restarts the selection
    // first, hashes every byte and checks the published MD5).
    reply.bytes = read_local(*local, req.url, opts, select).size;
    done = true;
  } else if (!req.expected_md5.empty() && std::filesystem::is_regular_file(req.path)) {
    // A kept copy (this request's, another's, the variability run's) and a
    // published MD5 to check it against: no need for the network.
    try {
      reply.bytes = read_local(req.path, req.url, opts, select).size;
      done = true;
    } catch (const download_error& e) {
      if (e.is(engine::errc::cancelled)) throw;
      engine::log_line("lc_select", std::string(e.what()) + "; downloading it again");
    } catch (const corrupt_gzip_error& e) {
      engine::log_line("lc_select", std::string(e.what()) + "; downloading it again");
    }
    if (!done) {
      discard_download(req.path);
      select.restart(); // what the kept copy gave is void
    }
  }
  if (!done) {
    // Fetched beside the parts and moved into downloads/ when whole: a
    // variability run (serve runs both) fetching the same file meanwhile
    // writes its own .part, never this one.
    const auto staged = (std::filesystem::path(req.spool_dir) / url_file_name(req.url)).string();
    auto r = dl.fetch(req.url, req.keep ? staged : "", opts, &select);
    if (req.keep) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(req.path).parent_path(), ec);
      std::filesystem::rename(staged, req.path, ec);
      if (ec) throw output_error("cannot move " + staged + " to " + req.path + ": " + ec.message());
    }
    reply.bytes = r.bytes;
    reply.attempts = r.attempts;
    reply.fetched = true;
  }
  uint64_t unparsed = 0; // asked rows whose arrays did not parse (standard)
  std::vector<std::string> unparsed_why;
  if (standard) {
    reply.part_range = out.fragment.commit();
    unparsed = out.fragment.skipped();
    unparsed_why = out.fragment.examples();
  } else {
    reply.part_range = out.text.commit();
  }
  const auto& res = select.result();
  reply.missing_range = append_id_lines(out.spool, res.not_found);
  out.spool.close(); // both pieces flushed before the reply names them
  reply.selected = res.selected - unparsed;
  reply.missing = res.not_found.size();
  reply.skipped_rows = res.stats.skipped_rows + unparsed;
  reply.repeated = res.repeated;
  if (reply.skipped_rows > 0 || res.repeated > 0) {
    std::string why;
    for (const auto& e : res.stats.skip_examples) why += "; " + e;
    for (const auto& e : unparsed_why) why += "; " + e;
    engine::log_line("lc_select", req.url + ": skipped " + std::to_string(reply.skipped_rows)
                                    + " malformed rows, " + std::to_string(res.repeated)
                                    + " repeated rows" + why);
  }
  reply.seconds = engine::seconds_since(started);
  return reply;
}

lc_select_worker_actor::behavior_type
lc_select_operation(lc_select_worker_actor::stateful_pointer<lc_select_state> self,
                    download_settings cfg, std::shared_ptr<engine::run_control> runs,
                    std::shared_ptr<retry_counter> retries) {
  self->state.cfg = std::move(cfg);
  // Its spool's name, one per worker in a process (an actor id is unique):
  // one writer per spool.
  self->state.out = std::make_unique<lc_select_output>("worker-" + std::to_string(self->id())
                                                       + ".spool");
  self->state.runs = std::move(runs);
  self->state.retries = std::move(retries);
  return {
    [self](const lc_select_request& req) -> caf::result<lc_select_reply> {
      engine::log_scope scope(req.run_id); // its log lines are its run's
      auto& st = self->state;
      if (st.runs->cancelled(req.run_id))
        return engine::make_error(engine::errc::cancelled, req.url + ": run cancelled");
      try {
        return select_file(st.dl, st.cfg, req, st.runs, st.retries, *st.out);
      } catch (const download_error& e) {
        // A transfer cut short by the run's cancellation is no verdict on the URL.
        if (st.runs->cancelled(req.run_id))
          return engine::make_error(engine::errc::cancelled, e.what());
        return error_from(e, gaia_errc::download_failed);
      } catch (const engine::failure& e) {
        // The bytes arrived but are no archive file to select from, or the
        // part cannot be written.
        return error_from(e, gaia_errc::import_failed);
      } catch (const std::exception& e) {
        return make_error(gaia_errc::download_failed, req.url + ": " + e.what());
      }
    },
  };
}

} // namespace gaia
