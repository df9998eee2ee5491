/* The charts of the HTML report, drawn as inline SVG (no script, no
 * font): well-formed XML that scales to the page's width. */
#ifndef KHO_REPORT_SVG_H
#define KHO_REPORT_SVG_H

#include "report/report_util.h"

/* Colours, chosen to stay apart in grey when printed. */
#define KHO_SVG_ARCHIVED "#1f6f43"
#define KHO_SVG_PROGRESS "#7db3de"
#define KHO_SVG_FAILED "#c0392b"
#define KHO_SVG_TODO "#e4e7eb"
#define KHO_SVG_TARGET "#111111"
#define KHO_SVG_BACKLOG "#b35900"
#define KHO_SVG_NEW "#2a5db0"

/* Text with &, <, > and quotes escaped for XML. */
void kho_xml_put(FILE *out, const char *s);

/* 1234567 -> "1 234 567" with narrow no-break spaces. */
void kho_fmt_count(int64_t v, char *out, size_t cap);

/* Coverage of each year of issue as a stacked bar (archived, in progress,
 * failed, not yet scanned) with its target as a line across it. */
void kho_svg_years(FILE *out, const kho_cov_row *years, size_t n,
		   const kho_cov_targets *t);

/* One horizontal bar per row (agency or field), its name above it, its
 * target as a tick. */
void kho_svg_bars(FILE *out, const kho_cov_row *rows, size_t n,
		  const char *what);

/* Coverage night by night: all, backlog and new, with the two targets. */
void kho_svg_trend(FILE *out, const kho_trend *t, const kho_cov_targets *tg);

#endif
