# Finds the few OpenCV modules linesight uses without the umbrella libopencv-dev
# package (which pulls ~800 MB of Qt/VTK/GDAL and is the only one shipping OpenCVConfig.cmake).
# Defines imported targets OpenCV::core, OpenCV::imgproc, OpenCV::imgcodecs.
find_path(OpenCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4)
set(_ocv_ok TRUE)
foreach(_m core imgproc imgcodecs)
  find_library(OpenCV_${_m}_LIBRARY NAMES opencv_${_m})
  if(OpenCV_${_m}_LIBRARY AND OpenCV_INCLUDE_DIR AND NOT TARGET OpenCV::${_m})
    add_library(OpenCV::${_m} SHARED IMPORTED)
    set_target_properties(OpenCV::${_m} PROPERTIES
      IMPORTED_LOCATION ${OpenCV_${_m}_LIBRARY}
      INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${OpenCV_INCLUDE_DIR}
      INTERFACE_INCLUDE_DIRECTORIES ${OpenCV_INCLUDE_DIR})
  elseif(NOT OpenCV_${_m}_LIBRARY)
    set(_ocv_ok FALSE)
  endif()
endforeach()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenCVModules
  REQUIRED_VARS OpenCV_INCLUDE_DIR OpenCV_core_LIBRARY OpenCV_imgproc_LIBRARY OpenCV_imgcodecs_LIBRARY)
