#include "archive/stream_import.hpp"

namespace gaia {

struct stream_import::state {
  source_table table;
  ecsv_stream text;
  gzip_stream gzip;

  state(const std::string& name, const read_options& opts, inflate_backend backend)
    : text(name, [this](const source_aggregate& a) { table.add(a); }, opts),
      gzip(name, backend) {}
};

stream_import::stream_import(std::string name, const read_options& opts,
                             inflate_backend backend)
  : name_(std::move(name)), opts_(opts), backend_(backend),
    st_(std::make_unique<state>(name_, opts_, backend_)) {}

stream_import::~stream_import() = default;

void stream_import::restart() { st_ = std::make_unique<state>(name_, opts_, backend_); }

void stream_import::feed(const char* data, size_t n) { st_->gzip.feed(data, n, st_->text); }

void stream_import::finish() {
  st_->gzip.finish(st_->text);
  result_ = file_aggregates{};
  result_.stats = st_->text.finish();
  result_.stats.uncompressed_bytes = st_->gzip.uncompressed_bytes();
  result_.sources = st_->table.take_sorted();
}

uint64_t stream_import::compressed_bytes() const { return st_->gzip.compressed_bytes(); }

} // namespace gaia
