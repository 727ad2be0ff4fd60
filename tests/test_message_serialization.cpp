// Every message type registered with CAF round-trips through CAF's binary
// serializer, alone and inside a caf::message as the middleman sends it to
// remote workers, with every field set to a tricky value and compared bit
// for bit. Complete by construction: a type registered by
// gaia::register_messages but missing from the list below, an inspect()
// that leaves out a member, or a sample that leaves a field at its default
// fails a test. The error categories likewise.
#include "actors/interfaces.hpp"
#include "actors/validate_operation.hpp"
#include "lightcurve_production/messages.hpp"
#include "lightcurve_production/remote_messages.hpp"
#include "messages/messages.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <vector>

using namespace std::string_literals;

namespace {

// -- tricky values ------------------------------------------------------------

double from_bits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

/// Doubles CAF 0.17's own IEEE-754 packing gets wrong or hangs on, and a few
/// ordinary ones. Every sample of every type is made once with each.
const std::vector<double> tricky_doubles = {
  -0.0,
  from_bits(0xFFF8'0000'0000'1234), // a negative quiet NaN with a payload
  from_bits(0x7FF0'0000'0000'0001), // a signalling NaN
  std::numeric_limits<double>::denorm_min(),
  -1e-310, // subnormal
  std::numeric_limits<double>::infinity(),
  -std::numeric_limits<double>::infinity(),
  std::numeric_limits<double>::max(),
  std::numeric_limits<double>::lowest(),
  std::numeric_limits<double>::min(), // the smallest normal
  0.1,
};

constexpr uint64_t u64_max = std::numeric_limits<uint64_t>::max();
constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();
constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();

/// Not ASCII, not even valid UTF-8, with a NUL inside.
const std::string odd = "Gaïa ✓ 🛰 \0 nul \xff\xfe end"s;

/// A checkpoint's bytes: every byte value, long enough for a multi-byte
/// length prefix.
std::string blob() {
  std::string s(70'000, '\0');
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<char>(i * 7 % 256);
  return s;
}

// -- what a value holds, field by field ---------------------------------------

/// An inspector that renders a value as the list of its top-level fields,
/// in the order its inspect() names them, each fully (nested structs and
/// containers included): doubles as their bits, strings as their bytes.
/// Two values hold the same when their renderings are equal.
class field_renderer {
public:
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  std::vector<std::string> fields;

  template <class... Ts>
  void operator()(Ts&&... xs) {
    ++depth_;
    (visit(xs), ...);
    --depth_;
  }

private:
  int depth_ = 0;

  std::string& out() { return fields.back(); }

  template <class T>
  void visit(T& x) {
    if constexpr (!caf::meta::is_annotation<std::decay_t<T>>::value) {
      if (depth_ == 1)
        fields.emplace_back();
      render(x);
    }
  }

  template <class T>
  void render(std::vector<T>& xs) {
    out() += "[" + std::to_string(xs.size()) + ":";
    for (auto& x : xs)
      render(x);
    out() += "]";
  }

  template <class K, class V>
  void render(std::map<K, V>& xs) {
    out() += "{" + std::to_string(xs.size()) + ":";
    for (auto& [k, v] : xs) {
      render(const_cast<K&>(k));
      render(v);
    }
    out() += "}";
  }

  template <class T>
  void render(T& x) {
    if constexpr (std::is_same_v<T, double>) {
      uint64_t bits;
      std::memcpy(&bits, &x, sizeof bits);
      std::ostringstream s;
      s << "d" << std::hex << bits << ";";
      out() += s.str();
    } else if constexpr (std::is_same_v<T, std::string>) {
      out() += "s" + std::to_string(x.size()) + ":" + x + ";";
    } else if constexpr (std::is_same_v<T, bool>) {
      out() += x ? "true;" : "false;";
    } else if constexpr (std::is_integral_v<T>) {
      out() += "i" + std::to_string(x) + ";";
    } else {
      out() += "(";
      inspect(*this, x); // a nested struct: its fields, within this one
      out() += ")";
    }
  }
};

template <class T>
std::vector<std::string> fields_of(const T& x) {
  field_renderer f;
  T copy = x;
  inspect(f, copy);
  return f.fields;
}

/// Checks that `got` holds what `want` does, naming the first bytes of a
/// field that differs (a checkpoint's field is 70 kB).
void check_same(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE(got[i] == want[i], "field " << i << ": got " << got[i].substr(0, 120)
                                              << ", want " << want[i].substr(0, 120));
}

// -- how many members a struct has --------------------------------------------

/// Converts to anything: T{any_field{}, ...} compiles for up to as many
/// initializers as the aggregate T has members.
struct any_field {
  template <class T>
  operator T() const;
};

template <class T, class Seq, class = void>
struct brace_initializable : std::false_type {};
template <class T, size_t... I>
struct brace_initializable<T, std::index_sequence<I...>,
                           std::void_t<decltype(T{(void(I), any_field{})...})>>
  : std::true_type {};

/// The number of members of the aggregate T.
template <class T, size_t N = 0>
constexpr size_t member_count() {
  if constexpr (brace_initializable<T, std::make_index_sequence<N + 1>>::value)
    return member_count<T, N + 1>();
  else
    return N;
}

// -- the round trips ----------------------------------------------------------

/// An actor system with the production's registration, on CAF's test
/// scheduler (no threads).
struct registered_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  registered_system() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    gaia::register_messages(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

/// x through binary_serializer and binary_deserializer; every byte read.
template <class T>
T round_trip(caf::actor_system& sys, const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  T copy = x;
  auto err = sink(copy);
  REQUIRE_MESSAGE(!err, sys.render(err));
  T back{};
  caf::binary_deserializer source{sys, buf};
  err = source(back);
  REQUIRE_MESSAGE(!err, sys.render(err));
  CHECK(source.remaining() == 0);
  return back;
}

/// One registered message type: how to make samples of it, and the checks.
struct covered_type {
  /// T, and what CAF's add_message_type<T> registers with it: a
  /// std::vector<T> (round-tripped too) and a caf::stream<T> (a handle of
  /// CAF's streaming, which the production does not use).
  std::vector<std::type_index> types;
  std::function<void(caf::actor_system&, double)> check;
};

/// The checks of one sample, made with `d` for its doubles.
template <class T>
covered_type cover(std::function<T(double)> make) {
  return {{typeid(T), typeid(std::vector<T>), typeid(caf::stream<T>)},
          [make](caf::actor_system& sys, double d) {
            const T x = make(d);
            const auto want = fields_of(x);
            // inspect() names every member (a forgotten one is never sent).
            REQUIRE(want.size() == member_count<T>());
            // The sample sets every field (else its round trip proves nothing).
            const auto defaults = fields_of(T{});
            for (size_t i = 0; i < want.size(); ++i)
              CHECK_MESSAGE(want[i] != defaults[i], "field " << i << " is at its default");
            // Alone, as a reply is serialized.
            check_same(fields_of(round_trip(sys, x)), want);
            // Inside a caf::message, as the middleman ships it: the type is
            // found again by its registered name.
            auto back = round_trip(sys, caf::make_message(x));
            REQUIRE(back.template match_elements<T>());
            check_same(fields_of(back.template get_as<T>(0)), want);
            // A vector of them, with a default one, in a caf::message.
            auto many = round_trip(sys, caf::make_message(std::vector<T>{x, T{}}));
            REQUIRE(many.template match_elements<std::vector<T>>());
            const auto& xs = many.template get_as<std::vector<T>>(0);
            REQUIRE(xs.size() == 2);
            check_same(fields_of(xs[0]), want);
            check_same(fields_of(xs[1]), defaults);
          }};
}

gaia::source_version source_sample() {
  return {odd, "W/\"ëtag\"", "Wed, 21 Oct 2015 07:28:00 GMT ✓", u64_max,
          "0123456789abcdef0123456789ABCDEF"};
}

gaia::import_reply import_reply_sample(double d) {
  return {odd, "/tmp/ü/ckpt", u64_max, u64_max - 1, u64_max - 2, u64_max - 3,
          u64_max - 4, u64_max - 5, true, d, source_sample()};
}

gaia::download_reply download_reply_sample(double d) {
  return {odd, "/täp/file.csv.gz", u64_max, true, std::numeric_limits<int>::min(), d,
          import_reply_sample(-d)};
}

gaia::lc_select_request lc_select_request_sample() {
  return {u64_max,    odd,         "https://ü/%s", "/dl/ä.csv.gz", false,         "ABCDEF",
          u64_max,    "/w/ids.bin", u64_max - 1,   u64_max - 2,    "/p/ö",        "fits",
          "raw",      true};
}

gaia::lc_select_reply lc_select_reply_sample(double d) {
  return {odd,         u64_max,     true,        std::numeric_limits<int>::min(),
          u64_max - 1, u64_max - 2, u64_max - 3, u64_max - 4, d,
          {"/p/worker-ö.spool", u64_max, u64_max - 1}, {odd, 0, u64_max - 5}};
}

/// Every message type the production registers, each with its samples.
std::vector<covered_type> covered_types() {
  using namespace gaia;
  return {
    cover<engine::run_request>([](double) { return engine::run_request{u64_max}; }),
    cover<engine::run_outcome>([](double d) {
      engine::run_outcome x;
      x.run_id = u64_max;
      x.ok = true;
      x.abandoned = true;
      x.step = "download+import";
      x.subject = odd;
      x.error = "ä\nb\tc\0d"s;
      x.summary = {"", odd, "✓ 42 sources"};
      x.counts = {{"", 0}, {odd, u64_max}, {"files", 1}};
      x.seconds = d;
      return x;
    }),
    cover<source_version>([](double) { return source_sample(); }),
    cover<prepare_request>([](double) {
      return prepare_request{u64_max, "https://ü.example/_MD5SUM.txt?q=%s", true, true, 0,
                             u64_max};
    }),
    cover<prepare_reply>([](double) {
      return prepare_reply{{{"", ""}, {odd, "\xff"}, {"a.csv.gz", "d41d8cd9"}},
                           true,
                           {{0, 0}, {i64_min, i64_max}, {-1, 3111}}};
    }),
    cover<download_request>([](double) {
      return download_request{u64_max, odd,   "file:///ü/%s", "/dl/ä.csv.gz", "/ck/ö",
                              false,   true,  "ABCDEF",       u64_max};
    }),
    cover<download_reply>(download_reply_sample),
    cover<import_request>([](double) {
      return import_request{u64_max, odd, "file:///ñ", "/ck/é", "0f", u64_max, u64_max};
    }),
    cover<import_reply>(import_reply_sample),
    cover<shipped_download>([](double d) {
      return shipped_download{download_reply_sample(d), blob()};
    }),
    cover<shipped_import>([](double d) {
      return shipped_import{import_reply_sample(d), blob()};
    }),
    cover<compute_request>([](double) {
      return compute_request{u64_max, {"", odd, "/ck/1"}, "/q/ü"};
    }),
    cover<compute_reply>([](double d) { return compute_reply{u64_max, u64_max - 1, d}; }),
    cover<export_request>([](double) {
      return export_request{u64_max,  "/q/ü",          odd,          "/r/ö.vot",
                            "/r/é.fits", "/r/ä.ecsv",   "2026-12-07T04:31:10Z",
                            "file:///ü/%s", odd,         {"000000-003111", "", odd},
                            {"0f", odd, ""}, "{\"a\": \"ü\"}"};
    }),
    cover<export_reply>([](double d) { return export_reply{u64_max, odd, d, {"", odd, "/r/ö"}}; }),
    cover<validate_request>([](double) {
      return validate_request{u64_max, odd, i64_min, i64_max, "file:///ü", "/ck/é", "/w/ö"};
    }),
    cover<validate_reply>([](double) {
      return validate_reply{odd, u64_max, u64_max - 1, i64_min, "/w/ö"};
    }),
    cover<lc_select_request>([](double) { return lc_select_request_sample(); }),
    cover<lc_select_reply>(lc_select_reply_sample),
    cover<lc_remote_select>([](double) {
      return lc_remote_select{lc_select_request_sample(), {i64_min, -1, 0, i64_max}};
    }),
    cover<lc_shipped_select>([](double d) {
      return lc_shipped_select{lc_select_reply_sample(d), u64_max, u64_max - 1};
    }),
    cover<lc_chunk_request>([](double) {
      return lc_chunk_request{u64_max, odd, true, u64_max - 1, u64_max - 2};
    }),
    cover<lc_assemble_request>([](double) {
      return lc_assemble_request{u64_max,
                                 {{"", 0, u64_max}, {odd, u64_max, 1}},
                                 {{odd, u64_max - 1, 0}, {}},
                                 "/w/no_file.ids",
                                 "/a/ü.zip", "/a/not_found.txt", "votable_plain", "raw",
                                 true};
    }),
    cover<lc_assemble_reply>([](double d) {
      return lc_assemble_reply{u64_max, u64_max - 1, u64_max - 2, {odd, ""}, u64_max - 3, d};
    }),
  };
}

/// The error categories the production registers, with one error of each.
std::map<caf::atom_value, std::vector<caf::error>> covered_errors() {
  return {
    {engine::error_atom::value,
     {engine::make_error(engine::errc::refused, odd),
      engine::make_error(engine::errc::cancelled, ""),
      // A failure that names its subject (the file of several that failed).
      engine::error_of(engine::output_error(odd).about("out/results.fits"),
                       gaia::gaia_error_atom::value,
                       static_cast<uint8_t>(gaia::gaia_errc::export_failed))}},
    {gaia::gaia_error_atom::value,
     {gaia::make_error(gaia::gaia_errc::prepare_failed, odd),
      gaia::make_error(gaia::gaia_errc::download_failed, "")}},
  };
}

/// What register_messages adds to a config beyond CAF's own.
template <class Map>
std::set<typename Map::key_type> added(const Map& registered, const Map& plain) {
  std::set<typename Map::key_type> out;
  for (const auto& [key, value] : registered)
    if (plain.count(key) == 0)
      out.insert(key);
  return out;
}

} // namespace

TEST_CASE("message serialization: every type register_messages adds is in the round-trip list") {
  caf::actor_system_config plain;
  caf::actor_system_config cfg;
  gaia::register_messages(cfg);
  const auto registered = added(cfg.type_names_by_rtti, plain.type_names_by_rtti);
  std::set<std::type_index> covered;
  for (const auto& c : covered_types())
    covered.insert(c.types.begin(), c.types.end());
  for (const auto& t : registered)
    CHECK_MESSAGE(covered.count(t) == 1,
                  cfg.type_names_by_rtti.at(t) << " is registered but has no round trip");
  for (const auto& t : covered)
    CHECK_MESSAGE(registered.count(t) == 1, t.name() << " is covered but not registered");
  CHECK(registered.size() >= 15 * 3); // the check sees what register_messages adds
}

TEST_CASE("message serialization: every message type round-trips bit for bit, alone and in "
          "a caf::message, whatever its doubles") {
  registered_system s;
  for (const auto& c : covered_types()) {
    INFO(s.cfg.type_names_by_rtti.at(c.types.front()));
    for (double d : tricky_doubles) {
      INFO("doubles: " << d);
      c.check(*s.sys, d);
    }
  }
}

TEST_CASE("message serialization: every error category round-trips with its code, category "
          "and text") {
  registered_system s;
  caf::actor_system_config plain;
  const auto registered = added(s.cfg.error_renderers, plain.error_renderers);
  const auto errors = covered_errors();
  std::set<caf::atom_value> covered;
  for (const auto& [category, samples] : errors)
    covered.insert(category);
  CHECK(registered == covered);
  for (const auto& [category, samples] : errors) {
    for (const auto& e : samples) {
      INFO(s.sys->render(e));
      const auto in_message = round_trip(*s.sys, caf::make_message(e));
      REQUIRE(in_message.match_elements<caf::error>());
      for (const auto& back : {round_trip(*s.sys, e), in_message.get_as<caf::error>(0)}) {
        CHECK(back.category() == category);
        CHECK(back.code() == e.code());
        CHECK((back.context().match_elements<std::string>() ||
               back.context().match_elements<std::string, std::string>()));
        CHECK(engine::error_text(back) == engine::error_text(e));
        CHECK(engine::error_subject(back) == engine::error_subject(e));
        CHECK(s.sys->render(back) == s.sys->render(e));
      }
    }
  }
}

TEST_CASE("message serialization: the cluster's join and cancel, tuples of CAF's own types, "
          "round-trip with the worker's handle") {
  registered_system s;
  auto worker = s.sys->spawn([] { return caf::behavior{[](int) {}}; });
  // A worker's join, as acceptor_actor (engine/cluster.hpp) takes it.
  const auto interface = engine::interface_of<gaia::remote_download_actor>(*s.sys);
  REQUIRE(interface.size() == 2);
  auto join =
    round_trip(*s.sys, caf::make_message(engine::join_atom::value, "download"s, worker, interface,
                                         odd, ""s, "gaia-dr3 1.0 (messages 1a2b3c4d)"s));
  REQUIRE((join.match_elements<engine::join_atom, std::string, caf::actor,
                               std::vector<std::string>, std::string, std::string,
                               std::string>()));
  CHECK(join.get_as<std::string>(1) == "download");
  CHECK(join.get_as<caf::actor>(2) == worker);
  CHECK(join.get_as<std::vector<std::string>>(3) == interface);
  CHECK(join.get_as<std::string>(4) == odd);
  CHECK(join.get_as<std::string>(5).empty());
  CHECK(join.get_as<std::string>(6) == "gaia-dr3 1.0 (messages 1a2b3c4d)");
  // A pool's cancel of a run's jobs, sent to a remote worker.
  auto cancel = round_trip(*s.sys, caf::make_message(engine::cancel_atom::value, u64_max));
  REQUIRE((cancel.match_elements<engine::cancel_atom, uint64_t>()));
  CHECK(cancel.get_as<uint64_t>(1) == u64_max);
  caf::anon_send_exit(worker, caf::exit_reason::kill);
  dynamic_cast<caf::scheduler::test_coordinator&>(s.sys->scheduler()).run();
}

namespace {

/// A struct whose inspect() forgets a member, and one sample of it.
struct forgetful {
  uint64_t kept = 0;
  uint64_t forgotten = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forgetful& x) {
  return f(caf::meta::type_name("forgetful"), x.kept);
}

} // namespace

TEST_CASE("message serialization: the checks see a forgotten member, -0.0 against 0.0 and a "
          "NaN's payload") {
  CHECK(member_count<forgetful>() == 2);
  CHECK(fields_of(forgetful{1, 2}).size() == 1);
  CHECK(member_count<gaia::shipped_download>() == 2);
  CHECK(member_count<engine::run_outcome>() == 9);
  CHECK(fields_of(gaia::compute_reply{1, 2, -0.0}) != fields_of(gaia::compute_reply{1, 2, 0.0}));
  CHECK(fields_of(gaia::compute_reply{1, 2, from_bits(0x7FF8'0000'0000'0001)})
        != fields_of(gaia::compute_reply{1, 2, from_bits(0x7FF8'0000'0000'0002)}));
  gaia::download_reply a = download_reply_sample(1.0);
  gaia::download_reply b = a;
  b.import.source.md5 += "0";
  CHECK(fields_of(a) != fields_of(b));
}
