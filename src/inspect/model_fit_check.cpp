#include "inspect/model_fit_check.h"

namespace linesight {

void ModelFitCheck::Add(const Verdict& v) {
  ++parts_;
  if (v.decision == Decision::kHold && v.reason == HoldReason::kPartNotFound)
    ++not_found_;
  else if (v.decision != Decision::kHold && v.threshold > 0 && v.score > kFarFactor * v.threshold)
    ++far_;
}

std::string ModelFitCheck::Warning() const {
  if (parts_ < kMinParts || far_ + not_found_ < kShare * parts_) return "";
  std::string w =
      std::to_string(far_ + not_found_) + " of " + std::to_string(parts_) + " parts were ";
  if (far_) w += std::to_string(far_) + " scored over 3x the threshold";
  if (far_ && not_found_) w += " or ";
  if (not_found_) w += std::to_string(not_found_) + " not found";
  return w + ": is this the model for this product, camera and lighting? Check the model " +
         "(`linesight model show`) and train one on good parts from this line if it is not";
}

}  // namespace linesight
