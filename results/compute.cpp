#include "results/compute.hpp"

#include "engine/state/atomic_file.hpp"
#include "results/checkpoint.hpp"
#include "core/errors.hpp"
#include "results/rules.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>

namespace gaia {

namespace {

constexpr size_t row_size = 48; // source_aggregate (40) + percentage (8)

struct cursor {
  std::unique_ptr<checkpoint_reader> reader;
  source_aggregate current;
  std::string path;
};

// Min-heap order on the current source_id; ties by file index keep the
// merge deterministic.
struct later {
  const std::vector<cursor>* cursors;
  bool operator()(size_t a, size_t b) const {
    auto ia = (*cursors)[a].current.source_id;
    auto ib = (*cursors)[b].current.source_id;
    return ia != ib ? ia > ib : a > b;
  }
};

} // namespace

void merge_checkpoints(const std::vector<std::string>& paths,
                       const std::function<void(const source_aggregate&)>& on_source) {
  std::vector<cursor> cursors(paths.size());
  std::priority_queue<size_t, std::vector<size_t>, later> heap(later{&cursors});
  for (size_t i = 0; i < paths.size(); ++i) {
    cursors[i].path = paths[i];
    cursors[i].reader = std::make_unique<checkpoint_reader>(paths[i]);
    if (cursors[i].reader->next(cursors[i].current))
      heap.push(i);
  }
  // Advances cursor i; its records must be strictly ascending.
  auto advance = [&](size_t i) {
    auto& c = cursors[i];
    int64_t before = c.current.source_id;
    if (!c.reader->next(c.current))
      return;
    if (c.current.source_id <= before)
      throw input_error(c.path + ": checkpoint not sorted by source_id at "
                        + std::to_string(c.current.source_id));
    heap.push(i);
  };
  while (!heap.empty()) {
    size_t i = heap.top();
    heap.pop();
    source_aggregate merged = cursors[i].current;
    advance(i);
    while (!heap.empty()
           && cursors[heap.top()].current.source_id == merged.source_id) {
      size_t j = heap.top();
      heap.pop();
      merged.merge(cursors[j].current);
      advance(j);
    }
    on_source(merged);
  }
}

namespace {

/// Merges groups of `fan_in` checkpoints into intermediate ones until at
/// most `fan_in` remain; returns those and the intermediates to delete.
std::vector<std::string> reduce_fan_in(std::vector<std::string> level,
                                       const std::string& work_prefix,
                                       size_t fan_in,
                                       std::vector<std::string>& temporaries) {
  for (int round = 0; level.size() > fan_in; ++round) {
    std::vector<std::string> next;
    for (size_t i = 0; i < level.size(); i += fan_in) {
      std::vector<std::string> group(
        level.begin() + i, level.begin() + std::min(level.size(), i + fan_in));
      auto path = work_prefix + ".merge-" + std::to_string(round) + "-"
                  + std::to_string(next.size()) + ".agg";
      checkpoint_writer out(path);
      merge_checkpoints(group, [&](const source_aggregate& s) { out.add(s); });
      out.commit({});
      temporaries.push_back(path);
      next.push_back(path);
    }
    level = std::move(next);
  }
  return level;
}

} // namespace

compute_stats compute_qualifying(const std::vector<std::string>& paths,
                                 const std::string& qualifying_path,
                                 size_t fan_in) {
  std::vector<std::string> temporaries;
  struct cleanup {
    std::vector<std::string>& files;
    ~cleanup() {
      for (const auto& f : files)
        std::remove(f.c_str());
    }
  } remove_temporaries{temporaries};
  auto inputs = reduce_fan_in(paths, qualifying_path, std::max<size_t>(2, fan_in),
                              temporaries);
  compute_stats stats;
  engine::atomic_file out(qualifying_path, engine::durability::cache);
  unsigned char row[row_size];
  merge_checkpoints(inputs, [&](const source_aggregate& s) {
    ++stats.sources;
    auto pct = percentage_change(s);
    if (!pct || !qualifies(*pct))
      return;
    std::memcpy(row, &s.source_id, 8);
    std::memcpy(row + 8, &s.bp.min, 8);
    std::memcpy(row + 16, &s.bp.max, 8);
    std::memcpy(row + 24, &s.rp.min, 8);
    std::memcpy(row + 32, &s.rp.max, 8);
    std::memcpy(row + 40, &*pct, 8);
    out.write(row, row_size);
    ++stats.qualifying;
  });
  out.commit();
  return stats;
}

void read_qualifying(const std::string& path,
                     const std::function<void(const result_row&)>& on_row) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
    std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    throw input_error(path + ": " + std::strerror(errno));
  std::vector<unsigned char> buf(row_size * 4096);
  result_row r;
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    if (got % row_size != 0)
      throw input_error(path + ": truncated work file");
    for (size_t off = 0; off < got; off += row_size) {
      const unsigned char* p = buf.data() + off;
      std::memcpy(&r.source.source_id, p, 8);
      std::memcpy(&r.source.bp.min, p + 8, 8);
      std::memcpy(&r.source.bp.max, p + 16, 8);
      std::memcpy(&r.source.rp.min, p + 24, 8);
      std::memcpy(&r.source.rp.max, p + 32, 8);
      std::memcpy(&r.percentage_change, p + 40, 8);
      on_row(r);
    }
  }
  if (std::ferror(f.get()))
    throw input_error(path + ": read error");
}

} // namespace gaia
