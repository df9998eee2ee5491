#include "worker/progress.h"
#include "common/clock.h"

#include <stdio.h>
#include <unistd.h>

#define LINE_EVERY_MS 10000
#define BAR_EVERY_MS 200

int kho_progress_style(void)
{
	return isatty(STDERR_FILENO) ? KHO_PROGRESS_BAR : KHO_PROGRESS_LINES;
}

void kho_progress_start(kho_progress *p, const char *stage, const char *verb,
			int64_t total, int style)
{
	p->stage = stage;
	p->verb = verb;
	p->total = total;
	p->style = style;
	p->started_ms = kho_mono_ms();
	p->last_ms = p->started_ms;
	p->drawn = 0;
	if (style == KHO_PROGRESS_LINES)
		fprintf(stderr, "%s: %s %lld record(s)\n", stage, verb,
			(long long)total);
}

static void fmt_duration(char *out, size_t cap, double s)
{
	if (s < 0 || s > 1e7)
		snprintf(out, cap, "?");
	else if (s < 60)
		snprintf(out, cap, "%.0fs", s);
	else if (s < 3600)
		snprintf(out, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(out, cap, "%dh%02dm", (int)s / 3600,
			 ((int)s % 3600) / 60);
}

static void draw(kho_progress *p, int64_t records, int64_t pages, int final)
{
	double elapsed = (kho_mono_ms() - p->started_ms) / 1000.0;
	double rate = elapsed > 0 ? records / elapsed : 0;
	double prate = elapsed > 0 ? pages / elapsed : 0;
	char left[32];
	if (records > 0 && rate > 0)
		fmt_duration(left, sizeof(left), (p->total - records) / rate);
	else
		snprintf(left, sizeof(left), "?");
	if (p->style == KHO_PROGRESS_BAR) {
		enum { WIDTH = 24 };
		int fill = p->total ? (int)(WIDTH * records / p->total) : WIDTH;
		if (fill > WIDTH)
			fill = WIDTH;
		char bar[WIDTH + 1];
		for (int i = 0; i < WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[WIDTH] = '\0';
		fprintf(stderr,
			"\r%-9s [%s] %lld/%lld records, %lld pages, %.1f "
			"pages/s, %s left   ",
			p->stage, bar, (long long)records, (long long)p->total,
			(long long)pages, prate, final ? "0s" : left);
		if (final)
			fputc('\n', stderr);
	} else {
		fprintf(stderr,
			"%s: %lld/%lld records, %lld pages, %.1f pages/s, %s "
			"left\n",
			p->stage, (long long)records, (long long)p->total,
			(long long)pages, prate, final ? "0s" : left);
	}
	fflush(stderr);
	p->drawn = 1;
}

int kho_progress_due(const kho_progress *p)
{
	if (p->style == KHO_PROGRESS_NONE)
		return 0;
	int every = p->style == KHO_PROGRESS_BAR ? BAR_EVERY_MS : LINE_EVERY_MS;
	return kho_mono_ms() - p->last_ms >= every;
}

void kho_progress_update(kho_progress *p, int64_t records, int64_t pages)
{
	if (!kho_progress_due(p))
		return;
	p->last_ms = kho_mono_ms();
	draw(p, records, pages, 0);
}

void kho_progress_finish(kho_progress *p, int64_t records, int64_t pages)
{
	if (p->style == KHO_PROGRESS_NONE)
		return;
	draw(p, records, pages, 1);
}
