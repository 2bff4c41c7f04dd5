#pragma once
// GRAM_HOST_DEVICE marks a function that both the host compiler and nvcc compile (for the CPU
// and the GPU), so that the host test suite checks the very code the kernels run.
#if defined(__CUDACC__)
#define GRAM_HOST_DEVICE __host__ __device__
#else
#define GRAM_HOST_DEVICE
#endif
