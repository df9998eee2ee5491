/* Deterministic randomness: splitmix64 for seeding, xoshiro256** to draw. */
#include "genscans.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t gs_hash(uint64_t a, uint64_t b)
{
	uint64_t s = a ^ 0x6a09e667f3bcc909ULL;

	splitmix64(&s);
	s ^= b * 0x9e3779b97f4a7c15ULL;
	splitmix64(&s);
	return splitmix64(&s);
}

void gs_rng_seed(struct gs_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t gs_rng_next(struct gs_rng *r)
{
	uint64_t *s = r->s;
	const uint64_t result = rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double gs_rng_unit(struct gs_rng *r)
{
	return (double)(gs_rng_next(r) >> 11) * 0x1.0p-53;
}

int gs_rng_int(struct gs_rng *r, int lo, int hi)
{
	if (hi <= lo)
		return lo;
	const uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
	const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
	uint64_t x;

	do
		x = gs_rng_next(r);
	while (x >= limit);
	return (int)((int64_t)lo + (int64_t)(x % span));
}

double gs_rng_range(struct gs_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * gs_rng_unit(r);
}

int gs_rng_chance(struct gs_rng *r, double p)
{
	return gs_rng_unit(r) < p;
}

double gs_rng_normal(struct gs_rng *r)
{
	const double u1 = 1.0 - gs_rng_unit(r); /* (0, 1] */
	const double u2 = gs_rng_unit(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

int gs_rng_weighted(struct gs_rng *r, const double *w, int n)
{
	double sum = 0;

	for (int i = 0; i < n; i++)
		sum += w[i];
	double x = gs_rng_unit(r) * sum;
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

void gs_rng_shuffle(struct gs_rng *r, int *a, int n)
{
	for (int i = n - 1; i > 0; i--) {
		const int j = gs_rng_int(r, 0, i);
		const int t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}
