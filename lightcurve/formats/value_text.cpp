// Value formatting shared by the text writers (value_text.hpp).
#include "lightcurve/formats/value_text.hpp"

#include "core/shortest_text.hpp"

#include <charconv>
#include <cmath>

namespace gaia::lightcurve {

namespace {

template <class T>
void append_real(std::string& out, T v, const value_spelling& s) {
  if (std::isnan(v)) out += s.nan_text;
  else if (std::isinf(v) && s.plus_infinity != nullptr)
    out += v > 0 ? s.plus_infinity : s.minus_infinity;
  else append_shortest(out, v);
}

} // namespace

void append_integer(std::string& out, int64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void append_value(std::string& out, const table_column& c, size_t i, const value_spelling& s) {
  switch (c.type) {
  case value_type::int16: append_integer(out, c.int16s[i]); return;
  case value_type::int64: append_integer(out, c.int64s[i]); return;
  case value_type::float64: append_real(out, c.float64s[i], s); return;
  case value_type::float32: append_real(out, c.float32s[i], s); return;
  case value_type::boolean:
    out += c.booleans[i] == flag::yes  ? s.true_text
           : c.booleans[i] == flag::no ? s.false_text
                                       : s.missing_text;
    return;
  }
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += ch;
    }
  }
  return out;
}

} // namespace gaia::lightcurve
