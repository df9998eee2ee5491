/*
 * The body shared by the three decoder targets: open the bytes with tight
 * limits, then for every page its info and a complete decode at scale 1
 * (rows handed over one by one) and 2 (into an image in memory).
 *
 * Besides the sanitizers, the rows themselves are checked: each row is
 * read to its last byte (a short row buffer is an ASan report), rows come
 * in order, and a decode that succeeds delivered every row.  A broken
 * promise aborts, which libFuzzer reports as a crash.
 */
#ifndef KHO_FUZZ_IMAGE_H
#define KHO_FUZZ_IMAGE_H

#include "codec/codec.h"

#include <stdlib.h>

/* Small enough that a fuzzer run stays fast and within libFuzzer's
 * memory limit, large enough for real pages of the corpus. */
static const kho_limits fuzz_limits = {
	.max_pixels = 1u << 22,
	.max_pages = 8,
	.max_file_bytes = 1u << 20,
	.max_alloc_bytes = 32u << 20,
};

struct fuzz_rows {
	uint32_t width; /* of the rows, after scaling */
	uint32_t next;	/* the y expected next */
	int channels;
	unsigned sum;
};

static int fuzz_row(void *ctx, uint32_t y, const uint8_t *row, kho_error *err)
{
	struct fuzz_rows *r = ctx;
	if (y != r->next)
		abort();
	r->next++;
	for (size_t i = 0; i < (size_t)r->width * r->channels; i++)
		r->sum += row[i];
	return 0;
}

static void fuzz_decode_page(kho_image_file *file, uint32_t page)
{
	kho_error err = KHO_ERROR_INIT;
	kho_page_info info;
	if (kho_image_file_page_info(file, page, &info, &err) != 0)
		return;
	if (info.channels != 1 && info.channels != 3)
		abort();
	struct fuzz_rows rows = {info.width, 0, info.channels, 0};
	kho_error_clear(&err);
	const int rc =
		kho_image_file_decode(file, page, 1, fuzz_row, &rows, &err);
	if ((rc == 0 && rows.next != info.height) || (rc < 0 && !err.msg[0]))
		abort();

	kho_image img = KHO_IMAGE_INIT;
	kho_error_clear(&err);
	if (kho_image_file_read(file, page, 2, &img, &err) == 0) {
		if (img.width != (info.width + 1) / 2 ||
		    img.height != (info.height + 1) / 2 ||
		    img.channels != info.channels)
			abort();
		/* Every byte of the image was written by a row. */
		unsigned sum = 0;
		for (size_t i = 0; i < img.stride * img.height; i++)
			sum += img.pixels[i];
		rows.sum += sum;
	}
	kho_image_release(&img);
}

/* Decodes the input when it probes as want; other formats belong to the
 * other targets. */
static int fuzz_image(const uint8_t *data, size_t size, kho_format want)
{
	if (kho_format_probe(data, size, NULL) != want)
		return 0;
	kho_image_file *file = NULL;
	kho_error err = KHO_ERROR_INIT;
	if (kho_image_file_open(&file, data, size, &fuzz_limits, &err) != 0) {
		if (file || !err.msg[0])
			abort(); /* a failure always says why */
		return 0;
	}
	const uint32_t pages = kho_image_file_pages(file);
	if (pages == 0 || pages > fuzz_limits.max_pages)
		abort();
	for (uint32_t p = 0; p < pages; p++)
		fuzz_decode_page(file, p);
	kho_image_file_free(file);
	return 0;
}

#endif
