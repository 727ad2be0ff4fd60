// MD5 (RFC 1321), streaming: the ESA archive publishes one MD5 per file in
// _MD5SUM.txt, and downloads are checked against it while they stream. Not
// for security, only to detect damaged or mixed-up files. OpenSSL's
// libcrypto (EVP) computes it: well kept, and faster than a portable
// implementation (it has assembly for x86-64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace gaia {

/// An MD5 computation fed piece by piece.
class md5 {
public:
  md5();
  ~md5();
  md5(md5&&) noexcept;
  md5& operator=(md5&&) noexcept;
  md5(const md5&) = delete;
  md5& operator=(const md5&) = delete;
  /// Back to the digest of nothing.
  void reset();
  /// Adds `n` bytes.
  void update(const void* data, size_t n);
  void update(const std::string& s) { update(s.data(), s.size()); }
  /// The digest of everything added, as 32 lowercase hex digits. Does not
  /// change the state: more may be added afterwards.
  std::string hex() const;

private:
  struct free_ctx {
    void operator()(evp_md_ctx_st* p) const;
  };
  std::unique_ptr<evp_md_ctx_st, free_ctx> ctx_;
};

/// MD5 of a whole string (tests, small texts).
std::string md5_hex(const std::string& data);

/// MD5 of a file, read in chunks. Throws input_error naming the file.
std::string md5_file(const std::string& path);

/// MD5 of a file's first `bytes` bytes into `into`, read in chunks (a
/// resumed download's ".part"). Throws input_error when it is shorter.
void md5_file_prefix(const std::string& path, uint64_t bytes, md5& into);

} // namespace gaia
