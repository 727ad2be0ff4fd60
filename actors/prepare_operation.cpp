// The prepare operation (IoP's PrepareOperation): what a run needs before
// its downloads, read once per run: the archive's checksum list
// (_MD5SUM.txt). The process then sends each download its file's MD5.
#include "actors/operations.hpp"
#include "actors/transfer_options.hpp"

#include "download/checksums.hpp"
#include "download/downloader.hpp"
#include "engine/log.hpp"

namespace gaia {

prepare_actor::behavior_type prepare_operation(prepare_actor::stateful_pointer<prepare_state> self,
                                               download_settings cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [self](const prepare_request& req) -> caf::result<prepare_reply> {
      engine::log_scope scope(req.run_id); // its log lines are its run's
      const auto& cfg = self->state.cfg;
      prepare_reply reply;
      if (req.checksum_url.empty())
        return reply; // (settings refuse a file list without a checksum list)
      download_options opts = timing_options(cfg);
      opts.on_notice = [](const download_notice& n) {
        engine::log_line("prepare", "checksums: " + n.text);
      };
      return answer(gaia_errc::prepare_failed, [&] {
        // A file list must come from somewhere: a missing list is an error.
        const bool required = req.explicit_url || req.from_list;
        auto list = fetch_checksums(self->state.dl, {req.checksum_url, required}, opts);
        if (!list)
          return reply;
        reply.checksums = list->sums;
        reply.listed = true;
        if (req.from_list) {
          auto all = archive_files_listed(list->entries, req.checksum_url);
          const uint64_t last = req.last == 0 ? all.size() : std::min<uint64_t>(req.last, all.size());
          if (req.first > last)
            throw input_error(req.checksum_url + ": lists " + std::to_string(all.size())
                              + " archive files; the run asks for files from the "
                              + std::to_string(req.first) + "th on");
          reply.files.assign(all.begin() + static_cast<long>(req.first - 1),
                             all.begin() + static_cast<long>(last));
          engine::log_line("prepare", std::to_string(reply.files.size()) + " of "
                                        + std::to_string(all.size()) + " archive files, "
                                        + reply.files.front().label() + " to "
                                        + reply.files.back().label());
        }
        return reply;
      });
    },
  };
}

} // namespace gaia
