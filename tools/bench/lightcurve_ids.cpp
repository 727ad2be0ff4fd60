// The light-curve bench's ids (lightcurve_ids.hpp).
#include "tools/bench/lightcurve_ids.hpp"

#include "core/file_range.hpp"
#include "engine/state/atomic_file.hpp"
#include "tools/synth/synth.hpp"

#include <algorithm>
#include <charconv>
#include <random>
#include <stdexcept>
#include <vector>

namespace gaia::cli::bench {

drawn_ids draw_lightcurve_ids(const std::string& path, int files, double scale,
                              uint64_t archive_seed, uint64_t n, uint64_t draw_seed) {
  auto ranges = ranges_from_boundaries(synth::dr3_partition());
  if (files > 0 && static_cast<size_t>(files) < ranges.size())
    ranges.resize(static_cast<size_t>(files));
  // The sources per file first: the draw needs the total (and n = 0 too).
  std::vector<std::vector<int64_t>> held(ranges.size());
  drawn_ids d;
  for (size_t f = 0; f < ranges.size(); ++f) {
    held[f] = synth::generate_ids(ranges[f], scale, archive_seed);
    d.archive_sources += held[f].size();
  }
  if (n == 0)
    n = std::max<uint64_t>(1, (d.archive_sources * real_request_ids + real_archive_sources / 2)
                                / real_archive_sources);
  d.absent = std::clamp<uint64_t>(n / 100, 1, 300);
  if (n <= d.absent) d.absent = 0;
  d.held = n - d.absent;
  if (d.held > d.archive_sources)
    throw std::invalid_argument(std::to_string(n) + " ids asked for, but the archive at scale "
                                + std::to_string(scale) + " holds only "
                                + std::to_string(d.archive_sources) + " sources");
  std::mt19937_64 rng(draw_seed);
  std::vector<int64_t> ids;
  ids.reserve(n);
  // Selection sampling (Knuth's algorithm S): every source equally likely,
  // exactly d.held of them, in one pass.
  uint64_t seen = 0;
  for (const auto& file : held) {
    bool any = false;
    for (int64_t id : file) {
      const uint64_t left = d.archive_sources - seen++;
      const uint64_t wanted = d.held - ids.size();
      if (std::uniform_int_distribution<uint64_t>(0, left - 1)(rng) < wanted) {
        ids.push_back(id);
        any = true;
      }
    }
    if (any) ++d.files_holding;
  }
  // Absent ids spread over the files: a level-8 index inside the range and
  // random low bits, so the id's file is fetched and its select pass has to
  // find that the file lacks it.
  for (uint64_t k = 0; k < d.absent; ++k) {
    const auto f = static_cast<size_t>(k * ranges.size() / d.absent);
    const auto& r = ranges[f];
    for (;;) {
      const int64_t hp = r.first + static_cast<int64_t>(rng() % static_cast<uint64_t>(
                                     r.last - r.first + 1));
      const int64_t id = (hp << 43) | static_cast<int64_t>(rng() & ((uint64_t{1} << 43) - 1));
      if (!std::binary_search(held[f].begin(), held[f].end(), id)) {
        ids.push_back(id);
        break;
      }
    }
  }
  // A user's list is in no particular order: the command sorts it.
  std::shuffle(ids.begin(), ids.end(), rng);
  std::string text;
  text.reserve(ids.size() * 20);
  for (int64_t id : ids) {
    char buf[24];
    text.append(buf, std::to_chars(buf, buf + sizeof buf, id).ptr);
    text += '\n';
  }
  engine::write_file_atomic(path, text, engine::durability::cache);
  return d;
}

} // namespace gaia::cli::bench
