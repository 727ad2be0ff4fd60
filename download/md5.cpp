// MD5 through OpenSSL's EVP interface (libcrypto), and whole-file helpers.
#include "download/md5.hpp"

#include "core/errors.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gaia {

namespace {

constexpr size_t read_chunk = 1 << 20;

[[noreturn]] void crypto_failed(const char* what) {
  throw std::runtime_error(std::string("OpenSSL MD5: ") + what + " failed");
}

} // namespace

void md5::free_ctx::operator()(evp_md_ctx_st* p) const { EVP_MD_CTX_free(p); }

md5::md5() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) crypto_failed("EVP_MD_CTX_new");
  reset();
}

md5::~md5() = default;
md5::md5(md5&&) noexcept = default;
md5& md5::operator=(md5&&) noexcept = default;

void md5::reset() {
  if (EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr) != 1)
    crypto_failed("EVP_DigestInit_ex");
}

void md5::update(const void* data, size_t n) {
  if (n > 0 && EVP_DigestUpdate(ctx_.get(), data, n) != 1)
    crypto_failed("EVP_DigestUpdate");
}

std::string md5::hex() const {
  // Finish a copy: the running digest stays open for more data.
  std::unique_ptr<evp_md_ctx_st, free_ctx> copy(EVP_MD_CTX_new());
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), ctx_.get()) != 1)
    crypto_failed("EVP_MD_CTX_copy_ex");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(copy.get(), digest, &len) != 1)
    crypto_failed("EVP_DigestFinal_ex");
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 15];
  }
  return out;
}

std::string md5_hex(const std::string& data) {
  md5 h;
  h.update(data);
  return h.hex();
}

void md5_file_prefix(const std::string& path, uint64_t bytes, md5& into) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
    std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    throw input_error(path + ": cannot read: " + std::strerror(errno));
  std::vector<char> buf(read_chunk);
  while (bytes > 0) {
    size_t want = bytes < buf.size() ? static_cast<size_t>(bytes) : buf.size();
    size_t got = std::fread(buf.data(), 1, want, f.get());
    if (got == 0)
      throw input_error(path + (std::ferror(f.get()) ? ": read error"
                                                     : ": shorter than expected"));
    into.update(buf.data(), got);
    bytes -= got;
  }
}

std::string md5_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
    std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    throw input_error(path + ": cannot read: " + std::strerror(errno));
  md5 h;
  std::vector<char> buf(read_chunk);
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), f.get())) > 0)
    h.update(buf.data(), got);
  if (std::ferror(f.get()))
    throw input_error(path + ": read error");
  return h.hex();
}

} // namespace gaia
