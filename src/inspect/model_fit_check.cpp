#include "inspect/model_fit_check.h"

namespace linesight {

void ModelFitCheck::Add(const Verdict& v) {
  ++parts_;
  const bool quality = v.reason == HoldReason::kOutOfFocus || v.reason == HoldReason::kSaturated ||
                       v.reason == HoldReason::kExposure;
  if (v.decision == Decision::kHold && v.reason == HoldReason::kPartNotFound)
    ++not_found_;
  else if (v.decision == Decision::kHold && quality)
    ++unfit_frames_;
  else if (v.decision == Decision::kHold && v.reason == HoldReason::kBadImage && v.threshold > 0)
    ++wrong_size_;  // an unreadable frame has no threshold: only a located part is measured
  else if (v.decision != Decision::kHold && v.threshold > 0 && v.score > kFarFactor * v.threshold)
    ++far_;
}

std::string ModelFitCheck::Warning() const {
  const int against = far_ + not_found_ + unfit_frames_ + wrong_size_;
  if (parts_ < kMinParts || against < kShare * parts_) return "";
  std::string w = std::to_string(against) + " of " + std::to_string(parts_) +
                  " parts do not look like the parts this model was trained on (";
  std::string sep;
  auto add = [&](int n, const char* what) {
    if (n == 0) return;
    w += sep + std::to_string(n) + " " + what;
    sep = ", ";
  };
  add(far_, "scored over 3x the threshold");
  add(not_found_, "not found");
  add(unfit_frames_, "held for focus or exposure unlike the training images");
  add(wrong_size_, "seen at another size than in training");
  return w + "): is this the model for this product, camera, lens and lighting? Check the model " +
         "(`linesight model show`) and train one on good parts from this line if it is not";
}

}  // namespace linesight
