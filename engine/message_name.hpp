// The name of a message type for graphs, traces and logs: its unqualified
// C++ name ("download_request"), found once by demangling.
#pragma once

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <typeinfo>

namespace engine {

namespace detail {

inline std::string demangled(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
    abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  std::string out = status == 0 && name ? name.get() : mangled;
  // Drop the namespaces: "app::fetch_request" -> "fetch_request".
  auto colon = out.rfind("::");
  return colon == std::string::npos ? out : out.substr(colon + 2);
}

} // namespace detail

template <class T>
const std::string& message_name() {
  static const std::string name = detail::demangled(typeid(T).name());
  return name;
}

} // namespace engine
