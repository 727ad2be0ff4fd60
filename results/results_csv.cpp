// results.csv: one line per qualifying source, its doubles in shortest
// round-trip form (core/shortest_text.hpp), written atomically.
#include "results/results_csv.hpp"

#include "core/shortest_text.hpp"
#include "engine/state/atomic_file.hpp"

#include <charconv>

namespace gaia {

void append_result_line(std::string& out, const result_row& r) {
  char buf[24];
  auto id = std::to_chars(buf, buf + sizeof buf, r.source.source_id);
  out.append(buf, id.ptr);
  for (const band_extent* b : {&r.source.bp, &r.source.rp}) {
    out += ',';
    if (!b->empty())
      append_shortest(out, b->min);
    out += ',';
    if (!b->empty())
      append_shortest(out, b->max);
  }
  out += ',';
  append_shortest(out, r.percentage_change);
  out += '\n';
}

uint64_t export_results_csv(const std::string& qualifying_path,
                            const std::string& csv_path) {
  engine::atomic_file out(csv_path);
  std::string chunk = std::string(results_header) + "\n";
  uint64_t rows = 0;
  read_qualifying(qualifying_path, [&](const result_row& r) {
    append_result_line(chunk, r);
    ++rows;
    if (chunk.size() >= (1 << 20)) {
      out.write(chunk);
      chunk.clear();
    }
  });
  out.write(chunk);
  out.commit();
  return rows;
}

} // namespace gaia
