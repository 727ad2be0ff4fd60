#include "core/file_range.hpp"

#include <cstdio>

namespace gaia {

std::string file_range::label() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%06lld-%06lld", static_cast<long long>(first),
                static_cast<long long>(last));
  return buf;
}

std::string file_range::archive_file_name() const {
  return "EpochPhotometry_" + label() + ".csv.gz";
}

std::vector<file_range> ranges_from_boundaries(const std::vector<int64_t>& b) {
  std::vector<file_range> out;
  for (size_t i = 0; i + 1 < b.size(); ++i)
    out.push_back({b[i], b[i + 1] - 1});
  return out;
}

std::string expand_url_template(const std::string& tmpl,
                                const std::string& label) {
  std::string out;
  out.reserve(tmpl.size() + label.size());
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '%' && i + 1 < tmpl.size() && tmpl[i + 1] == 's') {
      out += label;
      ++i;
    } else {
      out += tmpl[i];
    }
  }
  return out;
}

} // namespace gaia
