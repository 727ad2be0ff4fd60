#include "results/checkpoint.hpp"

#include "engine/state/atomic_file.hpp"
#include "core/errors.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <zlib.h>

namespace gaia {

namespace {

constexpr char magic[8] = {'G', 'A', 'I', 'A', 'A', 'G', 'G', '1'};
// 3: the CRC covers the header too (its counts and fingerprint: a flipped
// row count must not reach results.done), computed with the crc field as
// zero; version 2 files left the header out, so they are redone once.
// 2: skipped values and the provenance of the input; version 1 files were
// written by a reader that could shift columns, so they are not reused.
constexpr uint32_t format_version = 3;
constexpr size_t header_size = 96;
constexpr uint64_t max_provenance = 64 * 1024;
constexpr size_t record_size = 40;
// Small on purpose: the compute merge keeps one reader per archive file
// open at once (hundreds for the whole archive), so this is per-file memory.
constexpr size_t records_per_buffer = 128; // 5 KiB

struct raw_header {
  char magic[8];
  uint32_t version;
  uint32_t crc;
  uint64_t input_size;
  int64_t input_mtime_ns;
  uint64_t rows;
  uint64_t skipped_rows;
  uint64_t sources;
  uint64_t skipped_values;
  uint64_t provenance_bytes;
  uint64_t reserved[3];
};
static_assert(sizeof(raw_header) == header_size, "checkpoint header layout");

void encode(const source_aggregate& s, unsigned char* out) {
  std::memcpy(out, &s.source_id, 8);
  std::memcpy(out + 8, &s.bp.min, 8);
  std::memcpy(out + 16, &s.bp.max, 8);
  std::memcpy(out + 24, &s.rp.min, 8);
  std::memcpy(out + 32, &s.rp.max, 8);
}

void decode(const unsigned char* in, source_aggregate& s) {
  std::memcpy(&s.source_id, in, 8);
  std::memcpy(&s.bp.min, in + 8, 8);
  std::memcpy(&s.bp.max, in + 16, 8);
  std::memcpy(&s.rp.min, in + 24, 8);
  std::memcpy(&s.rp.max, in + 32, 8);
}

uint32_t crc_update(uint32_t crc, const unsigned char* p, size_t n) {
  return static_cast<uint32_t>(::crc32(crc, p, static_cast<uInt>(n)));
}

/// The CRC of the header as it is checked: with its crc field zero. The
/// whole file's CRC starts from it.
uint32_t header_crc(raw_header h) {
  h.crc = 0;
  return crc_update(crc_update(0, nullptr, 0), reinterpret_cast<const unsigned char*>(&h),
                    sizeof h);
}

// Reads and checks the header; leaves the file positioned at the records.
bool read_header(std::FILE* f, const std::string& path, raw_header& h,
                 std::string& why) {
  if (std::fread(&h, 1, header_size, f) != header_size) {
    why = "shorter than its header";
    return false;
  }
  if (std::memcmp(h.magic, magic, sizeof magic) != 0) {
    why = "not a checkpoint file";
    return false;
  }
  if (h.version != format_version) {
    why = "checkpoint version " + std::to_string(h.version) + ", expected "
          + std::to_string(format_version);
    return false;
  }
  struct stat st {};
  if (h.provenance_bytes > max_provenance || ::stat(path.c_str(), &st) != 0
      || static_cast<uint64_t>(st.st_size)
           != header_size + h.provenance_bytes + h.sources * record_size) {
    why = "size does not match its record count (partial write?)";
    return false;
  }
  return true;
}

checkpoint_info info_of(const raw_header& h) {
  checkpoint_info info;
  info.input = {h.input_size, h.input_mtime_ns};
  info.rows = h.rows;
  info.skipped_rows = h.skipped_rows;
  info.skipped_values = h.skipped_values;
  info.sources = h.sources;
  return info;
}

} // namespace


checkpoint_writer::checkpoint_writer(const std::string& path,
                                     const source_version& source)
  : out_(std::make_unique<engine::atomic_file>(path, engine::durability::cache)),
    crc_(crc_update(0, nullptr, 0)) {
  raw_header placeholder{};
  out_->write(&placeholder, sizeof placeholder);
  if (!source.url.empty()) {
    provenance_ = source.to_json();
    crc_ = crc_update(crc_, reinterpret_cast<const unsigned char*>(provenance_.data()),
                      provenance_.size());
    body_bytes_ += provenance_.size();
    out_->write(provenance_);
  }
  buf_.reserve(records_per_buffer * record_size);
}

checkpoint_writer::~checkpoint_writer() = default;

void checkpoint_writer::add(const source_aggregate& s) {
  size_t at = buf_.size();
  buf_.resize(at + record_size);
  encode(s, buf_.data() + at);
  ++count_;
  if (buf_.size() >= records_per_buffer * record_size)
    flush();
}

void checkpoint_writer::flush() {
  crc_ = crc_update(crc_, buf_.data(), buf_.size());
  body_bytes_ += buf_.size();
  out_->write(buf_.data(), buf_.size());
  buf_.clear();
}

void checkpoint_writer::commit(const checkpoint_info& info) {
  flush();
  raw_header h{};
  std::memcpy(h.magic, magic, sizeof magic);
  h.version = format_version;
  h.input_size = info.input.size;
  h.input_mtime_ns = info.input.mtime_ns;
  h.rows = info.rows;
  h.skipped_rows = info.skipped_rows;
  h.skipped_values = info.skipped_values;
  h.provenance_bytes = provenance_.size();
  h.sources = count_;
  // The body's CRC was taken as it was written; the header's comes first.
  h.crc = static_cast<uint32_t>(
    ::crc32_combine(header_crc(h), crc_, static_cast<z_off_t>(body_bytes_)));
  out_->rewrite_start(&h, sizeof h);
  out_->commit();
}

void write_checkpoint(const std::string& path, const checkpoint_info& info,
                      const std::vector<source_aggregate>& sources) {
  checkpoint_writer out(path, info.source);
  for (const auto& s : sources)
    out.add(s);
  out.commit(info);
}

std::optional<checkpoint_info> read_checkpoint_info(const std::string& path,
                                                    std::string* why) {
  try {
    checkpoint_reader reader(path);
    source_aggregate s;
    while (reader.next(s)) {
    }
    return reader.info();
  } catch (const input_error& e) {
    if (why) *why = e.what();
    return std::nullopt;
  }
}

checkpoint_reader::checkpoint_reader(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr)
    throw input_error(path + ": " + std::strerror(errno));
  // buf_ is the only buffer: stdio's own would double the per-file memory.
  std::setvbuf(file_, nullptr, _IONBF, 0);
  raw_header h{};
  std::string why;
  if (!read_header(file_, path, h, why)) {
    std::fclose(file_);
    file_ = nullptr;
    throw input_error(path + ": " + why);
  }
  info_ = info_of(h);
  expected_crc_ = h.crc;
  crc_ = header_crc(h);
  if (h.provenance_bytes > 0) {
    std::string text(h.provenance_bytes, '\0');
    if (std::fread(text.data(), 1, text.size(), file_) != text.size()) {
      std::fclose(file_);
      file_ = nullptr;
      throw input_error(path + ": checkpoint ends early");
    }
    crc_ = crc_update(crc_, reinterpret_cast<const unsigned char*>(text.data()),
                      text.size());
    if (auto v = source_version::from_json(text)) info_.source = *v;
  }
  remaining_ = h.sources;
  buf_.resize(records_per_buffer * record_size);
}

checkpoint_reader::~checkpoint_reader() {
  if (file_ != nullptr)
    std::fclose(file_);
}

bool checkpoint_reader::refill() {
  if (remaining_ == 0)
    return false;
  size_t want = std::min<uint64_t>(remaining_, records_per_buffer);
  size_t got = std::fread(buf_.data(), record_size, want, file_);
  if (got != want)
    throw input_error(path_ + ": checkpoint ends early");
  crc_ = crc_update(crc_, buf_.data(), got * record_size);
  remaining_ -= got;
  pos_ = 0;
  len_ = got;
  return true;
}

bool checkpoint_reader::next(source_aggregate& out) {
  if (pos_ == len_) {
    if (!refill()) {
      if (crc_ != expected_crc_)
        throw input_error(path_ + ": checkpoint CRC mismatch");
      return false;
    }
    if (remaining_ == 0 && crc_ != expected_crc_)
      throw input_error(path_ + ": checkpoint CRC mismatch");
  }
  decode(buf_.data() + pos_ * record_size, out);
  ++pos_;
  return true;
}

} // namespace gaia
