#include "engine/state/state_dir.hpp"

#include "engine/state/atomic_file.hpp"
#include "engine/state/run_lock.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace engine {

namespace fs = std::filesystem;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(run_progress, run_id, pid, step, counts,
                                                started_unix, updated_unix)

state_dir::state_dir(std::string d, const std::string& stem)
  : dir(std::move(d)),
    lock_marker((fs::path(dir) / (stem + ".lock")).string()),
    done_marker((fs::path(dir) / (stem + ".done")).string()),
    err_marker((fs::path(dir) / (stem + ".err")).string()) {}

std::string state_dir::reserve_path() const {
  return (fs::path(dir) / ".reserve").string();
}

std::string state_dir::heartbeat_path() const {
  return (fs::path(dir) / "service.heartbeat").string();
}

std::string state_dir::progress_path() const {
  return (fs::path(dir) / "progress.json").string();
}

bool state_dir::has_outcome_marker() const {
  std::error_code ec;
  return fs::exists(done_marker, ec) || fs::exists(err_marker, ec);
}

void state_dir::write_verdict(verdict v, const std::string& text) const {
  const bool ok = v == verdict::done;
  remove_if_exists(ok ? err_marker : done_marker);
  // The space a run set aside is for this: on a full disk the verdict
  // still fits.
  release_space(reserve_path());
  write_file_atomic(ok ? done_marker : err_marker, text);
}

bool state_dir::reserve() const { return reserve_space(reserve_path()); }

bool state_dir::write_heartbeat() const {
  std::ostringstream ss;
  ss << ::getpid() << ' ' << std::time(nullptr) << '\n';
  try {
    std::error_code ec;
    fs::create_directories(dir, ec);
    write_file_atomic(heartbeat_path(), ss.str(), durability::cache);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<std::pair<int64_t, long>> state_dir::heartbeat_age() const {
  std::ifstream in(heartbeat_path());
  long pid = 0;
  int64_t when = 0;
  if (!(in >> pid >> when))
    return std::nullopt;
  return std::make_pair(static_cast<int64_t>(std::time(nullptr)) - when, pid);
}

void state_dir::write_progress(const run_progress& p) const {
  run_progress now = p;
  now.updated_unix = static_cast<int64_t>(std::time(nullptr));
  try {
    write_file_atomic(progress_path(), nlohmann::json(now).dump() + "\n",
                      durability::cache);
  } catch (const std::exception&) {
  }
}

std::optional<run_progress> state_dir::read_progress() const {
  std::ifstream in(progress_path());
  if (!in)
    return std::nullopt;
  try {
    return nlohmann::json::parse(in).get<run_progress>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool state_dir::run_in_progress(std::string* holder) const {
  lock_owner owner;
  if (!run_lock::held(lock_marker, &owner))
    return false;
  if (holder != nullptr)
    *holder = owner.describe();
  return true;
}

int state_dir::remove_stale_temporaries(const std::vector<std::string>& subdirs) const {
  int removed = 0;
  std::vector<std::string> dirs{dir};
  for (const auto& s : subdirs) dirs.push_back((fs::path(dir) / s).string());
  for (const auto& d : dirs) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec)) {
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

} // namespace engine
