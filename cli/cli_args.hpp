// Argument parsing shared by the tool commands (synth, mirror): --help,
// `--key value` and `--key=value` options, numbers, and the one error line
// for a bad argument.
#pragma once

#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace gaia::cli {

/// True when all of `s` (not empty) is a number of type T; stores it in `v`.
template <class T>
bool parse_number(const std::string& s, T& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// The `--help`, `--key value` and `--key=value` arguments of one
/// subcommand.
class option_reader {
public:
  /// `command` ("synth") names the subcommand in error lines, `usage` is
  /// printed for --help; `valued` are the options that take the next
  /// argument as their value.
  option_reader(const char* command, const char* usage, int argc, char** argv,
                std::initializer_list<const char*> valued)
    : command_(command), usage_(usage), argc_(argc), argv_(argv),
      valued_(valued) {}

  /// Prints "gaia-dr3 <command>: <what> (see gaia-dr3 <command> --help)" and
  /// gives the exit code for bad arguments.
  int bad_argument(const std::string& what) const {
    std::fprintf(stderr, "gaia-dr3 %s: %s (see gaia-dr3 %s --help)\n", command_,
                 what.c_str(), command_);
    return 2;
  }

  /// Reads argv[i] into `key` and `value`: "--key=value", or "--key" of the
  /// valued options followed by its value (then `i` moves past it). Returns
  /// nothing to go on, or the exit code to end with: 0 after printing the
  /// usage for --help / -h, 2 after the error line for anything else.
  std::optional<int> next(int& i, std::string& key, std::string& value) const {
    key = argv_[i];
    if (key == "--help" || key == "-h") {
      std::fputs(usage_, stdout);
      return 0;
    }
    const size_t eq = key.find('=');
    if (key.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      return std::nullopt;
    }
    for (const char* v : valued_) {
      if (key != v) continue;
      if (i + 1 >= argc_) return bad_argument(key + " needs a value");
      value = argv_[++i];
      return std::nullopt;
    }
    return bad_argument("unknown argument '" + key + "'");
  }

private:
  const char* command_;
  const char* usage_;
  int argc_;
  char** argv_;
  std::vector<const char*> valued_;
};

} // namespace gaia::cli
