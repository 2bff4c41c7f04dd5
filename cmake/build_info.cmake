# Writes build_info.h with the commit the binary was built from; re-run at every build so the
# stamp in result files never lags behind the code.
set(gram_build_info_header ${PROJECT_BINARY_DIR}/generated/gram/build_info.h)
add_custom_target(gram_build_info
  COMMAND ${CMAKE_COMMAND}
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DOUTPUT=${gram_build_info_header}
    -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
    -DCOMPILER=${CMAKE_CXX_COMPILER_ID}-${CMAKE_CXX_COMPILER_VERSION}
    -P ${PROJECT_SOURCE_DIR}/cmake/write_build_info.cmake
  BYPRODUCTS ${gram_build_info_header}
  COMMENT "Stamping build commit")
add_library(gram_build_info_headers INTERFACE)
target_include_directories(gram_build_info_headers INTERFACE ${PROJECT_BINARY_DIR}/generated)
add_dependencies(gram_build_info_headers gram_build_info)
