#include "engine/messages.hpp"

namespace engine {

namespace {

const char* code_name(uint8_t code) {
  switch (static_cast<errc>(code)) {
    case errc::cancelled: return "cancelled";
    case errc::job_timeout: return "job_timeout";
    case errc::worker_lost: return "worker_lost";
    case errc::refused: return "refused";
    case errc::output_failed: return "output_failed";
  }
  return "unknown";
}

/// A context made of a text and, optionally, a subject (error_of).
bool is_text_context(const caf::message& ctx) {
  return ctx.match_elements<std::string>() || ctx.match_elements<std::string, std::string>();
}

} // namespace

std::string context_text(const caf::message& ctx) {
  if (is_text_context(ctx))
    return ctx.get_as<std::string>(0);
  return caf::to_string(ctx);
}

std::string error_subject(const caf::error& e) {
  const auto& ctx = e.context();
  if (ctx.match_elements<std::string, std::string>())
    return ctx.get_as<std::string>(1);
  return "";
}

caf::error make_error(errc code, std::string text) {
  return caf::error{static_cast<uint8_t>(code), error_atom::value,
                    caf::make_message(std::move(text))};
}

caf::error error_of(const failure& e, caf::atom_value category, uint8_t otherwise) {
  auto context = e.subject().empty()
                   ? caf::make_message(std::string(e.what()))
                   : caf::make_message(std::string(e.what()), e.subject());
  if (e.has_code()) return caf::error{e.code(), e.category(), std::move(context)};
  return caf::error{otherwise, category, std::move(context)};
}

bool is_error(const caf::error& e, errc code) {
  return e.category() == error_atom::value
         && e.code() == static_cast<uint8_t>(code);
}

std::string error_text(const caf::error& e) {
  if (e.category() != caf::atom("system") && is_text_context(e.context()))
    return context_text(e.context());
  if (e.category() == caf::atom("system")
      && e.code() == static_cast<uint8_t>(caf::sec::request_timeout))
    return "no reply in time";
  return caf::to_string(e);
}

/// The declared message types (a function's static: declarations run
/// during static initialisation, in any order).
std::vector<std::function<void(caf::actor_system_config&)>>& declared_types() {
  static std::vector<std::function<void(caf::actor_system_config&)>> types;
  return types;
}

void declare_message_type(std::function<void(caf::actor_system_config&)> add) {
  declared_types().push_back(std::move(add));
}

void register_engine_messages(caf::actor_system_config& cfg) {
  for (const auto& add : declared_types()) add(cfg);
  cfg.add_error_category(
    error_atom::value,
    [](uint8_t code, caf::atom_value, const caf::message& ctx) {
      return std::string("engine::") + code_name(code) + ": " + context_text(ctx);
    });
}

} // namespace engine
