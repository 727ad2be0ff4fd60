// The ECSV and CSV writers (text_writers.hpp).
#include "lightcurve/formats/text_writers.hpp"

#include "lightcurve/formats/value_text.hpp"

namespace gaia::lightcurve {

namespace {

/// A YAML single-quoted scalar: safe in flow mappings whatever the text
/// holds (':', ',', '#').
std::string yaml_quoted(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    out += ch;
    if (ch == '\'') out += '\'';
  }
  return out + "'";
}

const char* ecsv_datatype(value_type t) {
  switch (t) {
  case value_type::int16: return "int16";
  case value_type::int64: return "int64";
  case value_type::float64: return "float64";
  case value_type::float32: return "float32";
  case value_type::boolean: return "bool";
  }
  return "";
}

/// Appends row i of `c`: a scalar as `spelling` says, an array as JSON
/// ("[1.5,NaN,2]", booleans true/false/null; NaN and infinities as the bulk
/// files and Python's json write them), quoted as a CSV field.
void append_cell(std::string& text, const table_column& c, size_t i,
                 const value_spelling& spelling) {
  if (!c.is_array()) {
    append_value(text, c, i, spelling);
    return;
  }
  static const value_spelling json{"NaN", "true", "false", "null", "Infinity", "-Infinity"};
  text += "\"[";
  for (size_t e = c.first(i); e < c.last(i); ++e) {
    if (e > c.first(i)) text += ',';
    append_value(text, c, e, json);
  }
  text += "]\"";
}

/// The header row of the columns' names.
void append_column_names(std::string& text, const table& t) {
  for (size_t c = 0; c < t.columns.size(); ++c) {
    if (c > 0) text += ',';
    text += t.columns[c].name;
  }
  text += '\n';
}

/// Both text formats: the header text when opened, then each batch's rows
/// after `leading` (text repeated at the start of every row).
class text_writer final : public table_writer {
public:
  text_writer(byte_sink& out, const table& header, std::string head, value_spelling spelling,
              std::string leading)
    : out_(out), columns_(header), spelling_(spelling),
      leading_(std::move(leading)) {
    append_column_names(head, header);
    out_.put(head);
  }

  void write_rows(const table& batch) override {
    columns_.check(batch);
    std::string text;
    // About what a row takes (a real's shortest text is up to 24 bytes):
    // no regrowth of a light curve's text as it is written.
    text.reserve(batch.rows() * (leading_.size() + 24 * batch.columns.size() + 1));
    for (size_t i = 0; i < batch.rows(); ++i) {
      text += leading_;
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        if (c > 0) text += ',';
        append_cell(text, batch.columns[c], i, spelling_);
      }
      text += '\n';
    }
    out_.put(text);
  }

  void finish() override {}

private:
  byte_sink& out_;
  column_signature columns_;
  value_spelling spelling_;
  std::string leading_;
};

} // namespace

std::string astropy_unit(const std::string& vounit) {
  if (vounit == "'electron'.s**-1") return "electron / s";
  return vounit;
}

std::unique_ptr<table_writer> ecsv_writer(byte_sink& out, const table& t) {
  std::string text = "# %ECSV 1.0\n# ---\n# delimiter: ','\n# datatype:\n";
  for (const auto& c : t.columns) {
    text += "# - {name: " + c.name;
    if (!c.unit.empty()) text += ", unit: " + yaml_quoted(astropy_unit(c.unit));
    if (c.is_array()) {
      // ECSV 1.0's variable-length arrays: JSON text with a subtype.
      text += ", datatype: string, subtype: " +
              yaml_quoted(std::string(ecsv_datatype(c.type)) + "[null]");
    } else {
      text += ", datatype: ";
      text += ecsv_datatype(c.type);
    }
    if (!c.description.empty()) text += ", description: " + yaml_quoted(c.description);
    text += ", meta: {ucd: " + yaml_quoted(c.ucd);
    if (!c.utype.empty()) text += ", utype: " + yaml_quoted(c.utype);
    if (c.refers_to_time_frame && t.timesys) text += ", ref: " + yaml_quoted(t.timesys->id);
    text += "}}\n";
  }
  text += "# meta: !!omap\n";
  for (const auto& p : t.params)
    text += "# - " + p.name + ": " + (p.is_long() ? p.value : yaml_quoted(p.value)) + "\n";
  if (t.timesys)
    text += "# - TIMESYS: {ID: " + yaml_quoted(t.timesys->id) + ", refposition: " +
            yaml_quoted(t.timesys->refposition) + ", timeorigin: " +
            yaml_quoted(t.timesys->timeorigin) + ", timescale: " +
            yaml_quoted(t.timesys->timescale) + "}\n";
  text += "# schema: astropy-2.0\n";
  return std::make_unique<text_writer>(out, t, std::move(text),
                                       value_spelling{"nan", "True", "False", ""}, "");
}

std::unique_ptr<table_writer> csv_writer(byte_sink& out, const table& t) {
  std::string text;
  std::string leading; // the long parameters' values, the same on every row
  for (const auto& p : t.params) {
    if (!p.is_long()) continue;
    text += p.name + ',';
    leading += p.value + ',';
  }
  return std::make_unique<text_writer>(out, t, std::move(text),
                                       value_spelling{"", "true", "false", ""}, std::move(leading));
}

} // namespace gaia::lightcurve
