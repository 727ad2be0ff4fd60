// The one registration of the production's message types and error
// categories.
#include "messages/messages.hpp"

namespace gaia {

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
  register_errors(cfg);
}

} // namespace gaia
