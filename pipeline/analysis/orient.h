/*
 * The page's orientation from its content: whether text lines run across
 * the page or along it (a page scanned a quarter turn off), and whether
 * the text is upside down.
 *
 * Across or along: the skew search is run on the ink as it is and on the
 * ink turned a quarter; text lines give the sharper row profile.  Up or
 * down: along each text line the marks above the line's core (ascenders,
 * capitals, and in Vietnamese the tone marks and the circumflex, breve and
 * horn) outweigh those below it (descenders, the dot below): upside down,
 * the other way round.
 */
#ifndef KHO_ORIENT_H
#define KHO_ORIENT_H

#include "common/internal.h"
#include "analysis/skew.h"

/* A page is turned half round only on this many lines of text at least
 * that read upside down by at least this much (upright pages read 0.3 to
 * 0.9). */
#define KHO_UPDOWN_LINES 5
#define KHO_UPDOWN_CLEAR 0.2

typedef struct kho_orientation {
	int rotation;         /* clockwise turn that makes the text upright */
	double confidence;    /* 0..1 */
	double across;        /* profile peak of lines across the page */
	double along;         /* ... of lines along it */
	double updown;        /* -1 (upside down) .. 1 (upright) */
	int lines;            /* text lines the up/down test read */
	double line_share;    /* the share of the ink in those lines
			       * (kho_updown's share) */
	int along_lines;      /* where the lines across were read in place
			       * of sharper ones along (no turn then), the
			       * lines the test read along; else 0 */
	double lean;          /* kho_line_ends() on the lines read, where
			       * the caller asks (faint marks' lines) */
	int lean_lines;
	kho_skew skew;        /* the skew, once the page is turned upright */
} kho_orientation;

/* ink is the page as stored (tags applied). */
int kho_orientation_find(const kho_ink *ink, kho_orientation *out,
			 kho_error *err);

/* The up/down test alone on ink whose lines run across at skew degrees:
 * > 0 upright, < 0 upside down, about 0 when it cannot tell.  *lines:
 * the lines read; *share (share may be NULL): the share of the ink in
 * them, of the profile less its floor (of the profile as it is where the
 * lines hang from a headline), on the whole page or on its strips,
 * whichever gave the reading.  On failure (out of memory) err is set and
 * 0 returned. */
double kho_updown(const kho_ink *ink, double skew, int *lines,
		  double *share, kho_error *err);

/* How the ends of the lines of ink at skew degrees lean: above 0 where
 * their left ends line up and their right ends are ragged (a hand or
 * print read left to right, upright), below 0 the other way round
 * (upside down), about 0 where both line up (justified print) or neither
 * does (centred lines), -1 .. 1; *lines: the lines it was read on. */
int kho_line_ends(const kho_ink *ink, double skew, double *lean,
		  int *lines, kho_error *err);

#endif
