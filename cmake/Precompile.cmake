# Precompiled headers: the standard, JSON, OpenCV and GoogleTest headers that most files include
# take a second or more to parse in every file; parsed once per target instead, they shorten a
# clean build (README, "Building by hand"). LINESIGHT_PCH=OFF builds without them, which is how
# to check that each file includes what it uses.
option(LINESIGHT_PCH "Precompile the headers most files include" ON)

set(LINESIGHT_PCH_HEADERS
    <algorithm> <array> <atomic> <chrono> <cmath> <cstdint> <filesystem> <functional> <map>
    <memory> <mutex> <optional> <span> <string> <string_view> <thread> <utility> <vector>
    <nlohmann/json.hpp> <opencv2/core.hpp>)

# Adds the common precompiled headers to `target`; EXTRA adds more (e.g. <gtest/gtest.h>).
function(linesight_precompile target)
  cmake_parse_arguments(P "" "" "EXTRA" ${ARGN})
  if(LINESIGHT_PCH)
    target_precompile_headers(${target} PRIVATE ${LINESIGHT_PCH_HEADERS} ${P_EXTRA})
  endif()
endfunction()

# Files compiled with options of their own cannot use their target's precompiled header (GCC
# refuses one built with other code-generation options): they parse their headers themselves.
function(linesight_skip_precompile)
  set_source_files_properties(${ARGN} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
endfunction()
