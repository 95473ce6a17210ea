#include "process/run_rules.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace linesight::process {
namespace {

// The measured points only, with their positions in the caller's sequence.
struct Measured {
  std::vector<double> x;           // the value
  std::vector<double> d;           // value - centre
  std::vector<std::size_t> index;  // position in the input
};

Measured Prepare(std::span<const double> points, double centre, double sigma) {
  if (!std::isfinite(centre) || !std::isfinite(sigma) || !(sigma > 0)) {
    throw Error(ErrorCategory::kInput,
                "run rules need a finite centre line and sigma > 0 (got centre " +
                    std::to_string(centre) + ", sigma " + std::to_string(sigma) + ")",
                "Fit the chart on a baseline that varies (FitIndividualsChart, FitPChart)");
  }
  Measured m;
  m.x.reserve(points.size());
  m.d.reserve(points.size());
  m.index.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (std::isinf(points[i])) {
      throw Error(ErrorCategory::kInput, "point " + std::to_string(i) + " is infinite",
                  "Pass NaN for a point that was not measured");
    }
    if (std::isnan(points[i])) continue;
    m.x.push_back(points[i]);
    m.d.push_back(points[i] - centre);
    m.index.push_back(i);
  }
  return m;
}

int Side(double d) { return d > 0 ? 1 : (d < 0 ? -1 : 0); }

// Appends an alarm made of measured points [first, last] that satisfy `member`.
template <typename Member>
void Raise(const Measured& m, RuleCode code, std::size_t first, std::size_t last, Member member,
           std::vector<RuleAlarm>& out) {
  RuleAlarm alarm;
  alarm.code = code;
  alarm.index = m.index[last];
  for (std::size_t j = first; j <= last; ++j) {
    if (member(j)) alarm.points.push_back(m.index[j]);
  }
  out.push_back(std::move(alarm));
}

// 1 point beyond 3 sigma, either side.
void BeyondThree(const Measured& m, double sigma, RuleCode code, std::vector<RuleAlarm>& out) {
  for (std::size_t j = 0; j < m.d.size(); ++j) {
    if (std::fabs(m.d[j]) > 3 * sigma) {
      Raise(
          m, code, j, j, [](std::size_t) { return true; }, out);
    }
  }
}

// k of the last m points beyond `limit` sigma on the same side as the last point, which must be
// one of them.
void KOfM(const Measured& m, double sigma, std::size_t k, std::size_t window, double limit,
          RuleCode code, std::vector<RuleAlarm>& out) {
  for (std::size_t j = 0; j < m.d.size(); ++j) {
    const int side = Side(m.d[j]);
    if (side == 0 || side * m.d[j] <= limit * sigma) continue;
    const std::size_t first = j + 1 >= window ? j + 1 - window : 0;
    auto beyond = [&](std::size_t i) { return side * m.d[i] > limit * sigma; };
    std::size_t count = 0;
    for (std::size_t i = first; i <= j; ++i) count += beyond(i) ? 1 : 0;
    if (count >= k) Raise(m, code, first, j, beyond, out);
  }
}

// `length` points in a row for which `holds(j)` is true.
template <typename Holds>
void Run(const Measured& m, std::size_t length, RuleCode code, Holds holds,
         std::vector<RuleAlarm>& out) {
  std::size_t run = 0;
  for (std::size_t j = 0; j < m.d.size(); ++j) {
    run = holds(j) ? run + 1 : 0;
    if (run >= length)
      Raise(
          m, code, j + 1 - length, j, [](std::size_t) { return true; }, out);
  }
}

// `length` points in a row on one side of the centre line.
void OneSide(const Measured& m, std::size_t length, RuleCode code, std::vector<RuleAlarm>& out) {
  std::size_t run = 0;
  for (std::size_t j = 0; j < m.d.size(); ++j) {
    const int side = Side(m.d[j]);
    if (side == 0) {
      run = 0;
    } else {
      run = (j > 0 && run > 0 && Side(m.d[j - 1]) == side) ? run + 1 : 1;
    }
    if (run >= length)
      Raise(
          m, code, j + 1 - length, j, [](std::size_t) { return true; }, out);
  }
}

// `length` points in a row, each strictly above (or each strictly below) the one before.
void Trend(const Measured& m, std::size_t length, RuleCode code, std::vector<RuleAlarm>& out) {
  std::size_t up = 1;
  std::size_t down = 1;
  for (std::size_t j = 0; j < m.x.size(); ++j) {
    up = (j > 0 && m.x[j] > m.x[j - 1]) ? up + 1 : 1;
    down = (j > 0 && m.x[j] < m.x[j - 1]) ? down + 1 : 1;
    if (up >= length || down >= length) {
      Raise(
          m, code, j + 1 - length, j, [](std::size_t) { return true; }, out);
    }
  }
}

// `length` points in a row alternating up and down: each step's direction is the opposite of the
// step before; a tie breaks the chain.
void Alternating(const Measured& m, std::size_t length, RuleCode code,
                 std::vector<RuleAlarm>& out) {
  std::size_t chain = 1;  // points in the alternating chain ending at j
  for (std::size_t j = 0; j < m.x.size(); ++j) {
    if (j == 0) {
      chain = 1;
    } else {
      const int step = Side(m.x[j] - m.x[j - 1]);
      if (step == 0) {
        chain = 1;
      } else if (j >= 2 && Side(m.x[j - 1] - m.x[j - 2]) == -step && chain >= 2) {
        ++chain;
      } else {
        chain = 2;
      }
    }
    if (chain >= length)
      Raise(
          m, code, j + 1 - length, j, [](std::size_t) { return true; }, out);
  }
}

void Sort(std::vector<RuleAlarm>& alarms) {
  std::stable_sort(alarms.begin(), alarms.end(), [](const RuleAlarm& a, const RuleAlarm& b) {
    return a.index != b.index ? a.index < b.index : a.code < b.code;
  });
}

}  // namespace

std::string_view RuleCodeName(RuleCode code) {
  switch (code) {
    case RuleCode::kWe1:
      return "WE1";
    case RuleCode::kWe2:
      return "WE2";
    case RuleCode::kWe3:
      return "WE3";
    case RuleCode::kWe4:
      return "WE4";
    case RuleCode::kNelson1:
      return "N1";
    case RuleCode::kNelson2:
      return "N2";
    case RuleCode::kNelson3:
      return "N3";
    case RuleCode::kNelson4:
      return "N4";
    case RuleCode::kNelson5:
      return "N5";
    case RuleCode::kNelson6:
      return "N6";
    case RuleCode::kNelson7:
      return "N7";
    case RuleCode::kNelson8:
      return "N8";
  }
  return "?";
}

std::string_view RuleText(RuleCode code) {
  switch (code) {
    case RuleCode::kWe1:
    case RuleCode::kNelson1:
      return "1 point beyond 3 sigma from the centre line";
    case RuleCode::kWe2:
      return "2 of 3 successive points beyond 2 sigma on the same side";
    case RuleCode::kWe3:
      return "4 of 5 successive points beyond 1 sigma on the same side";
    case RuleCode::kWe4:
      return "8 successive points on one side of the centre line";
    case RuleCode::kNelson2:
      return "9 points in a row on one side of the centre line";
    case RuleCode::kNelson3:
      return "6 points in a row steadily increasing or decreasing";
    case RuleCode::kNelson4:
      return "14 points in a row alternating up and down";
    case RuleCode::kNelson5:
      return "2 of 3 points in a row beyond 2 sigma on the same side";
    case RuleCode::kNelson6:
      return "4 of 5 points in a row beyond 1 sigma on the same side";
    case RuleCode::kNelson7:
      return "15 points in a row within 1 sigma of the centre line";
    case RuleCode::kNelson8:
      return "8 points in a row beyond 1 sigma, on either side";
  }
  return "unknown rule";
}

std::vector<RuleAlarm> CheckWesternElectricRules(std::span<const double> points, double centre,
                                                 double sigma) {
  const Measured m = Prepare(points, centre, sigma);
  std::vector<RuleAlarm> alarms;
  BeyondThree(m, sigma, RuleCode::kWe1, alarms);
  KOfM(m, sigma, 2, 3, 2.0, RuleCode::kWe2, alarms);
  KOfM(m, sigma, 4, 5, 1.0, RuleCode::kWe3, alarms);
  OneSide(m, 8, RuleCode::kWe4, alarms);
  Sort(alarms);
  return alarms;
}

std::vector<RuleAlarm> CheckNelsonRules(std::span<const double> points, double centre,
                                        double sigma) {
  const Measured m = Prepare(points, centre, sigma);
  std::vector<RuleAlarm> alarms;
  BeyondThree(m, sigma, RuleCode::kNelson1, alarms);
  OneSide(m, 9, RuleCode::kNelson2, alarms);
  Trend(m, 6, RuleCode::kNelson3, alarms);
  Alternating(m, 14, RuleCode::kNelson4, alarms);
  KOfM(m, sigma, 2, 3, 2.0, RuleCode::kNelson5, alarms);
  KOfM(m, sigma, 4, 5, 1.0, RuleCode::kNelson6, alarms);
  Run(
      m, 15, RuleCode::kNelson7, [&](std::size_t j) { return std::fabs(m.d[j]) < sigma; }, alarms);
  Run(
      m, 8, RuleCode::kNelson8, [&](std::size_t j) { return std::fabs(m.d[j]) > sigma; }, alarms);
  Sort(alarms);
  return alarms;
}

}  // namespace linesight::process
