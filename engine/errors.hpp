// The errors of the engine and of what runs on it, typed from where they
// happen to where they are shown. Code below the actors throws a `failure`
// that knows its code (a cancelled run, a file that cannot be written, an
// application's own kinds); an actor's handler answers with that code
// unchanged (`engine::error_of`), never by testing the exception's type.
#pragma once

#include <caf/atom.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace engine {

/// Why the engine itself ended a job, or a file of its kind failed. The
/// context of the caf::error carries the message for people (then the
/// failure's subject when it names one: error_subject, messages.hpp).
enum class errc : uint8_t {
  cancelled = 1, ///< the job's run was cancelled before or while it ran
  job_timeout,   ///< a worker took longer than the pool's job timeout
  worker_lost,   ///< the job's remote workers were lost while they had it
  refused,       ///< a remote worker asked to join a pool that takes none
  output_failed, ///< a file could not be written (disk full, permissions)
};

/// The category atom of engine errors.
using error_atom = caf::atom_constant<caf::atom("engine")>;

/// An error thrown below the actors. It carries its code when the thrower
/// knows what kind of failure it is (category and code of a caf::error);
/// without one, the operation that catches it names the kind (its own
/// "import failed", say). what() names the file, URL or key.
class failure : public std::runtime_error {
public:
  explicit failure(const std::string& what) : std::runtime_error(what) {}
  failure(caf::atom_value category, uint8_t code, const std::string& what)
    : std::runtime_error(what), category_(category), code_(code) {}
  /// Its code's category; meaningless when !has_code().
  caf::atom_value category() const { return category_; }
  uint8_t code() const { return code_; }
  bool has_code() const { return code_ != 0; }
  /// The engine's code `c`?
  bool is(errc c) const {
    return category_ == error_atom::value && code_ == static_cast<uint8_t>(c);
  }
  /// The file, URL or key the failure is about, set where that is known
  /// better than by the job's sender (one job that writes several files):
  /// the sender names it in its verdict. "" when not set.
  const std::string& subject() const { return subject_; }
  failure& about(std::string subject) {
    subject_ = std::move(subject);
    return *this;
  }

private:
  caf::atom_value category_ = error_atom::value;
  uint8_t code_ = 0;
  std::string subject_;
};

/// A file that cannot be read as what it should be: I/O error, wrong or
/// damaged content. The message names the file. Its kind is the reader's.
class input_error : public failure {
public:
  using failure::failure;
};

/// A file that cannot be written (disk full, permissions). The message
/// names the file.
class output_error : public failure {
public:
  explicit output_error(const std::string& what)
    : failure(error_atom::value, static_cast<uint8_t>(errc::output_failed), what) {}
};

} // namespace engine
