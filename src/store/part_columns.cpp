#include "store/part_columns.h"

#include "core/error.h"

namespace linesight::store {
namespace {

// score / threshold, the measure of how far over (or under) its threshold a view is.
double Severity(const ViewResult& v) {
  if (v.threshold > 0) return static_cast<double>(v.score) / v.threshold;
  return v.score > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

HoldReason StoredReason(const std::string& name) {
  const auto r = ParseHoldReason(name);
  if (!r)
    throw Error(ErrorCategory::kIo, "the store holds an unknown hold reason '" + name + "'",
                "upgrade linesight to the version that wrote the store");
  return *r;
}

}  // namespace

PartColumns DerivePartColumns(const PartRecord& part) {
  PartColumns c;
  if (part.views.empty()) return c;
  c.image = part.views.front().image;
  const ViewResult* worst = &part.views.front();
  for (const ViewResult& v : part.views)
    if (Severity(v) > Severity(*worst)) worst = &v;
  c.score = worst->score;
  c.threshold = worst->threshold;
  c.model_id = worst->model_id;
  if (part.decision == Decision::kReject) {
    // The rejecting view is the worst one unless views tie; take the first rejecting view's
    // finding if the worst view has none.
    const ViewResult* typed = worst;
    if (typed->findings.empty())
      for (const ViewResult& v : part.views)
        if (v.decision == Decision::kReject && !v.findings.empty()) {
          typed = &v;
          break;
        }
    if (!typed->findings.empty())
      c.defect_type_line = typed->findings.front().type;
    else if (RejectedForRecurringMark(part))
      c.defect_type_line = "die_mark";
  }
  return c;
}

std::string PartDefectType(std::string_view defect_type_line,
                           std::optional<Decision> review_verdict, std::string_view review_label) {
  if (review_verdict == Decision::kReject && !review_label.empty())
    return std::string(review_label);
  return std::string(defect_type_line);
}

const std::string_view kSummarySelect =
    "SELECT p.seq, p.part_id, p.station, p.machine, p.die, p.shot, p.die_shot, p.time_ms, "
    "p.decision, p.reason, p.score, p.threshold, p.defect_type, p.image, p.model_id, "
    "p.latency_ms, r.id, r.part_id, r.user_name, r.time_ms, r.verdict, r.defect_type, r.note "
    "FROM parts p LEFT JOIN reviews r ON r.id = p.review_id";

const std::string_view kReviewColumns =
    "id, part_id, user_name, time_ms, verdict, defect_type, note";

Decision StoredDecision(const std::string& name) {
  const auto d = ParseDecision(name);
  if (!d)
    throw Error(ErrorCategory::kIo, "the store holds an unknown decision '" + name + "'",
                "upgrade linesight to the version that wrote the store");
  return *d;
}

Review ReadReview(const SqlRow& row, int c) {
  Review r;
  r.id = row.Int(c);
  r.part_id = row.Text(c + 1);
  r.user = row.Text(c + 2);
  r.time_ms = row.Int(c + 3);
  r.verdict = StoredDecision(row.Text(c + 4));
  r.defect_type = row.Text(c + 5);
  r.note = row.Text(c + 6);
  return r;
}

PartSummary ReadSummary(const SqlRow& row) {
  PartSummary s;
  s.seq = row.Int(0);
  s.part_id = row.Text(1);
  s.station = row.Text(2);
  s.machine = row.Text(3);
  s.die = row.Text(4);
  s.shot = row.Int(5);
  s.die_shot = row.Int(6);
  s.time_ms = row.Int(7);
  s.decision = StoredDecision(row.Text(8));
  s.reason = StoredReason(row.Text(9));
  s.score = static_cast<float>(row.Double(10));
  s.threshold = static_cast<float>(row.Double(11));
  s.defect_type = row.Text(12);
  s.image = row.Text(13);
  s.model_id = row.Text(14);
  s.latency_ms = row.Double(15);
  if (!row.IsNull(16)) s.review = ReadReview(row, 16);
  return s;
}

}  // namespace linesight::store
