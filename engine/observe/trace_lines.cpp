#include "engine/observe/trace_lines.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace engine {

namespace {

constexpr size_t first_buffer = 256 * 1024;

} // namespace

line_scanner::line_scanner(const trace_source& bytes, uint64_t from, uint64_t limit)
  : bytes_(bytes), limit_(limit), base_(from) {}

bool line_scanner::fill() {
  if (at_end_) return false;
  if (begin_ > 0) {
    // The bytes already taken go; the partial line moves to the front.
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    base_ += begin_;
    end_ -= begin_;
    searched_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < first_buffer / 4) {
    // A long line: room for it, up to the limit (and a read beyond it, to
    // see that it is too long).
    const size_t cap = trace_reader::max_line_bytes + first_buffer;
    buf_.resize(std::min(cap, std::max(first_buffer, buf_.size() * 2)));
  }
  const uint64_t pos = base_ + end_;
  size_t want = buf_.size() - end_;
  if (limit_ <= pos) want = 0;
  else want = static_cast<size_t>(std::min<uint64_t>(want, limit_ - pos));
  const size_t got = want == 0 ? 0 : bytes_.read(pos, buf_.data() + end_, want);
  if (got == 0) {
    at_end_ = true;
    return false;
  }
  end_ += got;
  return true;
}

line_scanner::item line_scanner::next() {
  for (;;) {
    const void* nl = std::memchr(buf_.data() + searched_, '\n', end_ - searched_);
    if (nl != nullptr) {
      const size_t stop = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data());
      item out{kind::line, base_ + begin_, {buf_.data() + begin_, stop - begin_}};
      begin_ = searched_ = stop + 1;
      return out;
    }
    searched_ = end_;
    if (end_ - begin_ > trace_reader::max_line_bytes) {
      // Too long to keep: drop it as it is read, up to its newline.
      const uint64_t at = base_ + begin_;
      for (;;) {
        begin_ = searched_ = end_;
        if (!fill()) return {kind::too_long, at, {}};
        nl = std::memchr(buf_.data() + begin_, '\n', end_ - begin_);
        if (nl != nullptr) {
          begin_ = searched_ = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data()) + 1;
          return {kind::too_long, at, {}};
        }
      }
    }
    if (!fill()) {
      if (begin_ == end_) return {};
      item out{kind::torn, base_ + begin_, {buf_.data() + begin_, end_ - begin_}};
      begin_ = searched_ = end_;
      return out;
    }
  }
}

namespace line_fields {

using json = nlohmann::json;

namespace {

const json* field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto i = j.find(key);
  return i == j.end() ? nullptr : &*i;
}

} // namespace

std::string text_of(const json& j, const char* key) {
  const json* v = field(j, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::optional<uint64_t> id_of(const json& j, const char* key) {
  const json* v = field(j, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_float()) {
    // A whole number written as 2.0: taken; any other is not a number of
    // a message (and casting it would be undefined).
    const double d = v->get<double>();
    if (d >= 0 && d < 18446744073709551616.0 && std::floor(d) == d)
      return static_cast<uint64_t>(d);
  }
  return std::nullopt;
}

int64_t time_of(const json& j, const char* key) {
  const json* v = field(j, key);
  if (v == nullptr) return 0;
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    return u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? static_cast<int64_t>(u) : 0;
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (d > -9.2e18 && d < 9.2e18) return static_cast<int64_t>(d);
  }
  return 0;
}

double real_of(const json& j, const char* key) {
  const json* v = field(j, key);
  return v != nullptr && v->is_number() ? v->get<double>() : 0;
}

bool flag_of(const json& j, const char* key) {
  const json* v = field(j, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

} // namespace line_fields

} // namespace engine
