#include "station/view_judges.h"

#include "core/error.h"

namespace linesight::station {
namespace fs = std::filesystem;

ViewJudges::ViewJudges(const std::vector<ViewConfig>& views) {
  for (const auto& c : views) {
    View v;
    v.config = c;
    v.problem = Load(v);
    views_.push_back(std::move(v));
  }
}

std::string ViewJudges::Load(View& v) {
  std::error_code ec;
  v.mtime = fs::last_write_time(v.config.model, ec);
  v.size = fs::file_size(v.config.model, ec);
  try {
    v.judge = std::make_shared<const Judge>(LoadInspectionModel(v.config.model));
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::vector<std::string> ViewJudges::Refresh(uint64_t& swaps, uint64_t& failures) {
  std::vector<std::string> log;
  for (auto& v : views_) {
    std::error_code ec;
    const auto mtime = fs::last_write_time(v.config.model, ec);
    const auto size = ec ? 0 : fs::file_size(v.config.model, ec);
    if (ec || (mtime == v.mtime && size == v.size)) continue;
    const auto old = v.judge;
    const std::string error = Load(v);
    if (error.empty()) {
      ++swaps;
      v.problem.clear();
      log.push_back("view " + v.config.name + ": model " + v.config.model.string() + " loaded (" +
                    v.judge->model.Id() + ")" + (old ? ", replacing " + old->model.Id() : ""));
    } else {
      ++failures;
      v.judge = old;  // keep judging with the model that worked
      v.problem = error;
      log.push_back("view " + v.config.name + ": new model file refused, " +
                    (old ? "keeping " + old->model.Id() : "no model loaded") + ": " + error);
    }
  }
  return log;
}

bool ViewJudges::all_loaded() const {
  for (const auto& v : views_)
    if (!v.judge) return false;
  return true;
}

}  // namespace linesight::station
