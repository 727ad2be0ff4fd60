// The light-curve production (lightcurve_production/) over the full-shaped
// synthetic archive (all 3,386 DR3 ranges, a few sources each) served by
// the loopback mirror, with files left out of it (ranges with no file):
// only the files holding asked ids are fetched (the mirror's own request
// log), every light curve equals the bulk row it came from (read here from
// the gunzipped archive files, and by astropy in every format and
// structure), not_found.txt lists the ids no file holds, the zip reads with
// Python's zipfile, and a second request with keep_downloads fetches no
// archive file. The command's exits (a bad line, an unreachable archive)
// as a real process. The inbox serve answers requests in.
#include "download/checksums.hpp"
#include "engine/log.hpp"
#include "lightcurve_production/assemble_operation.hpp"
#include "lightcurve_production/inbox.hpp"
#include "lightcurve_production/production.hpp"
#include "settings/output_layout.hpp"
#include "tools/mirror/mirror.hpp"
#include "tools/synth/synth.hpp"

#include "tests/bulk_rows.hpp"
#include "tests/production_fixture.hpp"
#include "tests/test_util.hpp"
#include "tests/wait_for.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

using namespace gaia;
namespace fs = std::filesystem;

namespace {

using test::bulk_file;
using test::read_bulk;

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

struct lightcurve_archive {
  test::temp_dir dir{"gaia-lcprod"};
  std::vector<file_range> held;    ///< the mirror's files, in range order
  std::vector<file_range> removed; ///< ranges with no file on the mirror
  std::map<std::string, bulk_file> bulk; ///< by label, the files asked from
  std::unique_ptr<mirror_server> mirror;

  lightcurve_archive() {
    engine::set_log_quiet(true);
    const auto o = test::full_shaped_archive((dir / "www").string(), 20);
    const auto files = synth::write_archive(o);
    // Every 400th file leaves the mirror: its range has no file.
    const auto ranges = ranges_from_boundaries(o.boundaries);
    for (size_t i = 0; i < files.size(); ++i) {
      if (i % 400 == 399) {
        fs::remove(files[i].path);
        removed.push_back(ranges[i]);
      } else {
        held.push_back(ranges[i]);
      }
    }
    mirror = test::loopback_mirror(o.out_dir);
  }
  ~lightcurve_archive() { engine::set_log_quiet(false); }

  const bulk_file& file(const file_range& r) {
    auto it = bulk.find(r.label());
    if (it == bulk.end())
      it = bulk.emplace(r.label(), read_bulk(dir / "www" / r.archive_file_name())).first;
    return it->second;
  }

  settings with(const std::string& out) const {
    settings s = test::file_mirror_settings({0, 1}, "", (dir / out).string());
    s.archive_url_template = mirror->base_url() + "/EpochPhotometry_%s.csv.gz";
    s.download_pool_size = 3;
    s.keep_downloads = true;
    return s;
  }

  /// The archive files fetched since request `since` (GETs of archive files).
  std::set<std::string> fetched(size_t since) const {
    std::set<std::string> names;
    auto all = mirror->requests();
    for (size_t i = since; i < all.size(); ++i)
      if (all[i].method == "GET" && all[i].path.find("EpochPhotometry_") != std::string::npos)
        names.insert(all[i].path.substr(all[i].path.rfind('/') + 1));
    return names;
  }
};

/// The request: ids spread over many files (the first and last source of
/// every 40th held file), ids in ranges with no file, ids inside a held
/// file's range that it does not hold, duplicates, a comment.
struct asked_ids {
  std::vector<int64_t> found;     ///< ascending
  std::vector<int64_t> not_found; ///< ascending
  std::set<std::string> files;    ///< the held files that hold asked ids
  std::string text;               ///< ids.txt
  uint64_t lines_with_ids = 0;
};

asked_ids make_request(lightcurve_archive& a) {
  asked_ids q;
  std::set<int64_t> found, not_found;
  for (size_t i = 0; i < a.held.size(); i += 40) {
    while (a.file(a.held[i]).rows.empty()) ++i; // some small files hold none
    const auto& rows = a.file(a.held[i]).rows;
    found.insert(rows.begin()->first);
    found.insert(rows.rbegin()->first);
    q.files.insert(a.held[i].archive_file_name());
    // Inside the range, held by no row: the range's last possible id.
    const int64_t absent = ((a.held[i].last + 1) << 43) - 1;
    REQUIRE(rows.count(absent) == 0);
    not_found.insert(absent);
  }
  // In a range whose file the mirror does not have.
  for (const auto& r : a.removed) not_found.insert((r.first << 43) + 7);
  q.found.assign(found.begin(), found.end());
  q.not_found.assign(not_found.begin(), not_found.end());
  q.text = "# asked by test_lightcurve_production\n";
  for (int64_t id : q.found) q.text += std::to_string(id) + "\n";
  for (int64_t id : q.not_found) q.text += std::to_string(id) + "\n";
  q.text += std::to_string(q.found.front()) + "\n\n" + std::to_string(q.found.back()) + "\n";
  q.lines_with_ids = q.found.size() + q.not_found.size() + 2;
  return q;
}

/// The bulk text the answer must equal: the first held file's header and
/// every found row, ascending (what lightcurve_readback.py checks against).
std::string expected_bulk(lightcurve_archive& a, const asked_ids& q) {
  std::map<int64_t, std::string> rows;
  std::string header;
  for (const auto& r : a.held) {
    auto it = a.bulk.find(r.label());
    if (it == a.bulk.end()) continue;
    header = it->second.header;
    for (const auto& [id, text] : it->second.rows)
      if (std::binary_search(q.found.begin(), q.found.end(), id)) rows[id] = text;
  }
  REQUIRE(rows.size() == q.found.size());
  std::string text = header + "\n";
  for (const auto& [id, t] : rows) text += t + "\n";
  return text;
}

void unzip(const fs::path& zip, const fs::path& to) {
  const auto r = test::extract_zip(zip, to);
  INFO(r.output);
  REQUIRE(r.code == 0);
}

std::string id_lines(const std::vector<int64_t>& ids) {
  std::string s;
  for (int64_t id : ids) s += std::to_string(id) + "\n";
  return s;
}

} // namespace

TEST_CASE("lightcurves: ids over the full-shaped archive through the loopback mirror, only "
          "the holding files fetched, every format and structure read back by astropy") {
  lightcurve_archive a;
  REQUIRE(a.held.size() + a.removed.size() == 3386);
  const auto q = make_request(a);
  REQUIRE(q.files.size() >= 40);
  test::write_file(a.dir / "ids.txt", q.text);
  const auto bulk_path = a.dir / "expected_bulk.csv";
  test::write_file(bulk_path, expected_bulk(a, q));

  const settings s = a.with("output");
  std::map<std::string, std::string> ext = {{"votable", "xml"}, {"votable_plain", "xml"},
                                            {"fits", "fits"}, {"ecsv", "ecsv"}, {"csv", "csv"}};
  for (const char* structure : {"standard", "raw"}) {
    const auto tables = a.dir / (std::string("tables-") + structure);
    for (const auto& [format, extension] : ext) {
      CAPTURE(structure);
      CAPTURE(format);
      lightcurve_job job{(a.dir / "ids.txt").string(), (a.dir / "answer").string(), format,
                         structure};
      const size_t before = a.mirror->requests().size();
      const auto o = run_lightcurves_once(s, job);
      INFO(o.step << " " << o.subject << " " << o.error);
      REQUIRE(o.ok);
      // The first request fetches exactly the holding files; every later
      // one (keep_downloads) reads them from disk and fetches none.
      const bool first = std::string(structure) == "standard" && format == "csv";
      CHECK(a.fetched(before) == (first ? q.files : std::set<std::string>{}));
      CHECK(o.count("fetched") == (first ? q.files.size() : 0));
      CHECK(o.count("read_from_disk") == (first ? 0 : q.files.size()));
      CHECK(o.count("files") == q.files.size());
      CHECK(o.count("ids") == q.lines_with_ids);
      CHECK(o.count("duplicates") == 2);
      CHECK(o.count("found") == q.found.size());
      CHECK(o.count("not_found") == q.not_found.size());
      const lightcurve_answer_paths answer(job);
      CHECK(test::read_file(answer.not_found) == id_lines(q.not_found));
      CHECK(fs::exists(fs::path(job.out_dir) / "lightcurves.done"));
      // The working files went with the request.
      CHECK(fs::is_empty(output_layout(s.output_dir).lightcurves_dir));

      std::vector<std::string> want;
      if (std::string(structure) == "standard")
        for (int64_t id : q.found)
          want.push_back("EPOCH_PHOTOMETRY-Gaia DR3 " + std::to_string(id) + "." + extension);
      else
        want.push_back(raw_entry_name(extension));
      want.push_back("not_found.txt");
      CHECK(test::zip_entry_names(answer.zip) == want);
      const auto into = tables / format;
      unzip(answer.zip, into);
      CHECK(test::read_file(into / "not_found.txt") == id_lines(q.not_found));
      fs::remove(into / "not_found.txt");
      if (std::string(structure) == "raw")
        fs::rename(into / raw_entry_name(extension), into / ("raw." + extension));
    }
    // astropy reads every format of the structure, values equal to the bulk rows.
    const auto script = fs::path(GAIA_SOURCE_DIR) / "tests" / "lightcurve_readback.py";
    const auto r = test::run_command("/usr/bin/python3 " + quoted(script)
                                     + (std::string(structure) == "raw" ? " --raw " : " ")
                                     + quoted(bulk_path) + " " + quoted(tables));
    INFO(r.output);
    CHECK(r.code == 0);
    CHECK(r.output.rfind("ok ", 0) == 0);
  }
}

namespace {

/// `gaia-dr3 lightcurves` as a user runs it, with a config of its own.
test::command_result lightcurves_command(const fs::path& dir, const std::string& url_template,
                                         const fs::path& ids, const fs::path& out) {
  test::write_file(dir / "config.json",
                   "{\"archive_url_template\": \"" + url_template
                     + "\", \"file_boundaries\": [0, 1], \"output_dir\": \""
                     + (dir / "output").string()
                     + "\", \"download_retries\": 0, \"retry_backoff_ms\": 10,"
                       " \"poll_interval_ms\": 50}");
  return test::run_command(std::string(GAIA_DR3_BINARY) + " lightcurves --ids " + quoted(ids)
                           + " --out " + quoted(out) + " --config "
                           + quoted(dir / "config.json"));
}

} // namespace

TEST_CASE("lightcurves command: the summary line, a line that is no id names its line (exit 2), "
          "an unreachable archive and a bad MD5 name the URL (exit 1), no zip after a failure") {
  test::temp_dir dir{"gaia-lccli"};
  test::mirror_archive a(dir, 6);
  const std::string url_template = a.server->base_url() + "/EpochPhotometry_%s.csv.gz";
  auto id_in = [&](size_t i) { return std::to_string(a.archive.files[i].front().source_id); };
  const auto ids = dir / "ids.txt";
  const auto out = dir / "answer";
  lightcurve_job cli_job;
  cli_job.out_dir = out.string();
  const lightcurve_answer_paths answer(cli_job);
  test::write_file(ids, id_in(1) + "\n" + id_in(4) + "\n" + id_in(1) + "\n");

  auto r = lightcurves_command(dir.path(), url_template, ids, out);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output.find("lightcurves: 3 ids asked, 2 found, 0 not found, 1 duplicates; 2 archive "
                      "files (2 fetched, 0 read from disk), ")
        != std::string::npos);
  CHECK(fs::exists(answer.zip));
  CHECK(test::read_file(answer.not_found).empty());
  CHECK(test::zip_entry_names(answer.zip).size() == 3);

  // A line that is not an id: named by its line, nothing fetched, no zip.
  test::write_file(dir / "bad.txt", id_in(1) + "\n# fine\n12x\n");
  r = lightcurves_command(dir.path(), url_template, dir / "bad.txt", out);
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK(r.output.find("bad.txt: line 3: '12x' is not a source_id") != std::string::npos);
  CHECK_FALSE(fs::exists(answer.zip));
  CHECK_FALSE(fs::exists(answer.not_found));
  CHECK(fs::exists(out / "lightcurves.err"));

  // An archive nobody serves: its checksum list's URL is named.
  const std::string nowhere = "http://127.0.0.1:9/EpochPhotometry_%s.csv.gz";
  r = lightcurves_command(dir.path(), nowhere, ids, out);
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find("http://127.0.0.1:9/_MD5SUM.txt") != std::string::npos);
  CHECK_FALSE(fs::exists(answer.zip));

  // A file whose bytes do not match its published MD5 (kept downloads
  // off, so the file is fetched): its URL is named, no zip.
  mirror_fault corrupt;
  corrupt.what = mirror_fault::kind::corrupt_body;
  const std::string name = a.file_name(4);
  a.server->set_fault(name, corrupt);
  fs::remove_all(dir / "output" / "downloads");
  r = lightcurves_command(dir.path(), url_template, ids, out);
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find(a.server->base_url() + "/" + name) != std::string::npos);
  CHECK(r.output.find("MD5") != std::string::npos);
  CHECK_FALSE(fs::exists(answer.zip));
}

TEST_CASE("lightcurves inbox: requests dropped in are answered beside them (NAME.zip with "
          "NAME.done, or NAME.err), a bad one stops nothing") {
  test::temp_dir dir{"gaia-lcinbox"};
  engine::set_log_quiet(true);
  test::mirror_archive a(dir, 4);
  settings s = test::file_mirror_settings({0, 1}, "", (dir / "output").string());
  s.archive_url_template = a.server->base_url() + "/EpochPhotometry_%s.csv.gz";
  s.retry_backoff_ms = 10;
  const auto inbox = dir / "inbox";
  s.get<lightcurve_inbox_settings>().lightcurves_inbox = inbox.string();
  s.get<lightcurve_inbox_settings>().lightcurves_format = lightcurve::table_format::csv;
  fs::create_directories(inbox);
  const std::string id1 = std::to_string(a.archive.files[1].front().source_id);
  const std::string id3 = std::to_string(a.archive.files[3].back().source_id);
  // Written aside and moved in whole, as users are told to.
  auto drop = [&](const std::string& name, const std::string& text) {
    test::write_file(dir / name, text);
    fs::rename(dir / name, inbox / name);
  };
  drop("bad.txt", id1 + "\nnot-an-id\n");
  drop("raw.json", "{\"format\": \"ecsv\", \"structure\": \"raw\"}");
  drop("raw.txt", id1 + "\n" + id3 + "\n");
  drop("wrong.json", "{\"format\": \"xls\"}");
  drop("wrong.txt", id1 + "\n");
  drop("good.csv", "source_id,ra\n" + id3 + ",1.5\n" + id1 + ",2.5\n5,0\n");
  {
    inbox_service service([&s] { return s; },
                          [](const settings& now, const lightcurve_job& job,
                             std::shared_ptr<engine::run_control> runs) {
                            return run_lightcurves_once(now, job, std::move(runs));
                          });
    for (const char* marker : {"bad.err", "good.done", "raw.done", "wrong.err"}) {
      INFO(marker);
      REQUIRE(test::wait_for_file(inbox / marker, std::chrono::seconds(60)));
    }
  }
  CHECK(test::read_file(inbox / "bad.err").find("bad.txt: line 2: 'not-an-id' is not a "
                                                "source_id")
        != std::string::npos);
  CHECK_FALSE(fs::exists(inbox / "bad.zip"));
  CHECK(test::read_file(inbox / "wrong.err").find("format 'xls' is not one of")
        != std::string::npos);
  CHECK_FALSE(fs::exists(inbox / "wrong.zip"));
  // The defaults (csv, standard) and a request's own options (ecsv, raw).
  CHECK(test::zip_entry_names(inbox / "good.zip")
        == std::vector<std::string>{"EPOCH_PHOTOMETRY-Gaia DR3 " + id1 + ".csv",
                                    "EPOCH_PHOTOMETRY-Gaia DR3 " + id3 + ".csv",
                                    "not_found.txt"});
  CHECK(test::zip_entry_names(inbox / "raw.zip")
        == std::vector<std::string>{"EPOCH_PHOTOMETRY_RAW.ecsv", "not_found.txt"});
  unzip(inbox / "good.zip", dir / "good");
  CHECK(test::read_file(dir / "good" / "not_found.txt") == "5\n");
  // Nothing beside the answers that reads as a request; nothing answered twice.
  CHECK(pending_requests(inbox.string()).empty());
  CHECK_FALSE(fs::exists(inbox / "not_found.txt"));
  engine::set_log_quiet(false);
}
