// The one registration of the production's message types and error
// categories, and the error helpers every operation uses.
#include "messages/messages.hpp"

#include "download/downloader.hpp"
#include "engine/log.hpp"
#include "core/errors.hpp"

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
    case gaia_errc::prepare_failed: return "prepare_failed";
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

caf::error error_from(const std::exception& e, gaia_errc otherwise) {
  if (dynamic_cast<const download_cancelled*>(&e) != nullptr)
    return engine::make_error(engine::errc::cancelled, e.what());
  if (dynamic_cast<const corrupt_gzip_error*>(&e) != nullptr)
    return make_error(gaia_errc::corrupt_archive, e.what());
  if (dynamic_cast<const output_error*>(&e) != nullptr)
    return make_error(gaia_errc::output_failed, e.what());
  return make_error(otherwise, e.what());
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

void register_messages(caf::actor_system_config& cfg) {
  engine::register_engine_messages(cfg);
  cfg.add_message_type<source_version>("gaia::source_version");
  cfg.add_message_type<prepare_request>("gaia::prepare_request");
  cfg.add_message_type<prepare_reply>("gaia::prepare_reply");
  cfg.add_message_type<download_request>("gaia::download_request");
  cfg.add_message_type<download_reply>("gaia::download_reply");
  cfg.add_message_type<import_request>("gaia::import_request");
  cfg.add_message_type<import_reply>("gaia::import_reply");
  cfg.add_message_type<shipped_download>("gaia::shipped_download");
  cfg.add_message_type<shipped_import>("gaia::shipped_import");
  cfg.add_message_type<compute_request>("gaia::compute_request");
  cfg.add_message_type<compute_reply>("gaia::compute_reply");
  cfg.add_message_type<export_request>("gaia::export_request");
  cfg.add_message_type<export_reply>("gaia::export_reply");
  cfg.add_error_category(
    gaia_error_atom::value,
    [](uint8_t code, caf::atom_value, const caf::message& ctx) {
      return std::string("gaia::") + code_name(code) + ": " + context_text(ctx);
    });
}

} // namespace gaia
