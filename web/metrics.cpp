#include "web/metrics.hpp"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cctype>
#include <chrono>
#include <mutex>

namespace web {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

/// Seconds of one job: a checksum list in milliseconds, a large file's
/// download or import in minutes.
const Histogram::BucketBoundaries job_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                 2.5,   5,    10,    30,   60,  300,  900, 3600};
/// Seconds of one run: seconds on a fast disk, hours over a slow link.
const Histogram::BucketBoundaries run_buckets = {1,   2.5,  5,    10,   30,    60,   120,
                                                 300, 600,  1800, 3600, 7200, 14400, 43200};

/// A counter family whose values are read when scraped.
class read_counter final : public prometheus::Collectable {
public:
  read_counter(std::string name, std::string help, std::string label,
               std::function<std::map<std::string, uint64_t>()> read)
    : name_(std::move(name)), help_(std::move(help)), label_(std::move(label)),
      read_(std::move(read)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily f;
    f.name = name_;
    f.help = help_;
    f.type = prometheus::MetricType::Counter;
    for (const auto& [value, n] : read_()) {
      prometheus::ClientMetric m;
      m.label.push_back({label_, value});
      m.counter.value = static_cast<double>(n);
      f.metric.push_back(std::move(m));
    }
    return {f};
  }

private:
  std::string name_, help_, label_;
  std::function<std::map<std::string, uint64_t>()> read_;
};

} // namespace

struct metrics::impl {
  std::string prefix;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  Family<Counter>* runs = nullptr;
  Gauge* last_success = nullptr;
  Gauge* in_progress = nullptr;
  Histogram* run_seconds = nullptr;
  Family<Counter>* jobs = nullptr;
  Family<Counter>* job_bytes = nullptr;
  Family<Gauge>* queued = nullptr;
  Family<Gauge>* active = nullptr;
  Family<Histogram>* job_seconds = nullptr;
  Family<Histogram>* wait_seconds = nullptr;
  std::mutex mu; ///< guards extra and included
  std::vector<std::shared_ptr<prometheus::Collectable>> extra;
  std::vector<std::shared_ptr<metrics>> included;

  std::string name(const char* n) const { return prefix + "_" + n; }

  /// Every series of a node, so it shows at 0 before its first job.
  void touch(const std::string& node) {
    for (const char* o : {"done", "failed", "cancelled"})
      jobs->Add({{"node", node}, {"outcome", o}});
    job_bytes->Add({{"node", node}});
    queued->Add({{"node", node}});
    active->Add({{"node", node}});
    job_seconds->Add({{"node", node}}, job_buckets);
    wait_seconds->Add({{"node", node}}, job_buckets);
  }
};

std::string metrics::name_of(const std::string& text) {
  std::string out;
  for (char c : text)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  return out;
}

metrics::metrics(std::string prefix) : impl_(std::make_unique<impl>()) {
  auto& m = *impl_;
  m.prefix = name_of(prefix);
  auto& r = *m.registry;
  m.runs = &prometheus::BuildCounter()
              .Name(m.name("runs_total"))
              .Help("Runs that ended, by outcome: ok, failed, abandoned (stopped without a "
                    "verdict by a shutdown or a lost lock)")
              .Register(r);
  for (const char* o : {"ok", "failed", "abandoned"}) m.runs->Add({{"outcome", o}});
  m.last_success = &prometheus::BuildGauge()
                      .Name(m.name("last_success_timestamp_seconds"))
                      .Help("When the last successful run ended (Unix time; 0: none yet)")
                      .Register(r)
                      .Add({});
  m.in_progress = &prometheus::BuildGauge()
                     .Name(m.name("run_in_progress"))
                     .Help("1 while a run is going, else 0")
                     .Register(r)
                     .Add({});
  m.run_seconds = &prometheus::BuildHistogram()
                     .Name(m.name("run_duration_seconds"))
                     .Help("How long runs took, start to verdict")
                     .Register(r)
                     .Add({}, run_buckets);
  m.jobs = &prometheus::BuildCounter()
              .Name(m.name("jobs_total"))
              .Help("Requests a node answered, by outcome (done, failed, cancelled); for an "
                    "operation handling one file per request, the files of that step")
              .Register(r);
  m.job_bytes = &prometheus::BuildCounter()
                   .Name(m.name("job_bytes_total"))
                   .Help("Bytes the node's finished jobs handled (what each reply reports)")
                   .Register(r);
  m.queued = &prometheus::BuildGauge()
                .Name(m.name("queue_depth"))
                .Help("Requests waiting at the node for a worker")
                .Register(r);
  m.active = &prometheus::BuildGauge()
                .Name(m.name("jobs_active"))
                .Help("Requests a worker of the node is on now")
                .Register(r);
  m.job_seconds = &prometheus::BuildHistogram()
                     .Name(m.name("job_duration_seconds"))
                     .Help("How long the node's jobs took once a worker had them")
                     .Register(r);
  m.wait_seconds = &prometheus::BuildHistogram()
                      .Name(m.name("job_wait_seconds"))
                      .Help("How long the node's requests waited for a worker")
                      .Register(r);
}

metrics::~metrics() = default;

void metrics::add_nodes(const std::vector<std::string>& nodes) {
  for (const auto& n : nodes) impl_->touch(n);
}

void metrics::add_counter(const std::string& name, const std::string& help,
                          const std::string& label,
                          std::function<std::map<std::string, uint64_t>()> read) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->extra.push_back(
    std::make_shared<read_counter>(impl_->name(name.c_str()), help, label, std::move(read)));
}

void metrics::include(std::shared_ptr<metrics> other) {
  if (!other || other.get() == this) return;
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->included.push_back(std::move(other));
}

void metrics::record(const engine::trace_event& e) {
  using k = engine::trace_event::kind;
  auto& m = *impl_;
  const prometheus::Labels node{{"node", e.target}};
  switch (e.what) {
  case k::run_started:
    m.in_progress->Set(1);
    break;
  case k::sent:
    m.queued->Add(node).Increment();
    break;
  case k::started:
    m.queued->Add(node).Decrement();
    m.active->Add(node).Increment();
    break;
  case k::finished:
  case k::failed: {
    // An answered job that no worker took was answered from the queue.
    const bool was_started = !e.worker.empty();
    (was_started ? m.active : m.queued)->Add(node).Decrement();
    const char* outcome = e.what == k::finished ? "done" : e.cancelled ? "cancelled" : "failed";
    m.jobs->Add({{"node", e.target}, {"outcome", outcome}}).Increment();
    if (e.what == k::finished)
      m.job_bytes->Add(node).Increment(static_cast<double>(e.bytes));
    if (was_started) m.job_seconds->Add(node, job_buckets).Observe(e.run_s);
    m.wait_seconds->Add(node, job_buckets).Observe(e.wait_s);
    break;
  }
  case k::run_ended:
    m.in_progress->Set(0);
    m.runs->Add({{"outcome", e.outcome}}).Increment();
    m.run_seconds->Observe(e.seconds);
    if (e.outcome == engine::outcome_name::ok)
      m.last_success->Set(
        std::chrono::duration<double>(e.at.time_since_epoch()).count());
    break;
  }
}

std::string metrics::text() const {
  auto families = impl_->registry->Collect();
  std::vector<std::shared_ptr<prometheus::Collectable>> extra;
  std::vector<std::shared_ptr<metrics>> included;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    extra = impl_->extra;
    included = impl_->included;
  }
  for (const auto& c : extra) {
    auto more = c->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  std::string text = prometheus::TextSerializer().Serialize(families);
  for (const auto& m : included) text += m->text();
  return text;
}

} // namespace web
