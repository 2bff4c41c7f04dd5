# GRAM_STATIC_DEPENDENCIES: binaries that carry their own copies of the libraries a bare machine
# lacks. The GPU machine the device bundle runs on (scripts/make-device-bundle.sh) has the C
# library, the GPU driver and CUDA's libraries, but no OpenBLAS, yaml-cpp or this compiler's
# libstdc++; Debian ships each as a static archive beside the shared library,
# and this file points the build at those archives. cuBLAS stays shared (CUDA ships no static
# cuBLAS here, and the machine has its own), as does NCCL.

# The archive `name` from the compiler's own library directory (libgfortran.a, ...).
function(gram_compiler_archive name variable)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${name}
                  OUTPUT_VARIABLE path OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${path}" OR NOT EXISTS "${path}")
    message(FATAL_ERROR "GRAM_STATIC_DEPENDENCIES: the compiler has no ${name}")
  endif()
  set(${variable} ${path} PARENT_SCOPE)
endfunction()

find_package(Threads REQUIRED)
find_library(GRAM_YAML_CPP_ARCHIVE libyaml-cpp.a REQUIRED)
if(GRAM_OPENBLAS)
  find_library(GRAM_OPENBLAS_ARCHIVE libopenblas.a REQUIRED)
  # OpenBLAS's LAPACK half is Fortran: its archive names libgfortran's symbols.
  gram_compiler_archive(libgfortran.a gram_gfortran_archive)
  gram_compiler_archive(libquadmath.a gram_quadmath_archive)
  set_target_properties(PkgConfig::OPENBLAS PROPERTIES INTERFACE_LINK_LIBRARIES
    "${GRAM_OPENBLAS_ARCHIVE};${gram_gfortran_archive};${gram_quadmath_archive};m;Threads::Threads")
endif()
get_target_property(gram_yaml_cpp_includes yaml-cpp INTERFACE_INCLUDE_DIRECTORIES)
add_library(gram_yaml_cpp_static STATIC IMPORTED)
set_target_properties(gram_yaml_cpp_static PROPERTIES IMPORTED_LOCATION ${GRAM_YAML_CPP_ARCHIVE})
if(gram_yaml_cpp_includes)
  set_target_properties(gram_yaml_cpp_static PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${gram_yaml_cpp_includes}")
endif()
set(GRAM_YAML_CPP gram_yaml_cpp_static)

# libstdc++ and libgcc into every binary; --as-needed drops a shared library whose symbols the
# archives above already supply, should one still be named on a link line.
add_link_options(-static-libstdc++ -static-libgcc -Wl,--as-needed)
