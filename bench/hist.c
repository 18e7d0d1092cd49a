/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Log-linear latency histogram; see hist.h for the bucket layout and the
 * error bound.
 *
 * Bucket index of v: v itself below 2^(SUB_BITS+1) (the first two rows are
 * exact: bucket width 1), otherwise with e = floor(log2 v) the SUB_BITS bits
 * below the leading one select one of SUB_COUNT sub-buckets of row e:
 *   index = SUB_COUNT + (e - SUB_BITS) * SUB_COUNT + ((v >> (e - SUB_BITS)) - SUB_COUNT)
 * A bucket of row e is 2^(e - SUB_BITS) wide and holds values >= 2^e, so its
 * middle is within 2^-(SUB_BITS+1) of any value in it.
 */
#include "hist.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

static unsigned int bitlen(uint64_t v)
{
	return v ? 64u - (unsigned int)__builtin_clzll(v) : 0u;
}

unsigned int hist_bucket_index(uint64_t v)
{
	unsigned int e, shift;

	if (v < HIST_SUB_COUNT)
		return (unsigned int)v;
	e = bitlen(v) - 1u;			/* >= SUB_BITS */
	shift = e - HIST_SUB_BITS;
	return HIST_SUB_COUNT + shift * HIST_SUB_COUNT +
	       (unsigned int)((v >> shift) - HIST_SUB_COUNT);
}

uint64_t hist_bucket_lo(unsigned int i)
{
	unsigned int shift, sub;

	if (i < HIST_SUB_COUNT)
		return i;
	shift = (i - HIST_SUB_COUNT) / HIST_SUB_COUNT;
	sub = (i - HIST_SUB_COUNT) % HIST_SUB_COUNT;
	return (uint64_t)(HIST_SUB_COUNT + sub) << shift;
}

uint64_t hist_bucket_hi(unsigned int i)
{
	unsigned int shift;

	if (i < HIST_SUB_COUNT)
		return i;
	shift = (i - HIST_SUB_COUNT) / HIST_SUB_COUNT;
	/* the last bucket ends at 2^64 - 1: no overflow */
	return hist_bucket_lo(i) + ((uint64_t)1 << shift) - 1u;
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_record(struct hist *h, uint64_t ns)
{
	h->buckets[hist_bucket_index(ns)]++;
	h->count++;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (unsigned int i = 0; i < HIST_NR_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_count(const struct hist *h)
{
	return h->count;
}

uint64_t hist_min(const struct hist *h)
{
	return h->count ? h->min : 0;
}

uint64_t hist_max(const struct hist *h)
{
	return h->count ? h->max : 0;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;
	double r;

	if (!h->count)
		return 0;
	if (p >= 100.0)
		return h->max;
	if (p < 0.0)
		p = 0.0;
	/* nearest rank: the smallest value with at least p% of the samples at
	 * or below it; the tolerance keeps 90% of 10^6 at rank 900000 */
	r = p / 100.0 * (double)h->count;
	rank = (uint64_t)ceil(r - r * 1e-12);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (unsigned int i = 0; i < HIST_NR_BUCKETS; i++) {
		uint64_t lo, hi, mid;

		seen += h->buckets[i];
		if (seen < rank)
			continue;
		lo = hist_bucket_lo(i);
		hi = hist_bucket_hi(i);
		mid = lo + (hi - lo) / 2u;
		if (mid < h->min)
			mid = h->min;
		if (mid > h->max)
			mid = h->max;
		return mid;
	}
	return h->max;	/* not reached: the buckets add up to count */
}

const char *hist_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000u)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000u)
		snprintf(buf, len, "%.2f us", (double)ns / 1e3);
	else if (ns < 1000000000u)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	return buf;
}

void hist_write_json(FILE *out, const struct hist *h, int indent)
{
	static const struct { const char *key; double p; } pcts[] = {
		{ "p50", 50.0 }, { "p90", 90.0 }, { "p99", 99.0 },
		{ "p99.9", 99.9 }, { "p99.99", 99.99 },
	};
	const char *sep = "";

	fprintf(out, "{\n%*s\"unit\": \"ns\",\n", indent, "");
	fprintf(out, "%*s\"count\": %" PRIu64 ",\n", indent, "", hist_count(h));
	fprintf(out, "%*s\"min\": %" PRIu64 ",\n", indent, "", hist_min(h));
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++)
		fprintf(out, "%*s\"%s\": %" PRIu64 ",\n", indent, "", pcts[k].key,
			hist_percentile(h, pcts[k].p));
	fprintf(out, "%*s\"max\": %" PRIu64 ",\n", indent, "", hist_max(h));
	fprintf(out, "%*s\"buckets\": [", indent, "");
	for (unsigned int i = 0; i < HIST_NR_BUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		fprintf(out, "%s[%" PRIu64 ", %" PRIu64 ", %" PRIu64 "]", sep,
			hist_bucket_lo(i), hist_bucket_hi(i), h->buckets[i]);
		sep = ", ";
	}
	fprintf(out, "]\n%*s}", indent > 2 ? indent - 2 : 0, "");
}

/* Rows of the text histogram: one per power of two below 2^SUB_BITS, four per
 * power of two above (quarter octaves: 16 sub-buckets each). */
#define HIST_NR_ROWS	(HIST_SUB_BITS + 1u + (64u - HIST_SUB_BITS) * 4u)

static unsigned int row_of(unsigned int i)
{
	if (i < HIST_SUB_COUNT)
		return bitlen(i);
	return HIST_SUB_BITS + 1u + (i - HIST_SUB_COUNT) / (HIST_SUB_COUNT / 4u);
}

void hist_print(FILE *out, const struct hist *h, const char *prefix)
{
	enum { BAR = 50 };
	struct hist_row { unsigned int first, last; uint64_t n; } rows[HIST_NR_ROWS];
	unsigned int nrows = 0, first, last, r;
	uint64_t top = 0, cum = 0;
	char a[24], b[24];

	if (!h->count) {
		fprintf(out, "%s(no samples)\n", prefix);
		return;
	}
	/* rows from the minimum's bucket to the maximum's */
	first = hist_bucket_index(h->min);
	last = hist_bucket_index(h->max);
	for (unsigned int i = first; i <= last; i++) {
		if (i == first || row_of(i) != row_of(i - 1u))
			rows[nrows++] = (struct hist_row){ i, i, 0 };
		rows[nrows - 1u].last = i;
		rows[nrows - 1u].n += h->buckets[i];
	}
	for (r = 0; r < nrows; r++)
		if (rows[r].n > top)
			top = rows[r].n;
	fprintf(out, "%s%21s %10s %8s\n", prefix, "from .. below", "count", "cum %");
	for (r = 0; r < nrows; r++) {
		unsigned int end = r;
		uint64_t hi;
		int len;

		/* a run of empty rows prints as one (the last row is never empty) */
		while (!rows[r].n && end + 1u < nrows && !rows[end + 1u].n)
			end++;
		hi = hist_bucket_hi(rows[end].last);
		cum += rows[r].n;
		len = (int)((rows[r].n * BAR + top - 1u) / top);
		fprintf(out, "%s%9s .. %9s %10" PRIu64 " %7.3f%% %.*s\n", prefix,
			hist_fmt_ns(a, sizeof(a), hist_bucket_lo(rows[r].first)),
			hist_fmt_ns(b, sizeof(b), hi == UINT64_MAX ? hi : hi + 1u),
			rows[r].n, 100.0 * (double)cum / (double)h->count, len,
			"##################################################");
		r = end;
	}
}
