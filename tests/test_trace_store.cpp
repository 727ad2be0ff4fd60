// The run trace on disk (engine/observe): events fold back into messages,
// each reply answering its request; a torn last line is skipped; log lines
// belong to the run they were logged in; retention by number of runs and
// by bytes removes the oldest first, and a run that alone reaches the
// limit is cut and says so.
#include "engine/log.hpp"
#include "engine/observe/trace_store.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using kind = engine::trace_event::kind;

namespace {

engine::trace_event event(kind what, uint64_t run, uint64_t id = 0) {
  engine::trace_event e;
  e.what = what;
  e.run_id = run;
  e.id = id;
  return e;
}

/// One whole run as the engine reports it: run_request (1), a request to
/// "work" (2) answered by a reply (3) or an error, then the run's end.
void record_run(engine::trace_sink& sink, uint64_t run, bool fail = false,
                const std::string& padding = "") {
  sink.record(event(kind::run_started, run));
  auto sent = event(kind::sent, run, 1);
  sent.source = "service";
  sent.target = "process";
  sent.message = "run_request";
  sink.record(sent);
  auto job = event(kind::sent, run, 2);
  job.source = "process";
  job.target = "work";
  job.message = "work_request";
  job.key = "file-a";
  job.summary = "work on file-a" + padding;
  sink.record(job);
  auto started = event(kind::started, run, 2);
  started.target = "work";
  started.worker = "work#1";
  started.host = "here";
  sink.record(started);
  auto done = event(fail ? kind::failed : kind::finished, run, 2);
  done.reply_id = 3;
  done.target = "work";
  done.worker = "work#1";
  done.message = fail ? "error" : "work_reply";
  done.summary = fail ? "" : "12 rows";
  done.error = fail ? "file-a: HTTP 404" : "";
  done.bytes = fail ? 0 : 4096;
  sink.record(done);
  auto outcome = event(fail ? kind::failed : kind::finished, run, 1);
  outcome.reply_id = 4;
  outcome.target = "process";
  outcome.worker = "process";
  outcome.message = "run_outcome";
  outcome.error = fail ? "file-a: HTTP 404" : "";
  sink.record(outcome);
  auto end = event(kind::run_ended, run);
  end.outcome = fail ? "failed" : "ok";
  end.error = fail ? "work failed: file-a: HTTP 404" : "";
  end.seconds = 1.5;
  sink.record(end);
}

} // namespace

TEST_CASE("trace store: events fold back into messages, each reply answering its request") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  {
    engine::trace_store store(traces, {});
    record_run(store, 7);
  }
  auto runs = engine::trace_store::list_runs(traces);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].run_id == 7);
  CHECK(runs[0].outcome == "ok");
  CHECK(runs[0].seconds == 1.5);
  auto t = engine::trace_store::read_run(traces, 7);
  REQUIRE(t);
  CHECK(t->damaged_lines == 0);
  REQUIRE(t->messages.size() == 4);
  const auto& req = t->messages[1];
  CHECK(req.id == 2);
  CHECK(req.answers == 0);
  CHECK(req.source == "process");
  CHECK(req.target == "work");
  CHECK(req.type == "work_request");
  CHECK(req.key == "file-a");
  CHECK(req.status == "done");
  CHECK(req.worker == "work#1");
  CHECK(req.host == "here");
  CHECK(req.sent_ms > 0);
  CHECK(req.started_ms >= req.sent_ms);
  CHECK(req.finished_ms >= req.started_ms);
  const auto& reply = t->messages[2];
  CHECK(reply.id == 3);
  CHECK(reply.answers == 2);
  CHECK(reply.source == "work"); // the reply goes back
  CHECK(reply.target == "process");
  CHECK(reply.type == "work_reply");
  CHECK(reply.summary == "12 rows");
  CHECK(reply.bytes == 4096);
  CHECK(t->messages[3].answers == 1);
  CHECK(t->messages[3].type == "run_outcome");
  CHECK(t->messages[3].source == "process");
  CHECK(t->messages[3].target == "service");
  CHECK(engine::trace_store::read_run(traces, 8) == std::nullopt);
}

TEST_CASE("trace store: a failed request and its error reply carry the error") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  {
    engine::trace_store store(traces, {});
    record_run(store, 1, true);
  }
  auto t = engine::trace_store::read_run(traces, 1);
  REQUIRE(t);
  CHECK(t->run.outcome == "failed");
  CHECK(t->run.error == "work failed: file-a: HTTP 404");
  CHECK(t->messages[1].status == "failed");
  CHECK(t->messages[1].error == "file-a: HTTP 404");
  CHECK(t->messages[2].type == "error");
  CHECK(t->messages[2].status == "failed");
  CHECK(t->messages[2].answers == 2);
}

TEST_CASE("trace store: a torn last line (a crash mid-write) is skipped, the rest read") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  {
    engine::trace_store store(traces, {});
    record_run(store, 3);
  }
  auto file = engine::trace_store::list_runs(traces).at(0).file;
  auto whole = gaia::test::read_file(file);
  // The process died while writing: the end line is half there.
  auto cut = whole.rfind("{\"event\":\"end\"");
  REQUIRE(cut != std::string::npos);
  gaia::test::write_file(file, whole.substr(0, cut + 20));
  auto t = engine::trace_store::read_file(file);
  CHECK(t.damaged_lines == 1);
  CHECK(t.messages.size() == 4);
  CHECK(t.run.outcome == "unfinished");
  CHECK(engine::trace_store::list_runs(traces).at(0).outcome == "unfinished");
}

TEST_CASE("trace store: log lines go into the file of the run they were logged in") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  engine::set_log_quiet(true);
  {
    engine::trace_store store(traces, {});
    engine::log_line("test", "before any run");
    store.record(event(kind::run_started, 1));
    engine::log_line("test", "during run 1");
    auto end = event(kind::run_ended, 1);
    end.outcome = "ok";
    store.record(end);
    engine::log_line("test", "after run 1");
  }
  engine::set_log_quiet(false);
  auto t = engine::trace_store::read_run(traces, 1);
  REQUIRE(t);
  REQUIRE(t->log.size() == 1);
  CHECK(t->log[0].component == "test");
  CHECK(t->log[0].text == "during run 1");
}

TEST_CASE("trace store: two stores tracing runs into one folder at once (two productions): a "
          "line said for a run goes into that run's file only, a line of no run into both") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  engine::set_log_quiet(true);
  {
    engine::trace_store variability(traces, {}), lightcurves(traces, {});
    variability.record(event(kind::run_started, 1));
    lightcurves.record(event(kind::run_started, 2));
    {
      engine::log_scope scope(1);
      engine::log_line("process", "file 1/20");
      {
        engine::log_scope inner(2); // nested: the inner run wins
        engine::log_line("lc_select", "file 1/3");
      }
      engine::log_line("process", "file 2/20");
    }
    {
      engine::log_scope scope(2);
      engine::log_line("prepare", "checksums of run 2");
    }
    CHECK(engine::log_run() == 0);
    engine::log_line("cluster", "a worker joined"); // no run: both files
    for (auto* s : {&variability, &lightcurves}) {
      auto end = event(kind::run_ended, s == &variability ? 1 : 2);
      end.outcome = "ok";
      s->record(end);
    }
  }
  engine::set_log_quiet(false);
  auto texts = [&](uint64_t run) {
    std::vector<std::string> out;
    auto t = engine::trace_store::read_run(traces, run);
    REQUIRE(t);
    for (const auto& l : t->log) out.push_back(l.component + ": " + l.text);
    return out;
  };
  CHECK(texts(1) == std::vector<std::string>{"process: file 1/20", "process: file 2/20",
                                             "cluster: a worker joined"});
  CHECK(texts(2) == std::vector<std::string>{"lc_select: file 1/3", "prepare: checksums of run 2",
                                             "cluster: a worker joined"});
}

TEST_CASE("trace store: two stores writing into one folder keep it within trace_max_bytes "
          "together (each counts the other's bytes), and neither removes the file the other is "
          "writing") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  const std::string padding(1000, 'x'); // a line of about 1.1 KB
  const uint64_t limit = 100000;
  const uint64_t slack = limit / 16 + 2 * 1200; // a count's interval and a line each
  auto folder_bytes = [&] {
    uint64_t total = 0;
    for (const auto& e : fs::directory_iterator(traces)) total += fs::file_size(e.path());
    return total;
  };
  auto line = [&](engine::trace_store& s, uint64_t run, uint64_t id) {
    auto e = event(kind::sent, run, id);
    e.target = "work";
    e.summary = padding;
    s.record(e);
  };
  uint64_t most = 0;
  {
    // A long run of one production (run 1) while the other (runs 2, 3, ...)
    // writes run after run: the folder would hold 60 + 200 KB.
    engine::trace_store variability(traces, {100, limit}), lightcurves(traces, {100, limit});
    variability.record(event(kind::run_started, 1));
    uint64_t run = 2, id = 1;
    lightcurves.record(event(kind::run_started, run));
    for (uint64_t step = 1; step <= 60; ++step) {
      line(variability, 1, step);
      for (int k = 0; k < 3; ++k) {
        line(lightcurves, run, id++);
        if (id > 20) { // a run of 20 lines, then the next
          lightcurves.record(event(kind::run_ended, run));
          lightcurves.record(event(kind::run_started, ++run));
          id = 1;
        }
      }
      most = std::max(most, folder_bytes());
      REQUIRE(!engine::trace_store::list_runs(traces).empty());
      INFO("step " << step);
      REQUIRE(engine::trace_store::list_runs(traces).front().run_id == 1); // still there
    }
    variability.record(event(kind::run_ended, 1));
  }
  CHECK(most <= limit + slack);
  CHECK(folder_bytes() <= limit + slack);
  auto t = engine::trace_store::read_run(traces, 1);
  REQUIRE(t);
  CHECK(!t->truncated);
  CHECK(t->messages.size() == 60); // every line of the long run kept
  CHECK(engine::trace_store::list_runs(traces).size() >= 2);
}

TEST_CASE("trace store: retention keeps trace_keep_runs runs, the oldest go first") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  engine::trace_store store(traces, {3, 64ull << 20});
  for (uint64_t run = 1; run <= 5; ++run) record_run(store, run);
  auto runs = engine::trace_store::list_runs(traces);
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].run_id == 3);
  CHECK(runs[1].run_id == 4);
  CHECK(runs[2].run_id == 5);
  CHECK(gaia::test::file_names(traces).size() == 3);
}

TEST_CASE("trace store: two stores in one folder keep trace_keep_runs runs together, the "
          "other store's open trace stays and the next oldest goes in its place") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  engine::trace_store variability(traces, {3, 64ull << 20}), lightcurves(traces, {3, 64ull << 20});
  record_run(variability, 1); // ended, but its file stays open until its next run
  for (uint64_t run = 2; run <= 7; ++run) {
    record_run(lightcurves, run);
    INFO("after run " << run);
    auto runs = engine::trace_store::list_runs(traces);
    REQUIRE(runs.size() == std::min<size_t>(run, 3));
    CHECK(runs.front().run_id == 1);     // the open one stays
    CHECK(runs.back().run_id == run);    // the newest is there
    CHECK(gaia::test::file_names(traces).size() == runs.size());
  }
  auto runs = engine::trace_store::list_runs(traces);
  CHECK(runs[1].run_id == 6);
  CHECK(runs[2].run_id == 7);
}

TEST_CASE("trace store: trace_keep_runs counts each production's runs apart, so a flood of "
          "light-curve requests leaves the variability runs' traces in place") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  engine::trace_store variability(traces, {3, 64ull << 20}), lightcurves(traces, {3, 64ull << 20});
  auto run_of = [](const char* production, uint64_t run) {
    auto e = event(kind::run_started, run);
    e.production = production;
    return e;
  };
  auto ids = [&] {
    std::vector<uint64_t> out;
    for (const auto& r : engine::trace_store::list_runs(traces)) out.push_back(r.run_id);
    return out;
  };
  // An older version's trace (no production in it) counts as anyone's.
  {
    engine::trace_store old(traces, {3, 64ull << 20});
    record_run(old, 1);
  }
  for (uint64_t run : {2, 3}) variability.record(run_of("gaia-dr3", run));
  CHECK(ids() == std::vector<uint64_t>{1, 2, 3});
  for (uint64_t run = 4; run <= 12; ++run) lightcurves.record(run_of("gaia-dr3-lightcurves", run));
  // The old one went to make room; the variability runs stay.
  CHECK(ids() == std::vector<uint64_t>{2, 3, 10, 11, 12});
  for (uint64_t run : {13, 14}) variability.record(run_of("gaia-dr3", run));
  CHECK(ids() == std::vector<uint64_t>{3, 10, 11, 12, 13, 14});
}

TEST_CASE("trace store: two stores starting runs at the same moment, round after round, "
          "never leave more than trace_keep_runs runs in their folder") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  engine::trace_store a(traces, {5, 64ull << 20}), b(traces, {5, 64ull << 20});
  size_t most = 0;
  for (uint64_t round = 0; round < 150; ++round) {
    // Both threads wait for the word, then open their runs together: each
    // store's retention lists the folder, removes the oldest, adds its own.
    std::atomic<bool> go{false};
    auto open = [&](engine::trace_store& s, uint64_t run) {
      while (!go.load()) std::this_thread::yield();
      s.record(event(kind::run_started, run));
    };
    std::thread ta(open, std::ref(a), 2 * round + 1), tb(open, std::ref(b), 2 * round + 2);
    go = true;
    ta.join();
    tb.join();
    most = std::max(most, gaia::test::file_names(traces).size());
  }
  CHECK(most == 5);
}

TEST_CASE("trace store: retention by bytes removes the oldest runs, and a run alone over the "
          "limit is cut and says so") {
  gaia::test::temp_dir dir;
  const std::string traces = (dir / "trace").string();
  const std::string padding(2000, 'x'); // each run's file: about 3 KB
  const uint64_t limit = 10000;
  {
    engine::trace_store store(traces, {100, limit});
    for (uint64_t run = 1; run <= 6; ++run) {
      record_run(store, run, false, padding);
      uint64_t total = 0;
      for (const auto& e : fs::directory_iterator(traces)) total += fs::file_size(e.path());
      INFO("after run " << run);
      CHECK(total <= limit);
    }
  }
  auto runs = engine::trace_store::list_runs(traces);
  REQUIRE(runs.size() >= 2);
  CHECK(runs.size() < 6);
  CHECK(runs.back().run_id == 6);
  for (size_t i = 1; i < runs.size(); ++i) CHECK(runs[i].run_id == runs[i - 1].run_id + 1);

  // One run bigger than the whole limit: cut, and its file says so.
  {
    engine::trace_store store(traces, {100, limit});
    store.record(event(kind::run_started, 7));
    for (uint64_t id = 1; id < 20; ++id) {
      auto e = event(kind::sent, 7, id);
      e.target = "work";
      e.summary = padding;
      store.record(e);
    }
  }
  auto t = engine::trace_store::read_run(traces, 7);
  REQUIRE(t);
  CHECK(t->truncated);
  CHECK(t->messages.size() < 19);
  CHECK(t->messages.size() >= 3);
  CHECK(engine::trace_store::list_runs(traces).size() == 1); // the others made room
  CHECK(fs::file_size(t->run.file) <= limit);
}
