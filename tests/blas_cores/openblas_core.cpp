// Prints the OpenBLAS kernel family this process runs ("Haswell", "SkylakeX", ...): the one
// OPENBLAS_CORETYPE names, or OpenBLAS's own choice for this CPU when it is unset.
#include <cblas.h>

#include <cstdio>

int main() {
  std::printf("%s\n", openblas_get_corename());
  return 0;
}
