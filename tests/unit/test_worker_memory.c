/*
 * How a worker keeps its memory (kho_worker_memory): a page-sized buffer
 * comes from the heap, not a mapping of its own, and its memory stays
 * there once freed, for the next page's buffer, until the worker gives
 * it back (malloc_trim), which a worker does after a job only where more
 * than KHO_WORKER_KEEP_FREE is free.  glibc only: elsewhere, and under
 * AddressSanitizer (its own allocator), the test skips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "common/internal.h"
#include "worker/pool.h"
#include "testutil.h"


/* A 300 dpi A4 colour page decoded: 2480 x 3508 x 3 bytes. */
#define PAGE_BYTES ((size_t)2480 * 3508 * 3)

static void test_page_buffers_stay_in_the_heap(void **state)
{
#if defined(__GLIBC__)
	if (UNDER_ASAN) {
		print_message("skipped: AddressSanitizer's allocator\n");
		skip();
	}
	kho_worker_memory();
	for (int page = 0; page < 3; page++) {
		unsigned char *buf = malloc(PAGE_BYTES);
		assert_non_null(buf);
		memset(buf, page, PAGE_BYTES);
		const struct mallinfo2 live = mallinfo2();
		/* No block of its own (glibc maps one for anything over 128
		 * KB by default), the heap holds it. */
		if (live.hblkhd != 0)
			fail_msg("page %d: %zu bytes in mapped blocks", page,
				 live.hblkhd);
		assert_true(live.uordblks >= PAGE_BYTES);
		free(buf);
		/* Freed, it stays for the next page. */
		assert_true(mallinfo2().fordblks >= PAGE_BYTES);
	}
	/* Given back when the worker asks. */
	malloc_trim(0);
	assert_true(mallinfo2().fordblks < PAGE_BYTES);
#else
	print_message("skipped: not glibc\n");
	skip();
#endif
}

/* After a job: a grey A4 record's memory (its decoded page and a mask
 * or two) stays for the next; a colour A4 record's, more than
 * KHO_WORKER_KEEP_FREE, is given back. */
static void test_job_done_keeps_what_fits(void **state)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
	if (UNDER_ASAN) {
		print_message("skipped: AddressSanitizer's allocator\n");
		skip();
	}
	kho_worker_memory();
	malloc_trim(0);
	const size_t grey = PAGE_BYTES / 3 * 2; /* a grey page and a mask */
	assert_true(grey <= KHO_WORKER_KEEP_FREE);
	unsigned char *small = malloc(grey);
	assert_non_null(small);
	memset(small, 1, grey);
	free(small);
	assert_int_equal(kho_worker_job_done(), 0);
	assert_true(mallinfo2().fordblks >= grey);

	/* a colour page and as much again in bands, masks and layers */
	const size_t colour = 2 * PAGE_BYTES;
	assert_true(colour > KHO_WORKER_KEEP_FREE);
	unsigned char *large = malloc(colour);
	assert_non_null(large);
	memset(large, 2, colour);
	free(large);
	assert_int_equal(kho_worker_job_done(), 1);
	assert_true(mallinfo2().fordblks < grey);
#else
	print_message("skipped: glibc before 2.33 or not glibc\n");
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_buffers_stay_in_the_heap),
		cmocka_unit_test(test_job_done_keeps_what_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
