// The operations' error helpers (messages/errors.hpp).
#include "messages/errors.hpp"

#include "engine/messages.hpp"

namespace gaia {

namespace {

const char* code_name(uint8_t code) {
  switch (static_cast<gaia_errc>(code)) {
    case gaia_errc::download_failed: return "download_failed";
    case gaia_errc::corrupt_archive: return "corrupt_archive";
    case gaia_errc::import_failed: return "import_failed";
    case gaia_errc::compute_failed: return "compute_failed";
    case gaia_errc::export_failed: return "export_failed";
    case gaia_errc::prepare_failed: return "prepare_failed";
  }
  return "unknown";
}

} // namespace

caf::error make_error(gaia_errc code, std::string text) {
  return caf::error{static_cast<uint8_t>(code), gaia_error_atom::value,
                    caf::make_message(std::move(text))};
}

caf::error error_from(const engine::failure& e, gaia_errc otherwise) {
  return engine::error_of(e, gaia_error_atom::value, static_cast<uint8_t>(otherwise));
}

std::string error_text(const caf::error& e) {
  if (e.category() == caf::atom("system")
      && e.code() == static_cast<uint8_t>(caf::sec::request_timeout))
    return "no reply within request_timeout_s";
  return engine::error_text(e);
}

bool is_error(const caf::error& e, gaia_errc code) {
  return e.category() == gaia_error_atom::value
         && e.code() == static_cast<uint8_t>(code);
}

void register_errors(caf::actor_system_config& cfg) {
  cfg.add_error_category(
    gaia_error_atom::value,
    [](uint8_t code, caf::atom_value, const caf::message& ctx) {
      return std::string("gaia::") + code_name(code) + ": " + engine::context_text(ctx);
    });
}

} // namespace gaia
