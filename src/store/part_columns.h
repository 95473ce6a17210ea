// store/part_columns.h: how a PartRecord maps to the server store's parts row (the worst view,
// the line's defect type, the part's defect type after reviews) and how rows read back into
// PartSummary and Review. Shared by both engines; pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/part_record.h"
#include "store/sql_connection.h"
#include "store/store.h"

namespace linesight::store {

// The columns derived from a part's views.
struct PartColumns {
  float score = 0, threshold = 0;  // the worst view's (highest score / threshold)
  std::string defect_type_line;    // its first finding's type when the line rejected, else ""
  std::string image;               // the first view's kept image, "" if none
  std::string model_id;            // the worst view's model
};
PartColumns DerivePartColumns(const PartRecord& part);

// The part's defect type: a bad review's label, else the line's type when the line rejected
// (`defect_type_line` is "" otherwise), else "". A bad review without a label keeps the line's.
std::string PartDefectType(std::string_view defect_type_line,
                           std::optional<Decision> review_verdict, std::string_view review_label);

// SELECT list and FROM clause reading a PartSummary (parts p joined with its latest review r).
extern const std::string_view kSummarySelect;
PartSummary ReadSummary(const SqlRow& row);

// Columns of a review, in this order, for ReadReview.
extern const std::string_view kReviewColumns;
Review ReadReview(const SqlRow& row, int first_column);

// The decision stored as text ("pass", "reject", "hold"); throws Error{kIo} if unknown.
Decision StoredDecision(const std::string& name);

}  // namespace linesight::store
