// station/view_judges.h: the model and Inspector of each view a station judges, swapped for a new
// model file between two parts; a file that does not load leaves the old model in place.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "inspect/inspection_model.h"
#include "inspect/inspector.h"
#include "station/station_config.h"

namespace linesight::station {

// A loaded model with the Inspector built on it (the Inspector keeps a reference to the model).
struct Judge {
  explicit Judge(InspectionModel m) : model(std::move(m)), inspector(model) {}
  InspectionModel model;
  Inspector inspector;
};

class ViewJudges {
 public:
  // Loads each view's model; one that fails leaves that view without a judge (its parts are held
  // "no_model") and its error in problems().
  explicit ViewJudges(const std::vector<ViewConfig>& views);

  // Between two parts: reloads any model file whose modification time or size changed. A new
  // file that loads replaces the old model; one that does not keeps the old model. Returns
  // messages for the log (one per swap or failed swap); counts swaps in `swaps` / `failures`.
  std::vector<std::string> Refresh(uint64_t& swaps, uint64_t& failures);

  size_t size() const { return views_.size(); }
  const std::string& name(size_t i) const { return views_[i].config.name; }
  // The judge of view i, or null when no model is loaded for it. Valid until the next Refresh().
  std::shared_ptr<const Judge> judge(size_t i) const { return views_[i].judge; }
  const std::string& problem(size_t i) const { return views_[i].problem; }
  bool all_loaded() const;

 private:
  struct View {
    ViewConfig config;
    std::shared_ptr<const Judge> judge;
    std::filesystem::file_time_type mtime{};
    uintmax_t size = 0;
    std::string problem;  // why no model is loaded, or why the last new file was refused
  };
  static std::string Load(View& v);  // "" on success, else the error

  std::vector<View> views_;
};

}  // namespace linesight::station
