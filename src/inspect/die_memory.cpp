#include "inspect/die_memory.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/model_file.h"

namespace linesight {
namespace {

constexpr double kTwoPi = 2 * std::numbers::pi;
constexpr const char* kFileKind = "die_memory";
constexpr const char* kFileFix =
    "Delete the file; the station writes a new one as the die's parts come";

// A continuous CV_32F map's values, row by row, for the file.
std::vector<float> Floats(const cv::Mat& m) {
  return std::vector<float>(m.ptr<float>(0), m.ptr<float>(0) + m.total());
}

// Median of `v` (reordered).
float Median(std::vector<float>& v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

DieMemory::DieMemory(const InspectionModel& model, const DieMemoryOptions& options)
    : model_(model), options_(options) {
  canvas_ = model.anomaly.options().canvas;
  rim_ = model.recipe.locate.canvas_radius * canvas_;
  const cv::Mat& support = model.anomaly.support();
  const double c = canvas_ / 2.0;
  radius_.assign(static_cast<size_t>(canvas_) * canvas_, -1.f);
  angle_.assign(radius_.size(), 0.f);
  for (int y = 0; y < canvas_; ++y)
    for (int x = 0; x < canvas_; ++x) {
      if (support.at<uint8_t>(y, x) == 0) continue;
      const double dx = x + 0.5 - c, dy = y + 0.5 - c;
      const size_t i = static_cast<size_t>(y) * canvas_ + x;
      radius_[i] = static_cast<float>(std::hypot(dx, dy));
      double a = std::atan2(dy, dx);
      angle_[i] = static_cast<float>(a < 0 ? a + kTwoPi : a);
    }
  Reset();
}

void DieMemory::Reset() {
  for (cv::Mat* m : {&part_sum_, &part_count_, &short_, &long_, &seen_})
    m->create(canvas_, canvas_, CV_32F), m->setTo(0);
  parts_ = 0;
}

std::optional<DieMark> DieMemory::Add(const Workspace& ws) {
  return Add(ws.cell.raw_map, model_.anomaly.TurnRadians(ws.cell));
}

std::optional<DieMark> DieMemory::Add(const cv::Mat& deviations, double turn_rad) {
  double turn = std::fmod(turn_rad, kTwoPi);
  if (turn < 0) turn += kTwoPi;
  const int symmetry = std::max(1, model_.anomaly.symmetry());
  const double repeat = kTwoPi / symmetry;
  // A pixel at angle a lands at a - turn - k * repeat, k bringing it into the first repeat: a turn
  // of its (x, y) by one of these angles, each worked out once per part.
  double cs[64], sn[64];
  const int kmin = -symmetry - 1, kcount = 2 * symmetry + 3;
  for (int j = 0; j < kcount && j < 64; ++j) {
    const double by = -(turn + (kmin + j) * repeat);
    cs[j] = std::cos(by), sn[j] = std::sin(by);
  }
  part_sum_.setTo(0);
  part_count_.setTo(0);
  const double c = canvas_ / 2.0;
  // The deviations scoring left: each pixel's largest |z| over the channels (CellStatsWorkspace).
  if (deviations.rows != canvas_ || deviations.cols != canvas_ || deviations.type() != CV_32F)
    return std::nullopt;
  for (int y = 0; y < canvas_; ++y) {
    const float* zs = deviations.ptr<float>(y);
    for (int x = 0; x < canvas_; ++x) {
      const size_t i = static_cast<size_t>(y) * canvas_ + x;
      if (radius_[i] < 0) continue;
      const float z = zs[x];
      if (!(z > 0)) continue;
      const int j = static_cast<int>(std::floor((angle_[i] - turn) / repeat)) - kmin;
      if (j < 0 || j >= std::min(kcount, 64)) continue;
      const double dx = x + 0.5 - c, dy = y + 0.5 - c;
      const int px = static_cast<int>(c + dx * cs[j] - dy * sn[j]);
      const int py = static_cast<int>(c + dx * sn[j] + dy * cs[j]);
      if (px < 0 || py < 0 || px >= canvas_ || py >= canvas_) continue;
      part_sum_.at<float>(py, px) += std::min(options_.max_z2, z * z);
      part_count_.at<float>(py, px) += 1;
    }
  }
  ++parts_;
  const float a_short = static_cast<float>(std::max(1.0 / options_.short_parts, 1.0 / parts_));
  const float a_long = static_cast<float>(std::max(1.0 / options_.long_parts, 1.0 / parts_));
  for (int y = 0; y < canvas_; ++y) {
    const float* sum = part_sum_.ptr<float>(y);
    const float* count = part_count_.ptr<float>(y);
    float* s = short_.ptr<float>(y);
    float* l = long_.ptr<float>(y);
    float* seen = seen_.ptr<float>(y);
    for (int x = 0; x < canvas_; ++x) {
      if (count[x] <= 0) continue;
      const float v = sum[x] / count[x];
      s[x] += a_short * (v - s[x]);
      l[x] += a_long * (v - l[x]);
      seen[x] += 1;
    }
  }
  if (parts_ < options_.min_parts) return std::nullopt;
  return Judge();
}

std::optional<DieMark> DieMemory::Mark() {
  if (parts_ < options_.min_parts) return std::nullopt;
  return Judge();
}

std::optional<DieMark> DieMemory::Judge() {
  // Places that nearly every part reached: the first repeat of the part, inside the rim.
  const float need = 0.9f * static_cast<float>(parts_);
  cv::subtract(short_, long_, diff_);
  cv::compare(seen_, need, unseen_, cv::CMP_LT);
  diff_.setTo(0, unseen_);
  cv::GaussianBlur(diff_, smooth_, cv::Size(), options_.smooth_px);
  values_.clear();
  float peak = -1e30f;
  cv::Point at;
  for (int y = 0; y < canvas_; ++y) {
    const float* seen = seen_.ptr<float>(y);
    const float* d = smooth_.ptr<float>(y);
    for (int x = 0; x < canvas_; ++x) {
      if (seen[x] < need) continue;
      values_.push_back(d[x]);
      if (d[x] > peak) peak = d[x], at = {x, y};
    }
  }
  if (values_.size() < 100) return std::nullopt;
  const float median = Median(values_);
  for (float& v : values_) v = std::abs(v - median);
  const float spread = 1.4826f * Median(values_);
  if (!(spread > 0) || peak - median < options_.min_sigma * spread) return std::nullopt;
  // Its region: the connected pixels above half the peak.
  cv::compare(smooth_, median + 0.5f * (peak - median), region_, cv::CMP_GE);
  region_.setTo(0, unseen_);
  cv::Rect box;
  cv::floodFill(region_, at, cv::Scalar(128), &box, cv::Scalar(), cv::Scalar(), 8);
  DieMark mark;
  const double c = canvas_ / 2.0;
  mark.x = (box.x + box.width / 2.0 - c) / rim_;
  mark.y = (box.y + box.height / 2.0 - c) / rim_;
  mark.size = std::max(box.width, box.height) / rim_;
  mark.sigma = (peak - median) / spread;
  mark.canvas_box = box;
  mark.canvas_peak = at;
  return mark;
}

void DieMemory::Save(const std::filesystem::path& path, const std::string& die) const {
  ModelFile file;
  file.header = {{"kind", kFileKind}, {"die", die},      {"model_id", model_.Id()},
                 {"canvas", canvas_}, {"parts", parts_}, {"max_z2", options_.max_z2}};
  for (const cv::Mat* m : {&short_, &long_, &seen_}) AppendFloats(file.payload, Floats(*m));
  WriteModelFile(path, file);
}

std::optional<std::string> DieMemory::Restore(const std::filesystem::path& path) {
  const std::string name = path.string();
  const size_t count = static_cast<size_t>(canvas_) * canvas_;
  std::vector<float> values[3];
  int64_t parts = -1;
  std::string die;
  try {  // the container's own messages end with a fix for model files
    const ModelFile file = ReadModelFile(path);
    const auto& h = file.header;
    if (h.value("kind", "") != kFileKind)
      throw Error(ErrorCategory::kModel, name + ": not a die memory", kFileFix);
    if (h.value("model_id", "") != model_.Id() || h.value("canvas", 0) != canvas_ ||
        h.value("max_z2", 0.f) != options_.max_z2)
      return std::nullopt;
    die = h.at("die").get<std::string>();
    parts = h.at("parts").get<int64_t>();
    size_t offset = 0;
    for (auto& v : values) v = ReadFloats(file.payload, offset, count, name);
    if (offset != file.payload.size()) parts = -1;
  } catch (const Error& e) {
    throw Error(ErrorCategory::kModel, e.cause(), kFileFix);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCategory::kModel,
                name + ": the die memory's header is damaged (" + std::string(e.what()) + ")",
                kFileFix);
  }
  bool valid = parts >= 0;
  for (const auto& v : values)
    for (float x : v) valid = valid && std::isfinite(x) && x >= 0;
  if (!valid)
    throw Error(ErrorCategory::kModel, name + ": the die memory holds invalid values", kFileFix);
  cv::Mat* maps[3] = {&short_, &long_, &seen_};
  for (int i = 0; i < 3; ++i) std::copy(values[i].begin(), values[i].end(), maps[i]->ptr<float>(0));
  parts_ = parts;
  return die;
}

}  // namespace linesight
