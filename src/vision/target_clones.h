// vision/target_clones.h: LINESIGHT_CLONES compiles a hot loop twice, for AVX2 and for the x86-64
// baseline, and the loader picks one per machine (GCC function multiversioning). A loop so marked
// takes the same operations in the same order in both, and AVX2 brings no fused multiply-add, so
// results never depend on the CPU. Off for other compilers and targets, and under ASan.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define LINESIGHT_CLONES __attribute__((target_clones("avx2", "default")))
#define LINESIGHT_HAS_CLONES 1
#else
#define LINESIGHT_CLONES
#endif
