// inspect/model_fit_check.h: watches a run of verdicts for a model that does not fit the parts in
// front of it (another product, another camera, lighting far from training): nearly every part
// far above the threshold, or not found at all. A line would reject everything, silently.
#pragma once

#include <string>

#include "inspect/verdict.h"

namespace linesight {

class ModelFitCheck {
 public:
  // A part counts against the model when its score is over kFarFactor x the threshold, the part
  // was not found, its frame was held for focus or exposure (judged against the training
  // images: another product's sharp image can look blurred to them), or the part was found at
  // another size than in training (a bad_image hold after the part was located, which names the
  // model's threshold); a warning is due when at least kShare of at least kMinParts parts do.
  static constexpr double kFarFactor = 3.0;
  static constexpr double kShare = 0.8;
  static constexpr int kMinParts = 10;

  void Add(const Verdict& v);

  // Empty while the run looks normal; else one warning naming what was seen and what to check.
  std::string Warning() const;

  int parts() const { return parts_; }

 private:
  int parts_ = 0;
  int far_ = 0;
  int not_found_ = 0;
  int unfit_frames_ = 0;
  int wrong_size_ = 0;
};

}  // namespace linesight
