// process/plant_report.cpp: the four targets' baselines and figures (docs/process.md "Plant
// report" gives each method and why).
#include "process/plant_report.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace linesight::process {
namespace {

std::string Fmt(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

double Hours(double minutes) { return minutes / 60; }

TargetFigure Figure(const char* key, const char* title, const char* unit) {
  TargetFigure t;
  t.key = key, t.title = title, t.unit = unit;
  return t;
}

void Check(bool ok, const std::string& what) {
  if (!ok) {
    throw Error(ErrorCategory::kInput, "plant report: " + what,
                "Give counts and times as the store reports them; assumptions must be positive "
                "(docs/process.md, \"Plant report\")");
  }
}

void CheckInputs(const PlantFacts& f, const PlantAssumptions& a) {
  Check(f.to_ms > f.from_ms, "the period is empty (to <= from)");
  Check(f.parts >= 0 && f.passes >= 0 && f.rejects >= 0 && f.holds >= 0 && f.good >= 0,
        "a part count is negative");
  Check(f.passes + f.rejects + f.holds <= f.parts, "passes + rejects + holds exceed the parts");
  Check(f.escapes_found <= f.reviewed_passes && f.reviewed_passes <= f.passes,
        "more escapes found than passes reviewed, or more reviewed than passed");
  Check(f.rejects_overruled >= 0 && f.rejects_overruled <= f.rejects,
        "more rejects overruled than rejected");
  Check(f.unplanned_downtime_ms >= 0 && f.die_failure_downtime_ms >= 0 && f.alarms >= 0,
        "a downtime or an alarm count is negative");
  Check(a.manual_minutes_per_part > 0, "manual_minutes_per_part must be over 0");
  Check(a.review_minutes_per_part > 0, "review_minutes_per_part must be over 0");
  Check(a.manual_escape_rate >= 0 && a.manual_escape_rate <= 1,
        "manual_escape_rate must be in 0..1");
  Check(!a.downtime_cut || (*a.downtime_cut >= 0 && *a.downtime_cut <= 1),
        "downtime_cut must be in 0..1");
  Check(a.report_minutes_per_machine_shift + a.watch_minutes_per_machine_shift > 0,
        "report and watch minutes cannot both be 0");
  Check(a.alarm_minutes >= 0 && a.read_minutes_per_shift >= 0,
        "alarm and reading minutes must not be negative");
}

TargetFigure Labour(const PlantFacts& f, const PlantAssumptions& a) {
  TargetFigure t = Figure("inspection_labour", "Inspection labour", "h");
  t.goal = -0.15;
  const int64_t checked = f.rejects + f.holds + f.reviewed_passes;
  t.baseline = Hours(static_cast<double>(f.parts) * a.manual_minutes_per_part);
  t.with_linesight = Hours(static_cast<double>(checked) * a.review_minutes_per_part);
  t.estimated = f.parts > 0;
  t.change = t.estimated ? t.with_linesight / t.baseline - 1 : 0;
  t.met = t.estimated && t.change <= t.goal;
  t.method = "Without linesight a person inspects every casting (" + std::to_string(f.parts) +
             " parts x " + Fmt(a.manual_minutes_per_part, 2) +
             " min); with it a person checks only what the line rejected or held and the passes "
             "reviewed anyway (" +
             std::to_string(checked) + " parts x " + Fmt(a.review_minutes_per_part, 2) + " min).";
  t.note = "Minutes per part are assumptions: set the plant's own.";
  if (!t.estimated) t.note = "No parts in the period.";
  return t;
}

TargetFigure DowntimeTarget(const PlantFacts& f, const PlantAssumptions& a) {
  TargetFigure t = Figure("unplanned_downtime", "Unplanned downtime", "h");
  t.goal = -0.5;
  t.baseline = static_cast<double>(f.unplanned_downtime_ms) / 3.6e6;
  std::string measured = "Measured: " + Fmt(t.baseline) + " h unplanned downtime";
  if (f.failures >= 0) measured += " in " + std::to_string(f.failures) + " stops";
  measured += ", " + Fmt(static_cast<double>(f.die_failure_downtime_ms) / 3.6e6) +
              " h of it after die failures.";
  if (!a.downtime_cut) {
    t.method = measured;
    t.note =
        "Give the simulator's cut from acting on die warnings "
        "(process_sim_bench, docs/process.md \"Die health\").";
    return t;
  }
  t.estimated = true;
  t.with_linesight = t.baseline * (1 - *a.downtime_cut);
  t.change = -*a.downtime_cut;
  t.met = t.change <= t.goal;
  t.method = measured + " With linesight, planned die changes on its crack warnings remove " +
             Fmt(100 * *a.downtime_cut) + "% of unplanned downtime, as measured in the " +
             "simulator with and without acting on the warnings (" + a.downtime_cut_source + ").";
  t.note =
      "Machine faults that no die warning foresees stay: they are most of the unplanned "
      "downtime in the simulated cell.";
  return t;
}

TargetFigure Quality(const PlantFacts& f, const PlantAssumptions& a) {
  TargetFigure t = Figure("quality", "Outgoing quality", "%");
  t.goal = 0.05;
  const bool truth = f.truly_bad && f.true_escapes;
  const double bad = truth ? static_cast<double>(*f.truly_bad)
                           : static_cast<double>(f.rejects - f.rejects_overruled + f.escapes_found);
  const double escapes =
      truth ? static_cast<double>(*f.true_escapes) : static_cast<double>(f.escapes_found);
  const double parts = static_cast<double>(f.parts);
  // Shipped: what each inspection lets through; outgoing quality = good share of it.
  const double manual_escapes = bad * a.manual_escape_rate;
  const double manual_shipped = parts - bad + manual_escapes;
  const double line_shipped = static_cast<double>(f.passes);
  t.estimated = manual_shipped > 0 && line_shipped > 0;
  if (!t.estimated) {
    t.note = "No parts shipped in the period.";
    return t;
  }
  t.baseline = 100 * (1 - manual_escapes / manual_shipped);
  t.with_linesight = 100 * (1 - escapes / line_shipped);
  t.change = t.with_linesight / t.baseline - 1;
  t.met = t.change >= t.goal;
  t.method = "Good share of the castings shipped. Without linesight a manual inspection passes " +
             Fmt(100 * a.manual_escape_rate, 0) + "% of the " + Fmt(bad, 0) +
             " bad castings; with it, the line shipped " + std::to_string(f.passes) +
             " castings of which " + Fmt(escapes, 0) + " were bad (" +
             (truth ? "the simulator's truth"
                    : "found by reviews: a lower bound; rejects a person judged good are not "
                      "counted bad") +
             "). First-pass yield " +
             Fmt(parts > 0 ? 100 * static_cast<double>(f.passes) / parts : 0) +
             "%, yield after reviews " +
             Fmt(parts > 0 ? 100 * static_cast<double>(f.good) / parts : 0) + "%.";
  t.note =
      "Inspection alone can raise outgoing quality by at most the bad share times the manual "
      "escape rate; the rest of a +5% must come from making fewer bad castings (acting on "
      "causes and SPC alarms), which this period's records cannot credit.";
  return t;
}

TargetFigure Management(const PlantFacts& f, const PlantAssumptions& a) {
  TargetFigure t = Figure("management_effort", "Management effort", "h");
  t.goal = -0.2;
  const double machine_shifts = f.machine_shifts;
  t.baseline = Hours(machine_shifts *
                     (a.report_minutes_per_machine_shift + a.watch_minutes_per_machine_shift));
  t.with_linesight =
      Hours(f.shifts * a.read_minutes_per_shift + static_cast<double>(f.alarms) * a.alarm_minutes);
  t.estimated = machine_shifts > 0;
  if (!t.estimated) {
    t.note = "No machine worked in the period.";
    return t;
  }
  t.change = t.with_linesight / t.baseline - 1;
  t.met = t.change <= t.goal;
  t.method = "Without linesight a supervisor compiles each machine's shift report (" +
             Fmt(a.report_minutes_per_machine_shift, 0) + " min) and watches its charts (" +
             Fmt(a.watch_minutes_per_machine_shift, 0) + " min): " + Fmt(machine_shifts) +
             " machine-shifts. With it the reports and alarms are made automatically (" +
             Fmt(machine_shifts, 0) + " shift reports, " + std::to_string(f.alarms) +
             " alerts, alarms and warnings); a person reads one report a shift (" +
             Fmt(a.read_minutes_per_shift, 0) + " min) and acts on each alert (" +
             Fmt(a.alarm_minutes, 0) + " min).";
  t.note = "Minutes are assumptions: set the plant's own.";
  return t;
}

}  // namespace

PlantReport ComputePlantReport(const PlantFacts& facts, const PlantAssumptions& assumptions) {
  CheckInputs(facts, assumptions);
  PlantReport r{facts, assumptions, {}};
  r.targets = {Labour(facts, assumptions), DowntimeTarget(facts, assumptions),
               Quality(facts, assumptions), Management(facts, assumptions)};
  return r;
}

}  // namespace linesight::process
