// inspect/die_memory.h: what one die leaves on every part it makes. A heat-check vein is too faint
// to see on one part, but it lies at the same place of the part on each: DieMemory keeps, in the
// part's own frame, a short and a long running mean of each place's squared deviation from good
// parts, and reports the place where the short one has risen above the long one by far more than
// anywhere else (a mark the die has begun to leave). One per view of a station; one thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "inspect/inspection_model.h"
#include "inspect/inspector.h"

namespace linesight {

struct DieMemoryOptions {
  // These change results (docs/algorithm.md, "Die memory", says why each default).
  double short_parts = 200;  // the short mean's horizon (exponential weighting), parts
  double long_parts = 3000;  // the long mean's: what this die's parts were like before
  int min_parts = 600;       // parts of one die before any judgement
  double smooth_px = 1.5;    // Gaussian blur of the difference, canvas px
  double min_sigma = 6.5;    // peak above the median, in robust (MAD) spreads of the difference
  float max_z2 = 16;         // one pixel's z^2 is clipped here: one part's defect is not a mark
};

// A mark found: where (the part's frame, rim radii, as Finding::place), how far it reaches, and
// how strongly it stands out.
struct DieMark {
  double x = 0, y = 0;    // centre of its region
  double size = 0;        // the region's longest side, rim radii
  double sigma = 0;       // its peak, in robust spreads of the difference map above its median
  cv::Rect canvas_box;    // its region in the folded part frame, canvas px (for tests and pictures)
  cv::Point canvas_peak;  // its strongest pixel there
};

class DieMemory {
 public:
  // `model` must outlive the memory. Only round parts (disc locator) have a part frame.
  DieMemory(const InspectionModel& model, const DieMemoryOptions& options = {});

  // Adds the part last inspected with `ws` (its deviations as scoring left them; a workspace that
  // holds none, e.g. of a part not scored, adds nothing) and
  // judges the die once it has min_parts parts: the mark, if one stands out. Costs one pass over
  // the canvas per part (plus a blur and two medians once judging).
  std::optional<DieMark> Add(const Workspace& ws);
  // The same from a copy of what scoring left: `deviations` (CV_32F, canvas x canvas: each
  // pixel's largest |z|, CellStatsWorkspace::raw_map) of a part turned by `turn_rad`
  // (CellStatsModel::TurnRadians), so that a station can add the part after the PLC has its
  // result, off the part's time.
  std::optional<DieMark> Add(const cv::Mat& deviations, double turn_rad);

  // A new die (or a new model): forgets every part.
  void Reset();

  // Writes what the memory holds (its running means and part count) for die `die` to `path`, a
  // sealed file (core/model_file.h: checksummed, replaced atomically), so that a restarted
  // station goes on where it stopped instead of waiting min_parts again. Throws Error{kIo}.
  void Save(const std::filesystem::path& path, const std::string& die) const;
  // Takes back what Save wrote if it was written for this model and canvas with the same
  // clipping (max_z2), and returns the die it is of; nullopt, the memory unchanged, for another
  // model's (one swapped while the station was down). Throws Error{kModel} naming the file for
  // one that is damaged, the memory unchanged.
  std::optional<std::string> Restore(const std::filesystem::path& path);

  int64_t parts() const { return parts_; }
  // The mark as the memory stands now, judged as Add would (nullopt before min_parts parts): for
  // a memory just taken back, whose next part must not go without the mark it had.
  std::optional<DieMark> Mark();

 private:
  std::optional<DieMark> Judge();

  const InspectionModel& model_;
  DieMemoryOptions options_;
  int canvas_ = 0;
  double rim_ = 0;
  std::vector<float> radius_, angle_;  // per canvas pixel, rim radii and radians; radius < 0: off
  cv::Mat part_sum_, part_count_;      // this part's z^2 per folded place (CV_32F)
  cv::Mat short_, long_, seen_;        // running means; parts that reached each place
  cv::Mat diff_, smooth_;              // Judge()'s scratch
  cv::Mat region_, unseen_;            // CV_8UC1: Judge()'s flood fill; places few parts reached
  std::vector<float> values_;
  int64_t parts_ = 0;
};

}  // namespace linesight
