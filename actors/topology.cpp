#include "actors/topology.hpp"

#include "settings/settings.hpp"

#include <sstream>
#include <stdexcept>

namespace gaia::topology {

namespace {

const std::vector<node> all_nodes = {
  {"service", "Polling service", node_kind::service,
   "polls output_dir; starts a run when no marker exists and results.lock "
   "can be taken"},
  {"process", "Benchmark process", node_kind::process,
   "prepares the run, pipelines downloads into imports, then compute and "
   "export; writes results.done / results.err"},
  {"download_pool", "Download operation pool", node_kind::pool,
   "fetches archive files with libcurl to downloads/ (.part, then rename)"},
  {"import_pool", "Import operation pool", node_kind::pool,
   "streams gzip + ECSV, writes one sorted aggregate checkpoint per file"},
  {"compute", "Compute operation", node_kind::operation,
   "k-way merge of the checkpoints by source_id, keeps changes > 100 %"},
  {"export", "Export operation", node_kind::operation,
   "writes results.csv (temporary name, then rename)"},
};

const std::vector<edge> all_edges = {
  {"service", "process", "benchmark_request"},
  {"process", "download_pool", "download_request"},
  {"process", "import_pool", "import_request"},
  {"process", "compute", "compute_request"},
  {"process", "export", "export_request"},
};

} // namespace

const std::vector<node>& nodes() { return all_nodes; }
const std::vector<edge>& edges() { return all_edges; }

const node& find(const std::string& id) {
  for (const auto& n : all_nodes)
    if (id == n.id)
      return n;
  throw std::out_of_range("topology has no node '" + id + "'");
}

bool has_edge(const std::string& from, const std::string& to) {
  for (const auto& e : all_edges)
    if (from == e.from && to == e.to)
      return true;
  return false;
}

int workers_of(const node& n, const settings& s) {
  std::string id = n.id;
  if (id == "download_pool")
    return s.download_pool_size;
  if (id == "import_pool")
    return s.import_pool_size;
  return 1;
}

std::string to_mermaid(const settings* s) {
  std::ostringstream out;
  out << "flowchart LR\n";
  for (const auto& n : all_nodes) {
    std::string title = n.title;
    if (s != nullptr && n.kind == node_kind::pool)
      title += " x" + std::to_string(workers_of(n, *s));
    if (s != nullptr && n.kind == node_kind::service)
      title += "<br/>every " + std::to_string(s->poll_interval_ms) + " ms";
    // Shapes: service = stadium, process = rectangle, pool = subroutine,
    // operation = rounded.
    switch (n.kind) {
      case node_kind::service:
        out << "  " << n.id << "([\"" << title << "\"])\n";
        break;
      case node_kind::process:
        out << "  " << n.id << "[\"" << title << "\"]\n";
        break;
      case node_kind::pool:
        out << "  " << n.id << "[[\"" << title << "\"]]\n";
        break;
      case node_kind::operation:
        out << "  " << n.id << "(\"" << title << "\")\n";
        break;
    }
  }
  for (const auto& e : all_edges)
    out << "  " << e.from << " -- " << e.message << " --> " << e.to << "\n";
  return out.str();
}

} // namespace gaia::topology
