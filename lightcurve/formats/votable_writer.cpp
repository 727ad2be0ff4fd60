// The VOTable writer (votable_writer.hpp). The header text follows the
// DataLink product in tests/fixtures byte for byte; a test compares them.
#include "lightcurve/formats/votable_writer.hpp"

#include "lightcurve/formats/value_text.hpp"

#include <cstring>

namespace gaia::lightcurve {

namespace {

constexpr const char* votable_open =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\" "
  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
  "xsi:schemaLocation=\"http://www.ivoa.net/xml/VOTable/v1.3 "
  "http://www.ivoa.net/xml/VOTable/v1.3\" "
  "xmlns:spec=\"http://www.ivoa.net/xml/SpectrumModel/v1.01\">\n";

void attribute(std::string& out, const char* name, const std::string& value) {
  if (value.empty()) return;
  out += ' ';
  out += name;
  out += "=\"";
  out += xml_escape(value);
  out += '"';
}

void votable_header(std::string& out, const table& t) {
  out += votable_open;
  out += "<RESOURCE type=\"results\"";
  attribute(out, "utype", t.resource_utype);
  out += ">\n";
  if (t.timesys) {
    out += "<TIMESYS";
    attribute(out, "ID", t.timesys->id);
    attribute(out, "refposition", t.timesys->refposition);
    attribute(out, "timeorigin", t.timesys->timeorigin);
    attribute(out, "timescale", t.timesys->timescale);
    out += "/>";
  }
  out += "<TABLE>\n";
  for (const auto& p : t.params) {
    out += "<PARAM";
    if (!p.is_long())
      attribute(out, "arraysize", p.value.empty() ? "*" : std::to_string(p.value.size()));
    attribute(out, "datatype", p.datatype);
    attribute(out, "name", p.name);
    attribute(out, "ucd", p.ucd);
    out += " value=\"" + xml_escape(p.value) + "\">\n";
    out += "<DESCRIPTION>" + xml_escape(p.description) + "</DESCRIPTION>\n</PARAM>\n";
  }
  for (const auto& c : t.columns) {
    out += "<FIELD";
    if (c.is_array()) attribute(out, "arraysize", "*");
    attribute(out, "datatype", c.votable_datatype());
    attribute(out, "name", c.name);
    if (c.refers_to_time_frame && t.timesys) attribute(out, "ref", t.timesys->id);
    attribute(out, "ucd", c.ucd);
    attribute(out, "unit", c.unit);
    attribute(out, "utype", c.utype);
    out += ">\n<DESCRIPTION>" + xml_escape(c.description) + "</DESCRIPTION>\n</FIELD>\n";
  }
  out += "<DATA>\n";
}

constexpr const char* footer = "</DATA>\n</TABLE>\n</RESOURCE>\n</VOTABLE>\n";

template <class U>
void put_big_endian(std::string& out, U bits) {
  for (int shift = static_cast<int>(sizeof(U) * 8) - 8; shift >= 0; shift -= 8)
    out += static_cast<char>((bits >> shift) & 0xff);
}

/// Element `e` of `col`, big-endian (boolean 'T'/'F'/'?').
void put_element(std::string& bytes, const table_column& col, size_t e) {
  switch (col.type) {
  case value_type::int16: put_big_endian(bytes, static_cast<uint16_t>(col.int16s[e])); return;
  case value_type::int64: put_big_endian(bytes, static_cast<uint64_t>(col.int64s[e])); return;
  case value_type::float64: {
    uint64_t bits;
    std::memcpy(&bits, &col.float64s[e], sizeof bits);
    put_big_endian(bytes, bits);
    return;
  }
  case value_type::float32: {
    uint32_t bits;
    std::memcpy(&bits, &col.float32s[e], sizeof bits);
    put_big_endian(bytes, bits);
    return;
  }
  case value_type::boolean:
    bytes += col.booleans[e] == flag::yes ? 'T' : col.booleans[e] == flag::no ? 'F' : '?';
    return;
  }
}

/// The rows of `t` as BINARY2 bytes, appended to `bytes`: an array cell is
/// its element count (4 bytes) then its elements.
void append_binary2_rows(std::string& bytes, const table& t) {
  const size_t mask_bytes = (t.columns.size() + 7) / 8;
  for (size_t i = 0; i < t.rows(); ++i) {
    const size_t mask_at = bytes.size();
    bytes.append(mask_bytes, '\0');
    for (size_t c = 0; c < t.columns.size(); ++c) {
      const auto& col = t.columns[c];
      if (col.is_array()) {
        put_big_endian(bytes, static_cast<uint32_t>(col.last(i) - col.first(i)));
        for (size_t e = col.first(i); e < col.last(i); ++e) put_element(bytes, col, e);
        continue;
      }
      // Only a missing boolean is null: DataLink writes a NaN as the value
      // NaN with its null bit clear (the fixture's transit 47).
      if (col.type == value_type::boolean && col.booleans[i] == flag::missing)
        bytes[mask_at + c / 8] |= static_cast<char>(0x80u >> (c % 8));
      put_element(bytes, col, i);
    }
  }
}

/// Base64 (RFC 4648, with padding) in lines of 64 characters, each ended
/// by '\n', of bytes that come in pieces: the last 1 or 2 bytes of a piece
/// that make no whole group of 3 wait for the next piece, so the text is
/// that of all the bytes at once.
class base64_lines {
public:
  /// Appends the text of `bytes` (after those held back) to `out`.
  void add(std::string& out, const std::string& bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const size_t n = bytes.size();
    size_t i = 0;
    while (held_size_ > 0 && held_size_ < 3 && i < n) held_[held_size_++] = p[i++];
    if (held_size_ == 3) {
      put_group(out, held_[0], held_[1], held_[2]);
      held_size_ = 0;
    }
    for (; i + 3 <= n; i += 3) put_group(out, p[i], p[i + 1], p[i + 2]);
    for (; i < n; ++i) held_[held_size_++] = p[i];
  }

  /// Appends the last group (padded with '=') and ends the last line.
  void finish(std::string& out) {
    if (held_size_ > 0) {
      uint32_t v = uint32_t{held_[0]} << 16;
      if (held_size_ > 1) v |= uint32_t{held_[1]} << 8;
      put(out, alphabet[v >> 18]);
      put(out, alphabet[(v >> 12) & 63]);
      put(out, held_size_ > 1 ? alphabet[(v >> 6) & 63] : '=');
      put(out, '=');
      held_size_ = 0;
    }
    if (line_ != 0) out += '\n';
    line_ = 0;
  }

private:
  static constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  void put(std::string& out, char ch) {
    out += ch;
    if (++line_ == 64) {
      out += '\n';
      line_ = 0;
    }
  }

  void put_group(std::string& out, unsigned char a, unsigned char b, unsigned char c) {
    const uint32_t v = (uint32_t{a} << 16) | (uint32_t{b} << 8) | c;
    put(out, alphabet[v >> 18]);
    put(out, alphabet[(v >> 12) & 63]);
    put(out, alphabet[(v >> 6) & 63]);
    put(out, alphabet[v & 63]);
  }

  unsigned char held_[3] = {0, 0, 0};
  size_t held_size_ = 0;
  size_t line_ = 0; ///< characters on the current line
};

/// The rows of `t` as TABLEDATA TRs, appended to `out`.
void append_tabledata_rows(std::string& out, const table& t) {
  // NaN stays the value NaN, as in BINARY2; a missing boolean is an empty
  // cell, TABLEDATA's null ('?' inside an array). Array elements are
  // separated by a space.
  const value_spelling scalar{"NaN", "T", "F", "", "+Inf", "-Inf"};
  const value_spelling element{"NaN", "T", "F", "?", "+Inf", "-Inf"};
  for (size_t i = 0; i < t.rows(); ++i) {
    out += "<TR>";
    for (const auto& c : t.columns) {
      out += "<TD>";
      for (size_t e = c.first(i); e < c.last(i); ++e) {
        if (e > c.first(i)) out += ' ';
        append_value(out, c, e, c.is_array() ? element : scalar);
      }
      out += "</TD>";
    }
    out += "</TR>\n";
  }
}

/// The header when opened, each batch's rows (BINARY2's base64 text, or
/// TRs) as they come, the closing tags at finish().
class votable_table_writer final : public table_writer {
public:
  votable_table_writer(byte_sink& out, const table& header, votable_encoding encoding)
    : out_(out), columns_(header), encoding_(encoding) {
    std::string text;
    votable_header(text, header);
    text += encoding_ == votable_encoding::binary2 ? "<BINARY2>\n<STREAM encoding='base64'>\n"
                                                   : "<TABLEDATA>\n";
    out_.put(text);
  }

  void write_rows(const table& batch) override {
    columns_.check(batch);
    std::string text;
    if (encoding_ == votable_encoding::binary2) {
      std::string bytes;
      append_binary2_rows(bytes, batch);
      base64_.add(text, bytes);
    } else {
      append_tabledata_rows(text, batch);
    }
    out_.put(text);
  }

  void finish() override {
    std::string text;
    if (encoding_ == votable_encoding::binary2) {
      base64_.finish(text);
      text += "</STREAM>\n</BINARY2>\n";
    } else {
      text += "</TABLEDATA>\n";
    }
    text += footer;
    out_.put(text);
  }

private:
  byte_sink& out_;
  column_signature columns_;
  votable_encoding encoding_;
  base64_lines base64_;
};

} // namespace

std::unique_ptr<table_writer> votable_writer(byte_sink& out, const table& header,
                                             votable_encoding encoding) {
  return std::make_unique<votable_table_writer>(out, header, encoding);
}

} // namespace gaia::lightcurve
