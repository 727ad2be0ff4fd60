// write_archive: the synthetic archive's files, generated in parallel.
#include "tools/synth/synth.hpp"
#include "core/defaults.hpp"
#include "tools/synth/synth_writer.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace gaia::synth {

std::vector<file_summary> write_archive(const archive_options& opts) {
  auto ranges = ranges_from_boundaries(opts.boundaries.empty() ? defaults::file_boundaries
                                                               : opts.boundaries);
  if (opts.files < 0 || static_cast<size_t>(opts.files) > ranges.size())
    throw std::invalid_argument("synth: files must be 0.." + std::to_string(ranges.size()));
  ranges.resize(static_cast<size_t>(opts.files));
  std::filesystem::create_directories(opts.out_dir);

  // Largest ranges first, so the long files do not start last and leave the
  // other threads idle at the end.
  std::vector<size_t> order(ranges.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto width = [&](size_t i) { return ranges[i].last - ranges[i].first; };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return width(a) > width(b); });

  std::vector<file_summary> out(ranges.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex mu; // guards error and serializes on_file

  auto work = [&] {
    for (size_t k; !failed && (k = next++) < order.size();) {
      const size_t i = order[k];
      try {
        // The seed mixes in the range (inside generate_rows), so a file is
        // the same whichever other files are generated with it.
        const auto rows = generate_rows(ranges[i], opts.scale, opts.seed);
        file_summary s;
        s.path = (std::filesystem::path(opts.out_dir) / ranges[i].archive_file_name()).string();
        s.rows = rows.size();
        const auto written = write_file(s.path, rows, file_format{});
        s.compressed_bytes = written.compressed_bytes;
        s.text_bytes = written.text_bytes;
        std::lock_guard<std::mutex> lock(mu);
        out[i] = s;
        if (opts.on_file) opts.on_file(s);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };

  unsigned threads = opts.threads != 0 ? opts.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(order.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

} // namespace gaia::synth
