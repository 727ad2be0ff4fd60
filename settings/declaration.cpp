// The checks every kind of setting shares (settings/declaration.hpp): one
// wording of each error, whichever setting and group it is.
#include "settings/declaration.hpp"

#include <charconv>

namespace gaia::setting_values {

using json = nlohmann::json;

std::string quoted(const std::string& text) { return "'" + text + "'"; }

int64_t integer(const json& v, const std::string& where, int64_t lo, int64_t hi) {
  if (!v.is_number_integer())
    throw config_error(where + ": expected an integer, got " + v.dump());
  auto x = v.get<int64_t>();
  if (x < lo || x > hi)
    throw config_error(where + ": " + std::to_string(x) + " is out of range ["
                       + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

bool boolean(const json& v, const std::string& where) {
  if (!v.is_boolean())
    throw config_error(where + ": expected true or false, got " + v.dump());
  return v.get<bool>();
}

std::string text(const json& v, const std::string& where) {
  if (!v.is_string())
    throw config_error(where + ": expected a string, got " + v.dump());
  return v.get<std::string>();
}

json env_integer(const std::string& text, const std::string& var) {
  return env_integer_in(text, text, var);
}

json env_integer_in(const std::string& item, const std::string& text, const std::string& var) {
  long long x = 0;
  const char* b = item.data();
  const char* e = item.data() + item.size();
  while (b < e && *b == ' ') ++b;
  while (e > b && e[-1] == ' ') --e;
  auto r = std::from_chars(b, e, x);
  if (b == e || r.ec != std::errc() || r.ptr != e)
    throw config_error(var + ": expected an integer, got " + quoted(text));
  return x;
}

json env_boolean(const std::string& text, const std::string& var) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  throw config_error(var + ": expected true or false, got " + quoted(text));
}

json env_text(const std::string& text, const std::string&) { return text; }

void not_one_of(const std::vector<std::string>& names, const json& v, const std::string& where) {
  std::string list;
  for (size_t i = 0; i < names.size(); ++i)
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + ("\"" + names[i] + "\"");
  throw config_error(where + ": expected " + list + ", got "
                     + (v.is_string() ? quoted(v.get<std::string>()) : v.dump()));
}

} // namespace gaia::setting_values
