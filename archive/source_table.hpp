// Aggregates of one file's rows by source_id, built as rows arrive: memory
// grows with the number of distinct sources, never with the number of rows
// (a hostile file may repeat one source millions of times).
//
// The bulk files are sorted by source_id with each source once, so the
// usual row is a new source larger than every one before: it is appended,
// with no hashing (a hash-map insert per row cost about 1.5 % of an
// import's CPU: the map's nodes are out of cache after each ~25 KB row).
// An earlier source that comes back is found by binary search while the
// table is sorted; a new source out of order switches to a hash index,
// built once from the table then.
#pragma once

#include "core/source_aggregate.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace gaia {

class source_table {
public:
  /// Folds a row into its source's aggregate (rows of one source are
  /// merged in the order they come).
  void add(const source_aggregate& row) {
    // A source's rows are usually adjacent.
    if (!sources_.empty() && sources_[last_].source_id == row.source_id) {
      sources_[last_].merge(row);
      return;
    }
    if (sorted_) {
      if (sources_.empty() || sources_.back().source_id < row.source_id) {
        last_ = sources_.size();
        sources_.push_back(row);
        return;
      }
      auto it = std::lower_bound(sources_.begin(), sources_.end(), row.source_id,
                                 [](const source_aggregate& a, int64_t id) {
                                   return a.source_id < id;
                                 });
      if (it != sources_.end() && it->source_id == row.source_id) {
        it->merge(row);
        last_ = static_cast<size_t>(it - sources_.begin());
        return;
      }
      // A new source out of order: from here on the index finds sources.
      sorted_ = false;
      index_.reserve(sources_.size() + 1);
      for (size_t i = 0; i < sources_.size(); ++i) index_.emplace(sources_[i].source_id, i);
    }
    auto [it, inserted] = index_.emplace(row.source_id, sources_.size());
    if (inserted)
      sources_.push_back(row);
    else
      sources_[it->second].merge(row);
    last_ = it->second;
  }

  size_t size() const { return sources_.size(); }

  /// The aggregates sorted by source_id; leaves the table empty.
  std::vector<source_aggregate> take_sorted() {
    if (!sorted_)
      std::sort(sources_.begin(), sources_.end(),
                [](const source_aggregate& a, const source_aggregate& b) {
                  return a.source_id < b.source_id;
                });
    index_.clear();
    sorted_ = true;
    last_ = 0;
    std::vector<source_aggregate> out = std::move(sources_);
    sources_.clear();
    return out;
  }

private:
  std::vector<source_aggregate> sources_;
  std::unordered_map<int64_t, size_t> index_; ///< only once a source came out of order
  size_t last_ = 0;
  bool sorted_ = true;
};

} // namespace gaia
