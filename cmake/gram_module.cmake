# gram_module(NAME <name> DIR <dir> [DEPS <targets...>])
#
# One static library per folder of src/: the folder's .cpp files are globbed so that a new file
# needs no CMake edit, and the dependencies between folders stay visible here.
function(gram_module)
  cmake_parse_arguments(arg "" "NAME;DIR" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${arg_DIR}/*.cpp")
  if(NOT sources)
    # A header-only folder.
    add_library(${arg_NAME} INTERFACE)
    target_include_directories(${arg_NAME} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${arg_NAME} INTERFACE ${arg_DEPS})
    return()
  endif()
  add_library(${arg_NAME} STATIC ${sources})
  target_include_directories(${arg_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${arg_NAME} PRIVATE -Wall -Wextra -Wpedantic)
  target_link_libraries(${arg_NAME} PUBLIC ${arg_DEPS})
endfunction()

# gram_test_suite(NAME <name> DIR <dir> LABELS <labels...> DEPS <targets...> [STARTS_MPI])
#
# One GoogleTest executable per folder of tests/, its tests registered with ctest one by one.
# STARTS_MPI: some tests start gram processes that initialise MPI (the sanitized build then
# gives them the MPI suites' sanitizer settings, cmake/sanitize.cmake).
function(gram_test_suite)
  cmake_parse_arguments(arg "STARTS_MPI" "NAME;DIR" "LABELS;DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${arg_DIR}/*.cpp")
  if(NOT sources)
    return()
  endif()
  add_executable(${arg_NAME} ${sources})
  target_link_libraries(${arg_NAME} PRIVATE ${arg_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(${arg_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${arg_NAME} PRIVATE
    GRAM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    GRAM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(properties ${GRAM_TEST_PROPERTIES})
  if(arg_STARTS_MPI)
    set(properties ${GRAM_MPI_TEST_PROPERTIES})
  endif()
  gtest_discover_tests(${arg_NAME}
    PROPERTIES LABELS "${arg_LABELS}" ${properties}
    DISCOVERY_TIMEOUT 60)
endfunction()
