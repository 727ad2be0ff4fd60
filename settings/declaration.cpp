// The checks every kind of setting shares (settings/declaration.hpp): one
// wording of each error, whichever setting and group it is.
#include "settings/declaration.hpp"

#include <algorithm>
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

json env_list(const std::string& text, const std::string&) {
  json out = json::array();
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    size_t b = start, e = end;
    while (b < e && text[b] == ' ') ++b;
    while (e > b && text[e - 1] == ' ') --e;
    out.push_back(text.substr(b, e - b));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> distinct_names(const json& v, const std::string& where) {
  if (!v.is_array()) throw config_error(where + ": expected a list of names, got " + v.dump());
  if (v.empty()) throw config_error(where + ": must not be empty");
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string())
      throw config_error(where + ": expected a list of names, got " + item.dump() + " in it");
    auto name = item.get<std::string>();
    if (std::find(out.begin(), out.end(), name) != out.end())
      throw config_error(where + ": " + setting_values::quoted(name) + " is listed twice");
    out.push_back(std::move(name));
  }
  return out;
}

} // namespace gaia::setting_values
