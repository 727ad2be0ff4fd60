// How the operations answer when they fail: a caf::error of category
// "gaia" (gaia_errc, core/errors.hpp) or the engine's, with the message
// for people as its context. The code is the one the failure was thrown
// with; an operation adds only its own kind for failures without one.
#pragma once

#include "core/errors.hpp"

#include <caf/all.hpp>

#include <exception>
#include <string>
#include <utility>

namespace gaia {

/// Builds a caf::error of category "gaia" with `text` as context.
caf::error make_error(gaia_errc code, std::string text);

/// The error for a failure caught at an operation's handler: the code it
/// was thrown with (a damaged archive, an unwritable file, a cancelled
/// run), else `otherwise`, the operation's kind.
caf::error error_from(const engine::failure& e, gaia_errc otherwise);

/// Runs an operation's `work`: its value, or the error of what it threw
/// (a failure's own code, else `otherwise`). Exceptions never cross a
/// handler.
template <class Work>
auto answer(gaia_errc otherwise, Work&& work) -> caf::expected<decltype(work())> {
  try {
    return std::forward<Work>(work)();
  } catch (const engine::failure& e) {
    return error_from(e, otherwise);
  } catch (const std::exception& e) {
    // Not ours (std::bad_alloc, std::filesystem_error): the operation's kind.
    return make_error(otherwise, e.what());
  }
}

/// The text of an error for people: the context string of ours and the
/// engine's, "no reply within request_timeout_s" for a request's timeout,
/// CAF's rendering of others (dead actors).
std::string error_text(const caf::error& e);

/// True when `e` is a gaia error with this code.
bool is_error(const caf::error& e, gaia_errc code);

/// Adds the "gaia" error category (its rendering) to `cfg`.
void register_errors(caf::actor_system_config& cfg);

} // namespace gaia
