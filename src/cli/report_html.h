// cli/report_html.h: the plant report as one self-contained HTML page (inline CSS and SVG, no
// script, nothing fetched), and its export to PDF or PNG through a headless Chromium.
#pragma once

#include <string>

#include "process/plant_report.h"

namespace linesight::cli {

// What the page says about where its figures come from.
struct ReportSource {
  std::string store;      // engine and path or host (no password)
  std::string generated;  // UTC time the page was made
};

// The current time as "2026-12-02 06:00 UTC".
[[nodiscard]] std::string UtcNowText();

// The page. Every text from the records is HTML-escaped.
[[nodiscard]] std::string RenderPlantReportHtml(const process::PlantReport& report,
                                                const ReportSource& source);

// The report as JSON (the same figures; docs/process.md "Plant report").
[[nodiscard]] std::string PlantReportJson(const process::PlantReport& report);

// Prints `html_path` to `out_path` with Chromium (`pdf` true: PDF, else a PNG screenshot of the
// whole page). The browser is $LINESIGHT_CHROMIUM, else chromium on the PATH. Throws
// Error{kIo} naming the fix if none is installed, it fails, or it runs over two minutes.
void ExportWithChromium(const std::string& html_path, const std::string& out_path, bool pdf);

}  // namespace linesight::cli
