// The one registration of the production's message types (each declared
// beside its struct) and error categories.
#include "messages/messages.hpp"

namespace gaia {

void register_messages(caf::actor_system_config& cfg) {
  // Every message type is declared beside its struct (engine::message_type).
  engine::register_engine_messages(cfg);
  register_errors(cfg);
}

} // namespace gaia
