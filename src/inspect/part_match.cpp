#include "inspect/part_match.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/model_file.h"

namespace linesight {
namespace {

constexpr size_t kThumbSize = static_cast<size_t>(PartMatch::kSide) * PartMatch::kSide;

float Correlation(const float* a, const float* b) {
  float sum = 0;
  for (size_t i = 0; i < kThumbSize; ++i) sum += a[i] * b[i];
  return sum / static_cast<float>(kThumbSize);
}

}  // namespace

void PartThumbnail(const cv::Mat& canvas, PartMatch::Thumb& out) {
  CV_Assert(canvas.type() == CV_8UC1 && canvas.rows >= PartMatch::kSide &&
            canvas.cols >= PartMatch::kSide);
  constexpr int s = PartMatch::kSide;
  out.assign(kThumbSize, 0.f);
  for (int by = 0; by < s; ++by) {
    const int y0 = by * canvas.rows / s, y1 = (by + 1) * canvas.rows / s;
    for (int bx = 0; bx < s; ++bx) {
      const int x0 = bx * canvas.cols / s, x1 = (bx + 1) * canvas.cols / s;
      uint32_t sum = 0;
      for (int y = y0; y < y1; ++y) {
        const uint8_t* row = canvas.ptr<uint8_t>(y);
        for (int x = x0; x < x1; ++x) sum += row[x];
      }
      out[static_cast<size_t>(by * s + bx)] =
          static_cast<float>(sum) / static_cast<float>((y1 - y0) * (x1 - x0));
    }
  }
  double mean = 0, var = 0;
  for (float v : out) mean += v;
  mean /= kThumbSize;
  for (float v : out) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / kThumbSize);
  for (float& v : out) v = sd > 1e-6 ? static_cast<float>((v - mean) / sd) : 0.f;
}

PartMatch PartMatch::Learn(const std::vector<cv::Mat>& canvases, std::vector<size_t>* dropped) {
  PartMatch m;
  if (canvases.size() < kMinTraining) return m;
  const size_t n = std::min(canvases.size(), kMaxThumbs);
  std::vector<float> thumbs;
  std::vector<size_t> from(n);  // the canvas each thumbnail is of
  Thumb t;
  for (size_t i = 0; i < n; ++i) {
    from[i] = i * canvases.size() / n;
    PartThumbnail(canvases[from[i]], t);
    thumbs.insert(thumbs.end(), t.begin(), t.end());
  }
  std::vector<float> loo(n, -1.f);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const float c = Correlation(&thumbs[i * kThumbSize], &thumbs[j * kThumbSize]);
      loo[i] = std::max(loo[i], c);
      loo[j] = std::max(loo[j], c);
    }
  std::vector<float> sorted = loo;
  std::sort(sorted.begin(), sorted.end());
  m.loo_median_ = sorted[n / 2];
  // The 1% quantile, and never the single lowest match once there are 20 or more: one stray
  // image (a turned part) must not set the limit.
  m.loo_min_ = sorted[std::max(n / 100, n >= 20 ? size_t{1} : size_t{0})];
  m.min_match_ = m.loo_min_ - std::max(0.05f, m.loo_median_ - m.loo_min_);
  for (size_t i = 0; i < n; ++i) {
    if (loo[i] < m.min_match_) {
      if (dropped) dropped->push_back(from[i]);
      continue;
    }
    m.thumbs_.insert(m.thumbs_.end(), thumbs.begin() + static_cast<ptrdiff_t>(i * kThumbSize),
                     thumbs.begin() + static_cast<ptrdiff_t>((i + 1) * kThumbSize));
  }
  if (m.thumbs() < 2) m.thumbs_.clear();  // nothing alike to learn from
  return m;
}

float PartMatch::Match(const cv::Mat& canvas, Thumb& scratch) const {
  PartThumbnail(canvas, scratch);
  float best = -1;
  for (size_t i = 0; i < thumbs(); ++i)
    best = std::max(best, Correlation(scratch.data(), &thumbs_[i * kThumbSize]));
  return best;
}

nlohmann::json PartMatch::ToJson() const {
  return {{"side", kSide},
          {"thumbs", thumbs()},
          {"min_match", min_match_},
          {"loo_min", loo_min_},
          {"loo_median", loo_median_}};
}

void PartMatch::AppendPayload(std::vector<uint8_t>& payload) const {
  AppendFloats(payload, thumbs_);
}

PartMatch PartMatch::Load(const nlohmann::json& j, const std::vector<uint8_t>& payload,
                          size_t& offset, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCategory::kModel, name + ": part match " + why,
                 "The model file is corrupt or from an incompatible version: train it again");
  };
  PartMatch m;
  try {
    if (j.at("side").get<int>() != kSide) throw bad("thumbnails have another size");
    const auto count = j.at("thumbs").get<size_t>();
    if (count < 2 || count > kMaxThumbs)
      throw bad("holds " + std::to_string(count) + " thumbnails");
    m.min_match_ = j.at("min_match").get<float>();
    m.loo_min_ = j.at("loo_min").get<float>();
    m.loo_median_ = j.at("loo_median").get<float>();
    for (float v : {m.min_match_, m.loo_min_, m.loo_median_})
      if (!std::isfinite(v) || v < -2 || v > 1.01f) throw bad("limits are out of range");
    m.thumbs_ = ReadFloats(payload, offset, count * kThumbSize, name);
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("fields are malformed (") + e.what() + ")");
  }
  for (float v : m.thumbs_)
    if (!std::isfinite(v) || std::abs(v) > 1e3f) throw bad("thumbnails hold invalid values");
  return m;
}

}  // namespace linesight
