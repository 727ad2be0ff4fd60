#include "settings/run_status.hpp"

#include "engine/atomic_file.hpp"
#include "engine/run_lock.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace gaia {

namespace fs = std::filesystem;

namespace {

std::string progress_path(const output_layout& l) {
  return (fs::path(l.dir) / "progress.json").string();
}

std::string heartbeat_path(const output_layout& l) {
  return (fs::path(l.dir) / "service.heartbeat").string();
}

std::optional<nlohmann::json> read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace

void write_progress(const output_layout& layout, const run_progress& p) {
  nlohmann::json j = {{"run_id", p.run_id},     {"pid", p.pid},
                      {"step", p.step},         {"files", p.files},
                      {"downloaded", p.downloaded}, {"imported", p.imported},
                      {"started_unix", p.started_unix},
                      {"updated_unix", static_cast<int64_t>(std::time(nullptr))}};
  try {
    engine::write_file_atomic(progress_path(layout), j.dump() + "\n",
                      engine::durability::cache);
  } catch (const std::exception&) {
  }
}

std::optional<run_progress> read_progress(const output_layout& layout) {
  auto j = read_json(progress_path(layout));
  if (!j)
    return std::nullopt;
  try {
    run_progress p;
    p.run_id = j->at("run_id").get<uint64_t>();
    p.pid = j->at("pid").get<long>();
    p.step = j->at("step").get<std::string>();
    p.files = j->at("files").get<uint64_t>();
    p.downloaded = j->at("downloaded").get<uint64_t>();
    p.imported = j->at("imported").get<uint64_t>();
    p.started_unix = j->at("started_unix").get<int64_t>();
    p.updated_unix = j->at("updated_unix").get<int64_t>();
    return p;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool write_heartbeat(const output_layout& layout) {
  std::ostringstream ss;
  ss << ::getpid() << ' ' << std::time(nullptr) << '\n';
  try {
    std::error_code ec;
    fs::create_directories(layout.dir, ec);
    engine::write_file_atomic(heartbeat_path(layout), ss.str(), engine::durability::cache);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<std::pair<int64_t, long>> heartbeat_age(const output_layout& layout) {
  std::ifstream in(heartbeat_path(layout));
  long pid = 0;
  int64_t when = 0;
  if (!(in >> pid >> when))
    return std::nullopt;
  return std::make_pair(static_cast<int64_t>(std::time(nullptr)) - when, pid);
}

bool run_in_progress(const output_layout& layout, std::string* holder) {
  engine::lock_owner owner;
  if (!engine::run_lock::held(layout.lock_marker, &owner))
    return false;
  if (holder != nullptr)
    *holder = owner.describe();
  return true;
}

int remove_stale_temporaries(const output_layout& layout) {
  int removed = 0;
  for (const auto& dir : {layout.dir, layout.downloads_dir,
                          layout.aggregates_dir, layout.work_dir}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      auto name = e.path().filename().string();
      auto pos = name.rfind(".tmp.");
      if (pos == std::string::npos)
        continue;
      long pid = std::atol(name.c_str() + pos + 5);
      // A live process (this one included) may still be writing it.
      if (pid > 0 && (pid == ::getpid() || ::kill(pid, 0) == 0))
        continue;
      if (fs::remove(e.path(), ec))
        ++removed;
    }
  }
  return removed;
}

} // namespace gaia
