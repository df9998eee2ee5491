/*
 * Adaptive binarization of a grey page, streamed row by row: Sauvola's
 * threshold T = m * (1 + k * (s / 128 - 1)) from the mean m and standard
 * deviation s of a window about 3 mm wide, then a light despeckle.
 *
 * The statistics are kept per block of 4 x 4 pixels and summed over the
 * window's blocks, so the cost per pixel does not grow with the window
 * (the same reason integral images are used), and the threshold between
 * block centres is interpolated bilinearly so that it has no steps.  Memory
 * is a band of rows about two windows high.
 *
 * Why Sauvola with these settings: paper tint, uneven light and shadows
 * have a small local deviation, so their threshold falls to about
 * (1 - k) * m and nothing on them turns black; thin strokes and diacritics
 * lie next to paper, where s is large and the threshold close to m.
 */
#ifndef KHO_SAUVOLA_H
#define KHO_SAUVOLA_H

#include "common/internal.h"
#include "codec/codec.h"

/* Receives rows of the result in order, y from 0: packed MSB first,
 * 1 = black, (width + 7) / 8 bytes. */
typedef int (*kho_bits_fn)(void *ctx, uint32_t y, const uint8_t *bits,
			   kho_error *err);

typedef struct kho_sauvola kho_sauvola;

/* Darker than the floor is ink whatever its surroundings (inside a large
 * dark area the deviation is small and Sauvola alone would open holes):
 * 48 on paper of the usual brightness, or unknown (paper_level 0); on
 * paper darker than 96 (a dark sheet, an underexposed scan), half the
 * paper's level, else all of that paper would be ink. */
int kho_sauvola_floor(double paper_level);

/* dpi sets the window (about 3 mm) and the speck size; floor is
 * kho_sauvola_floor()'s. */
int kho_sauvola_new(kho_sauvola **out, uint32_t width, uint32_t height, int dpi,
		    int floor, kho_bits_fn fn, void *ctx, kho_error *err);
/* One grey row of width bytes, in order.  Rows come out with a delay of
 * about 30 rows; the last ones at kho_sauvola_finish(). */
int kho_sauvola_push(kho_sauvola *s, const uint8_t *grey, kho_error *err);
int kho_sauvola_finish(kho_sauvola *s, kho_error *err);
/* The most rows a row can wait inside: after row y is pushed, every row
 * up to y - kho_sauvola_lag() has come out. */
uint32_t kho_sauvola_lag(const kho_sauvola *s);
void kho_sauvola_free(kho_sauvola *s);

/* Sauvola's threshold m (1 + 0.34 (sd / 128 - 1)) of n windows, each of
 * N[i] pixels (at least 1) whose levels sum to S[i] and their squares to
 * Q[i], all under 2^31: the mean and variance in double, sd and the rest
 * in float. */
void kho_sauvola_thresholds(const uint32_t *S, const uint32_t *Q,
			    const uint32_t *N, uint32_t n, float *t);

/* A row of thresholds at block centres (nbx floats, a block four pixels
 * wide) spread to one byte a pixel (w): the ceiling of each, clamped to
 * floor .. 255. */
void kho_sauvola_spread(const float *tr, uint32_t nbx, uint32_t w, int floor,
			uint8_t *T);

/* Words in a binarized row of w pixels for the despeckle: word k holds
 * pixels 64k to 64k + 63, the first in bit 63, the bits past w 0. */
size_t kho_despeckle_words(uint32_t w);
/* The despeckle of the middle row of five binarized rows into out (MSB
 * first, (w + 7) / 8 bytes): a black pixel goes when at most one of its
 * eight neighbours is black and none of the 16 pixels around its 3 x 3
 * is.  Each row is kho_despeckle_words(w) words with a zero word before
 * and after them (rows[r][-1] and rows[r][n]); a row outside the page is
 * all zero words. */
void kho_despeckle_row(const uint64_t *const rows[5], uint8_t *out,
		       uint32_t w);

/* A whole image at once; *bits (malloc'd) gets height rows of *stride
 * bytes. */
int kho_sauvola_image(const kho_image *grey, int dpi, uint8_t **bits,
		      size_t *stride, kho_error *err);

#endif
