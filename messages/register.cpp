#include "messages/messages.hpp"

namespace gaia {

namespace {

const char* code_name(uint8_t code) {
  switch (static_cast<gaia_errc>(code)) {
    case gaia_errc::download_failed: return "download_failed";
    case gaia_errc::corrupt_archive: return "corrupt_archive";
    case gaia_errc::import_failed: return "import_failed";
    case gaia_errc::compute_failed: return "compute_failed";
    case gaia_errc::export_failed: return "export_failed";
    case gaia_errc::output_failed: return "output_failed";
    case gaia_errc::cancelled: return "cancelled";
  }
  return "unknown";
}

std::string context_text(const caf::message& ctx) {
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return caf::to_string(ctx);
}

} // namespace

caf::error make_error(gaia_errc code, std::string text) {
  return caf::error{static_cast<uint8_t>(code), gaia_error_atom::value,
                    caf::make_message(std::move(text))};
}

std::string error_text(const caf::error& e) {
  if (e.category() == gaia_error_atom::value)
    return context_text(e.context());
  if (e.category() == caf::atom("system")
      && e.code() == static_cast<uint8_t>(caf::sec::request_timeout))
    return "no reply within request_timeout_s";
  return caf::to_string(e);
}

bool is_error(const caf::error& e, gaia_errc code) {
  return e.category() == gaia_error_atom::value
         && e.code() == static_cast<uint8_t>(code);
}

void register_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<source_version>("source_version");
  cfg.add_message_type<benchmark_request>("benchmark_request");
  cfg.add_message_type<run_outcome>("run_outcome");
  cfg.add_message_type<download_request>("download_request");
  cfg.add_message_type<download_reply>("download_reply");
  cfg.add_message_type<import_request>("import_request");
  cfg.add_message_type<import_reply>("import_reply");
  cfg.add_message_type<compute_request>("compute_request");
  cfg.add_message_type<compute_reply>("compute_reply");
  cfg.add_message_type<export_request>("export_request");
  cfg.add_message_type<export_reply>("export_reply");
  cfg.add_error_category(
    gaia_error_atom::value,
    [](uint8_t code, caf::atom_value, const caf::message& ctx) {
      return std::string("gaia::") + code_name(code) + ": " + context_text(ctx);
    });
}

} // namespace gaia
