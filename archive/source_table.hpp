// Aggregates of one file's rows by source_id, built as rows arrive: memory
// grows with the number of distinct sources, never with the number of rows
// (a hostile file may repeat one source millions of times).
#pragma once

#include "core/source_aggregate.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace gaia {

class source_table {
public:
  /// Folds a row into its source's aggregate.
  void add(const source_aggregate& row) {
    // The bulk files are sorted, so a source's rows are usually adjacent.
    if (!sources_.empty() && sources_[last_].source_id == row.source_id) {
      sources_[last_].merge(row);
      return;
    }
    auto [it, inserted] = index_.emplace(row.source_id, sources_.size());
    if (inserted) {
      sorted_ = sorted_ && (sources_.empty() ||
                            sources_.back().source_id < row.source_id);
      sources_.push_back(row);
    } else {
      sources_[it->second].merge(row);
    }
    last_ = it->second;
  }

  size_t size() const { return sources_.size(); }

  /// The aggregates sorted by source_id; leaves the table empty.
  std::vector<source_aggregate> take_sorted() {
    // The bulk files are already sorted; checking is cheaper than sorting.
    if (!sorted_)
      std::sort(sources_.begin(), sources_.end(),
                [](const source_aggregate& a, const source_aggregate& b) {
                  return a.source_id < b.source_id;
                });
    index_.clear();
    sorted_ = true;
    return std::move(sources_);
  }

private:
  std::vector<source_aggregate> sources_;
  std::unordered_map<int64_t, size_t> index_;
  size_t last_ = 0;
  bool sorted_ = true;
};

} // namespace gaia
