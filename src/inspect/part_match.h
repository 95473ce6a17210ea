// inspect/part_match.h: is the part on the canvas the part the model was trained on? A part with
// no symmetry is stretched onto the canvas unaligned, and its anomaly model has no notion of the
// part as a whole: a turned part, another product or an empty fixture could score like a good
// part. PartMatch keeps coarse thumbnails of the good training canvases and tells how well a
// canvas matches the nearest of them, against how well the good parts matched each other.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace linesight {

class PartMatch {
 public:
  static constexpr int kSide = 24;           // thumbnail side, pixels (block means of the canvas)
  static constexpr size_t kMaxThumbs = 256;  // stored at most (spread evenly over training)
  static constexpr size_t kMinTraining = 8;  // fewer good canvases learn nothing
  using Thumb = std::vector<float>;          // kSide^2 values, zero mean, unit variance

  PartMatch() = default;  // learns nothing: Accepts() everything

  // Learns from the good parts' canvases (CV_8UC1, one size). The least match a part needs is
  // the 1% quantile of the good parts' leave-one-out matches (from 20 parts on, at least the
  // second lowest: one stray image, a part turned by mistake, does not set it), less the gap from
  // their median match to it (at least 0.05): a good part as unusual as the most unusual ones
  // still passes, with as much room again as the good parts spread. A canvas that matches the
  // others less than that is a look of its own: it is not kept (the match is to the nearest
  // thumbnail, so a turned part kept would let every turned part pass), and its index goes to
  // `dropped`.
  static PartMatch Learn(const std::vector<cv::Mat>& canvases,
                         std::vector<size_t>* dropped = nullptr);

  // Below this least match the check is weak: an empty fixture (correlation 0) or a turned part
  // may pass it. Training warns then (the good parts do not look alike at this scale).
  static constexpr float kWeakMatch = 0.25f;

  bool learned() const { return !thumbs_.empty(); }
  float min_match() const { return min_match_; }
  float loo_low() const { return loo_min_; }  // the quantile the limit was set from
  float loo_median() const { return loo_median_; }
  size_t thumbs() const { return thumbs_.size() / (kSide * kSide); }

  // The normalised correlation (-1..1) of `canvas`'s thumbnail with the nearest stored one.
  // `scratch` holds the thumbnail; it is sized on the first call and never grows after.
  float Match(const cv::Mat& canvas, Thumb& scratch) const;
  bool Accepts(float match) const { return !learned() || match >= min_match_; }

  // Header fields ({"side", "thumbs", "min_match", "loo_min" (the 1% quantile), "loo_median"})
  // and the payload's thumbnails (floats), as the model file stores them.
  nlohmann::json ToJson() const;
  void AppendPayload(std::vector<uint8_t>& payload) const;
  // Throws Error{kModel} naming `name` for fields out of range or a payload too short.
  static PartMatch Load(const nlohmann::json& j, const std::vector<uint8_t>& payload,
                        size_t& offset, const std::string& name);

 private:
  std::vector<float> thumbs_;  // thumbs() x kSide^2
  float min_match_ = -1, loo_min_ = 0, loo_median_ = 0;
};

// The thumbnail of `canvas` (CV_8UC1, at least kSide a side) into `out`: block means, then zero
// mean and unit variance (a flat canvas gives all zeros).
void PartThumbnail(const cv::Mat& canvas, PartMatch::Thumb& out);

}  // namespace linesight
