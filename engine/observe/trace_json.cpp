#include "engine/observe/trace_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace engine {

namespace {

using json = nlohmann::json;

std::string text(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

/// `j` as dump(2) writes it `depth` levels in: every line but the first
/// indented that much more.
std::string nested(const json& j, size_t depth) {
  const std::string flat = text(j, 2);
  const std::string pad(2 * depth, ' ');
  std::string out;
  out.reserve(flat.size() + flat.size() / 8);
  for (char c : flat) {
    out += c;
    if (c == '\n') out += pad; // newlines in strings are escaped: only the layout's
  }
  return out;
}

/// An array at depth 1 of a dump(2), its elements given by `each`.
template <class Each>
void write_array(const text_sink& out, size_t count, Each each) {
  if (count == 0) {
    out("[]");
    return;
  }
  out("[\n");
  bool first = true;
  each([&](const json& element) {
    out(first ? "    " : ",\n    ");
    first = false;
    out(nested(element, 2));
  });
  out("\n  ]");
}

} // namespace

void write_trace_json(const trace_reader& r, const text_sink& out) {
  // The keys in the order a json object (sorted) dumps them.
  out("{\n  \"damaged_lines\": " + std::to_string(r.damaged_count()) + ",\n  \"log\": ");
  write_array(out, r.log_count(), [&](const auto& put) {
    r.log(0, r.log_count(), [&](const log_entry& l) {
      put(to_json(l));
      return true;
    });
  });
  out(",\n  \"messages\": ");
  write_array(out, r.message_count(), [&](const auto& put) {
    r.messages(0, r.message_count(), [&](const traced_message& m) {
      put(to_json(m));
      return true;
    });
  });
  out(",\n  \"run\": " + nested(to_json(r.run()), 1));
  out(std::string(",\n  \"truncated\": ") + (r.truncated() ? "true" : "false") + "\n}");
}

std::string trace_page_json(const trace_reader& r, const trace_page_query& q,
                            const std::string& outcome) {
  const size_t limit = std::min(q.limit, trace_page_query::max_limit);
  const size_t log_limit = std::min(q.log_limit, trace_page_query::max_limit);
  const size_t total = q.failed_only ? r.failed_count() : r.message_count();
  std::string messages = "[";
  r.messages(q.offset, limit, [&](const traced_message& m) {
    if (messages.size() > 1) messages += ',';
    messages += text(to_json(m), -1);
    return messages.size() < trace_page_query::max_bytes;
  }, q.failed_only);
  messages += ']';

  const size_t log_offset =
    q.log_offset ? *q.log_offset : r.log_count() - std::min(r.log_count(), log_limit);
  std::string log = "[";
  r.log(log_offset, log_limit, [&](const log_entry& l) {
    if (log.size() > 1) log += ',';
    log += text(to_json(l), -1);
    return log.size() < trace_page_query::max_bytes;
  });
  log += ']';

  json run = to_json(r.run());
  if (!outcome.empty()) run["outcome"] = outcome;
  json damaged = json::array();
  for (const auto& d : r.damaged()) damaged.push_back({{"line", d.line}, {"why", d.why}});
  const uint64_t first_failure = r.first_failure();
  const uint64_t select = q.select != 0 ? q.select : first_failure;
  auto selected = select != 0 ? r.message(select) : std::nullopt;
  auto reply = selected ? r.reply_to(selected->id) : std::nullopt;
  json head{{"run", std::move(run)},
            {"messages_offset", q.offset},
            {"messages_total", total},
            {"log_offset", log_offset},
            {"log_total", r.log_count()},
            {"damaged_lines", r.damaged_count()},
            {"damaged", std::move(damaged)},
            {"truncated", r.truncated()},
            {"first_failure", first_failure},
            {"selected", selected ? to_json(*selected) : json()},
            {"selected_reply", reply ? to_json(*reply) : json()}};
  std::string out = text(head, -1);
  out.pop_back(); // the closing brace: the two lists go in before it
  out += ",\"messages\":" + messages + ",\"log\":" + log + "}";
  return out;
}

} // namespace engine
