// What engine/tls_guard.cpp adds to CAF 0.17.6's TLS layer (libcaf_openssl)
// by interposing a few libc and libssl calls in this executable:
// - OpenSSL's per-thread error queue cleared before each TLS call (CAF never
//   does, and a refused peer's errors would drop a healthy connection);
// - every accepted connection's peer address taken at accept(), so a
//   refused handshake names its peer even when it has already gone (and
//   getpeername() fails), logged once a minute per host and reason;
// - a time limit on the server side of a handshake: a peer that connects
//   and never finishes it is cut off instead of holding the connection;
// - the reason a handshake this process started was refused, so that a
//   worker can say why it cannot join.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace engine {

/// A connection accepted by TLS that has not finished its handshake
/// within `limit` is shut down and logged as refused (0: no limit).
void set_tls_handshake_limit(std::chrono::milliseconds limit);

/// Why the last TLS handshake this process started with a peer on `port`
/// failed in the last `within` ("certificate verify failed", "tlsv1 alert
/// unknown ca", ...), or "" when none did.
std::string tls_refusal_from(uint16_t port, std::chrono::milliseconds within);

} // namespace engine
