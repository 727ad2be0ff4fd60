// `gaia-dr3 bench --number-text`: in this process, on 1,000,000 values
// shaped like the archive's (full-precision doubles from 0.01 to 10^6, as
// the flux, time and magnitude arrays hold them; floats as the
// *_over_error arrays), the CPU time a value of
//   std::to_chars  against append_shortest (core/shortest_text.hpp), and
//   std::from_chars against read_real_text (lightcurve/real_text.hpp),
// each pair measured side by side in every round (thread CPU time, so a
// busy host slows both alike), with the proof that both sides' text and
// values are the same to the byte and the bit.
#include "cli/bench_number_text.hpp"

#include "core/shortest_text.hpp"
#include "lightcurve/real_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace gaia::cli {

namespace {

constexpr size_t number_text_values = 1000000;

double thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

template <class Real>
void append_with_to_chars(std::string& out, Real v) {
  char buf[64];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

/// All values written one after another, ',' between them.
template <class Real, class Write>
std::string write_all(const std::vector<Real>& values, Write write) {
  std::string out;
  out.reserve(values.size() * 26);
  for (Real v : values) {
    write(out, v);
    out += ',';
  }
  return out;
}

/// Every token of `text` (as write_all made it) read; the values in order.
template <class Real, class Read>
std::vector<Real> read_all(const std::string& text, size_t count, Read read) {
  std::vector<Real> out(count);
  const char* p = text.data();
  for (size_t i = 0; i < count; ++i) {
    const char* comma = p;
    while (*comma != ',') ++comma;
    read(p, comma, out[i]);
    p = comma + 1;
  }
  return out;
}

struct number_text_pair {
  const char* what;
  std::function<bool()> standard, ours; ///< false: the work went wrong
  std::vector<double> standard_ns, ours_ns;
};

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int number_text_bench(int repeat) {
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> decades(-2.0, 6.0);
  std::vector<double> doubles(number_text_values);
  for (auto& v : doubles) v = std::pow(10.0, decades(rng));
  std::vector<float> floats(number_text_values);
  for (auto& v : floats) v = static_cast<float>(std::pow(10.0, decades(rng) / 2));

  const auto double_text = write_all(doubles, append_with_to_chars<double>);
  const auto float_text = write_all(floats, append_with_to_chars<float>);
  auto std_read = [](const char* b, const char* e, auto& v) {
    std::from_chars(b, e, v, std::chars_format::general);
  };
  auto our_read = [](const char* b, const char* e, auto& v) {
    lightcurve::read_real_text(std::string_view(b, static_cast<size_t>(e - b)), v);
  };
  auto append_ours = [](std::string& out, auto v) { append_shortest(out, v); };

  std::vector<number_text_pair> pairs = {
    {"write a double", [&] { return write_all(doubles, append_with_to_chars<double>) == double_text; },
     [&] { return write_all(doubles, append_ours) == double_text; }, {}, {}},
    {"write a float", [&] { return write_all(floats, append_with_to_chars<float>) == float_text; },
     [&] { return write_all(floats, append_ours) == float_text; }, {}, {}},
    {"read a double", [&] { return read_all<double>(double_text, doubles.size(), std_read) == doubles; },
     [&] { return read_all<double>(double_text, doubles.size(), our_read) == doubles; }, {}, {}},
    {"read a float", [&] { return read_all<float>(float_text, floats.size(), std_read) == floats; },
     [&] { return read_all<float>(float_text, floats.size(), our_read) == floats; }, {}, {}},
  };
  bool same = true;
  for (int round = 0; round < repeat; ++round) {
    for (auto& p : pairs) {
      // Alternate which side goes first, so neither has the warmer caches.
      for (int side = 0; side < 2; ++side) {
        const bool standard = (side + round) % 2 == 0;
        const double start = thread_cpu_ns();
        const bool ok = standard ? p.standard() : p.ours();
        const double ns = (thread_cpu_ns() - start) / number_text_values;
        (standard ? p.standard_ns : p.ours_ns).push_back(ns);
        same = same && ok;
      }
    }
  }
  std::printf("Number text, %zu values, CPU ns a value (medians of %d rounds; the write and "
              "the check of the text or values included on both sides):\n\n",
              number_text_values, repeat);
  std::printf("| what | std::to_chars / std::from_chars | append_shortest / read_real_text | "
              "ours / std |\n| --- | ---: | ---: | ---: |\n");
  for (const auto& p : pairs) {
    const double s = median_of(p.standard_ns), o = median_of(p.ours_ns);
    std::printf("| %s | %.1f | %.1f | %.2f |\n", p.what, s, o, o / s);
  }
  std::printf("\n%s\n", same ? "Both sides wrote the same bytes and read the same bits."
                             : "The two sides DIFFER: a bug in core/shortest_text or "
                               "lightcurve/real_text.");
  return same ? 0 : 1;
}

} // namespace gaia::cli
