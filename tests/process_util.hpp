// Runs the real gaia-dr3 executable as a child process for CLI tests:
// environment, stdout/stderr captured to files, its exit awaited on a pidfd.
#pragma once

#include "tests/test_util.hpp"
#include "tests/wait_for.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <map>
#include <sys/mount.h>
#include <sys/resource.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace gaia::test {

/// A running gaia-dr3 child; killed (SIGKILL) if still alive at scope exit.
class child_process {
public:
  /// `file_size_limit` > 0: RLIMIT_FSIZE in bytes for the child.
  /// `ignore_sigint`: start it as a script's background job starts, with
  /// SIGINT ignored.
  child_process(std::vector<std::string> args,
                std::map<std::string, std::string> env_overrides,
                const std::filesystem::path& log_dir,
                rlim_t file_size_limit = 0, bool ignore_sigint = false) {
    log_dir_ = log_dir;
    stdout_path_ = log_dir / "stdout.txt";
    stderr_path_ = log_dir / "stderr.txt";
    args.insert(args.begin(), GAIA_DR3_BINARY);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv = *e;
      auto eq = kv.find('=');
      if (eq != std::string::npos && kv.rfind("GAIA_", 0) != 0)
        env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (auto& [k, v] : env_overrides)
      env[k] = v;
    std::vector<std::string> env_strings;
    for (auto& [k, v] : env)
      env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings)
      envp.push_back(s.data());
    envp.push_back(nullptr);
    // fork + exec rather than posix_spawn: the child may need a file size
    // limit (a full disk, simulated) with SIGXFSZ ignored, which exec keeps.
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(err, 2);
      if (file_size_limit > 0) {
        struct rlimit rl {file_size_limit, file_size_limit};
        ::setrlimit(RLIMIT_FSIZE, &rl);
        ::signal(SIGXFSZ, SIG_IGN);
      }
      if (ignore_sigint)
        ::signal(SIGINT, SIG_IGN);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }

  ~child_process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  /// Waits for the exit, on the child's pidfd (no polling); returns the
  /// exit code (128 + the signal for a killed child), or -1 on timeout.
  int wait(std::chrono::milliseconds limit) {
    if (exited_)
      return code_;
    int status = 0;
    struct rusage usage {};
    if (!wait_for_exit(pid_, limit, status, &usage))
      return -1;
    exited_ = true;
    peak_rss_kb_ = usage.ru_maxrss;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return code_;
  }

  void signal(int sig) { ::kill(pid_, sig); }

  /// The child's peak resident memory in KiB, after wait() saw it exit.
  long peak_rss_kb() const { return peak_rss_kb_; }

  /// Where stdout.txt and stderr.txt are: what wait_for_log() watches.
  const std::filesystem::path& log_dir() const { return log_dir_; }

  /// What the child wrote so far ("" before it opened the file).
  std::string out() const { return read_if_exists(stdout_path_); }
  std::string err() const { return read_if_exists(stderr_path_); }

private:
  static std::string read_if_exists(const std::filesystem::path& p) {
    return std::filesystem::exists(p) ? read_file(p) : std::string();
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  int code_ = -1;
  long peak_rss_kb_ = 0;
  std::filesystem::path log_dir_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
};

/// A small tmpfs mounted over `dir` for the scope: a disk that really fills
/// (ENOSPC). Needs root (CAP_SYS_ADMIN), as the tests and CI run; anywhere
/// else the test fails saying so rather than passing without trying.
class tmpfs_mount {
public:
  tmpfs_mount(const std::filesystem::path& dir, uint64_t bytes) : dir_(dir) {
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) != 0)
      throw std::runtime_error("cannot mount a tmpfs on " + dir_.string() + ": "
                               + std::strerror(errno)
                               + " (this test needs root, as CI runs it)");
  }
  ~tmpfs_mount() { ::umount2(dir_.c_str(), MNT_DETACH); }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;

  /// Grows (or shrinks) the file system, keeping its files.
  void resize(uint64_t bytes) {
    const std::string opts = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) != 0)
      throw std::runtime_error("cannot resize the tmpfs: " + std::string(std::strerror(errno)));
  }

private:
  std::filesystem::path dir_;
};

/// Polls `cond` every 20 ms until it holds or `limit` passes. Only for what
/// gives no event to wait on: an HTTP answer that changes inside the child
/// (its readiness, its live view). Files and logs: wait_for.hpp.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

} // namespace gaia::test
