#include "common/cpu.h"

int kho_cpu_avx2(void)
{
#if KHO_HAVE_AVX2
	/* libgcc's answer: the processor has AVX2 and the system keeps its
	 * registers; KHO_NO_AVX2 (any value) says no, for the tests of the
	 * SSE2 paths and for comparing the two */
	static int avx2 = -1;
	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") && !getenv("KHO_NO_AVX2")
			       ? 1
			       : 0;
	return avx2;
#else
	return 0;
#endif
}
