/*
 * What the processor offers beyond the build's baseline (SSE2 on x86-64):
 * the AVX2 paths are compiled for it by their target attribute and run
 * only where kho_cpu_avx2() says the processor has it.
 */
#ifndef KHO_CPU_H
#define KHO_CPU_H

#include "common/internal.h"

#if defined(__x86_64__) && defined(__SSE2__) && \
	(defined(__GNUC__) || defined(__clang__))
#define KHO_HAVE_AVX2 1
#else
#define KHO_HAVE_AVX2 0
#endif

/* 1 when this build has the AVX2 paths and the processor (and the
 * system, which keeps its registers) runs them, unless the environment
 * has KHO_NO_AVX2: then the SSE2 paths run (the tests run both). */
int kho_cpu_avx2(void);

#endif
