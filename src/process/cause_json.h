// process/cause_json.h: ranked causes as JSON, one shape for the CLI (`linesight process causes
// --json`) and the server (`GET /api/v1/causes`); docs/api.md describes the fields.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "process/cause_ranking.h"

namespace linesight::process {

[[nodiscard]] nlohmann::json CauseGroupsJson(const std::vector<CauseGroup>& groups);

}  // namespace linesight::process
