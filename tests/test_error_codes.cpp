// Errors keep their kind from where they are thrown to the caf::error an
// operation answers with (messages/errors.hpp): no type tests on the way,
// the code travels with the exception.
#include "messages/errors.hpp"

#include "download/downloader.hpp"
#include "engine/messages.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <new>

using namespace gaia;

namespace {

template <class E>
caf::error answered_for(E thrown, gaia_errc otherwise) {
  auto r = answer(otherwise, [&]() -> int { throw thrown; });
  REQUIRE_FALSE(r);
  return r.error();
}

} // namespace

TEST_CASE("error codes: a failure thrown with a code is answered with that code") {
  auto gz = answered_for(corrupt_gzip_error("a.csv.gz: not in gzip format"),
                         gaia_errc::download_failed);
  CHECK(is_error(gz, gaia_errc::corrupt_archive));
  CHECK(error_text(gz) == "a.csv.gz: not in gzip format");

  auto disk = answered_for(output_error("aggregates/x.ckpt: No space left on device"),
                           gaia_errc::import_failed);
  CHECK(engine::is_error(disk, engine::errc::output_failed));
  CHECK(error_text(disk) == "aggregates/x.ckpt: No space left on device");

  auto stop = answered_for(download_cancelled("http://h/a.csv.gz: cancelled"),
                           gaia_errc::download_failed);
  CHECK(engine::is_error(stop, engine::errc::cancelled));
}

TEST_CASE("error codes: a failure without a code takes the operation's kind") {
  auto bad = answered_for(input_error("a.csv.gz: line 3: no header row"),
                          gaia_errc::import_failed);
  CHECK(is_error(bad, gaia_errc::import_failed));
  auto lost = answered_for(download_error("http://h/a.csv.gz: HTTP 404"),
                           gaia_errc::download_failed);
  CHECK(is_error(lost, gaia_errc::download_failed));
  CHECK(error_text(lost) == "http://h/a.csv.gz: HTTP 404");
  // Not ours at all: still the operation's kind, with the library's text.
  auto fs = answered_for(std::filesystem::filesystem_error(
                           "cannot create directories", std::filesystem::path("/x"),
                           std::make_error_code(std::errc::permission_denied)),
                         gaia_errc::export_failed);
  CHECK(is_error(fs, gaia_errc::export_failed));
  CHECK(error_text(fs).find("/x") != std::string::npos);
}

TEST_CASE("error codes: a value is answered as it is") {
  auto r = answer(gaia_errc::compute_failed, [] { return 42; });
  REQUIRE(r);
  CHECK(*r == 42);
}

TEST_CASE("error codes: a failure that names its subject keeps it beside its code and text") {
  output_error thrown("out/results.fits.tmp.7: cannot create: Is a directory");
  thrown.about("out/results.fits");
  auto named = answered_for(thrown, gaia_errc::export_failed);
  CHECK(engine::is_error(named, engine::errc::output_failed));
  CHECK(error_text(named) == "out/results.fits.tmp.7: cannot create: Is a directory");
  CHECK(engine::error_subject(named) == "out/results.fits");
  // Without one: no subject, the sender names what it asked for.
  auto plain = answered_for(input_error("a.csv.gz: line 3: no header row"),
                            gaia_errc::import_failed);
  CHECK(engine::error_subject(plain) == "");
}
