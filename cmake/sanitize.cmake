# GRAM_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer over every target of the build
# (libraries, tests, the gram binary), so that `ctest -L 'cpu|mpi|fuzz'` in that build turns a
# silent out-of-bounds read or signed overflow into a failing test. Global on purpose: a
# sanitizer only sees what was compiled with it. Debian's OpenMPI, OpenBLAS, libomp and
# yaml-cpp are not instrumented; their leaks are suppressed one by one in tests/sanitizers/.
#
# GRAM_FUZZ (derived, not an option): with clang and its libFuzzer runtime, the sanitized build
# also carries the coverage instrumentation libFuzzer needs and builds tests/fuzz/. GCC has no
# libFuzzer, so a GCC build simply has no fuzz targets.
option(GRAM_SANITIZE "Build everything with -fsanitize=address,undefined (use clang for fuzzing)" OFF)
set(GRAM_FUZZ OFF)
# Test properties every test of the build gets (ctest ENVIRONMENT), and those of the suites
# that start MPI jobs (tests/mpi, tests/slurm); none unless sanitized.
set(GRAM_TEST_PROPERTIES "")
set(GRAM_MPI_TEST_PROPERTIES "")
if(NOT GRAM_SANITIZE)
  return()
endif()
if(GRAM_CUDA)
  message(FATAL_ERROR "GRAM_SANITIZE needs GRAM_CUDA=OFF (nvcc code is not instrumented)")
endif()
# -gline-tables-only: file:line in every report for a fraction of the compile time of -g.
# -fno-sanitize-recover: the first undefined behaviour aborts, so ctest sees it as a failure.
set(gram_sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -gline-tables-only)
add_compile_options(${gram_sanitize_flags})
add_link_options(-fsanitize=address,undefined)
# LeakSanitizer's suppressions for the uninstrumented libraries (each entry says why). The gram
# processes that tests start, mpirun's included, inherit the variable.
set(gram_lsan_options
    "suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp:print_suppressions=0")
set(GRAM_TEST_PROPERTIES ENVIRONMENT "LSAN_OPTIONS=${gram_lsan_options}")
# OpenMPI is built without frame pointers: the fast unwinder stops at its first frame, before
# the library names the suppressions match. The slow unwinder costs time on every malloc, so
# only the suites that start MPI pay it (tests/mpi, tests/slurm, and test_cli, whose launcher
# checks run gram under a Slurm environment).
set(GRAM_MPI_TEST_PROPERTIES ENVIRONMENT
    "LSAN_OPTIONS=${gram_lsan_options}:fast_unwind_on_malloc=0")

if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
  check_cxx_source_compiles([[
    #include <cstddef>
    #include <cstdint>
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
  ]] GRAM_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(GRAM_HAVE_LIBFUZZER)
    set(GRAM_FUZZ ON)
    # Coverage feedback from the engine's own code; the fuzzer main is linked only into the
    # targets under tests/fuzz/ (-fsanitize=fuzzer there).
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
endif()
message(STATUS "GRAM_SANITIZE: address,undefined; fuzz targets: ${GRAM_FUZZ}")
