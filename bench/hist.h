/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hist.h — a log-linear latency histogram (HDR style) for the benchmarks.
 *
 * Values are unsigned 64-bit nanoseconds. Values below 2^HIST_SUB_BITS are
 * counted exactly; above, each power of two [2^e, 2^(e+1)) is cut into
 * 2^HIST_SUB_BITS equal sub-buckets, so a bucket is at most 1/64 of the
 * values it holds wide. A percentile is reported as the middle of its bucket
 * (clamped to the exact minimum and maximum seen), which is within
 * HIST_REL_ERROR of the true sample value. The whole range 0..2^64-1 fits in
 * HIST_NR_BUCKETS counters (about 30 KiB): memory is bounded, hist_record()
 * never allocates, takes no lock and makes no system call.
 *
 * A histogram is written by one thread at a time; merge into a fresh one to
 * combine the histograms of several threads.
 */
#ifndef IRQCORE_BENCH_HIST_H
#define IRQCORE_BENCH_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS	6u
#define HIST_SUB_COUNT	(1u << HIST_SUB_BITS)			/* 64 */
/* exact range 0..63, then one row of 64 sub-buckets per exponent 6..63 */
#define HIST_NR_BUCKETS	(HIST_SUB_COUNT + (64u - HIST_SUB_BITS) * HIST_SUB_COUNT)
/* half a bucket's width relative to its lowest value */
#define HIST_REL_ERROR	(1.0 / (double)(2u * HIST_SUB_COUNT))	/* 0.78 % */

struct hist {
	uint64_t count;
	uint64_t min, max;	/* exact; min is UINT64_MAX while empty */
	uint64_t buckets[HIST_NR_BUCKETS];
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t ns);
/* dst += src */
void hist_merge(struct hist *dst, const struct hist *src);
uint64_t hist_count(const struct hist *h);
uint64_t hist_min(const struct hist *h);	/* 0 when empty */
uint64_t hist_max(const struct hist *h);	/* 0 when empty */
/* The value at or below which p percent of the samples lie (p in 0..100;
 * nearest-rank). 100 gives hist_max() exactly; 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);

/* Bucket geometry: the lowest and highest value counted in bucket i. */
uint64_t hist_bucket_lo(unsigned int i);
uint64_t hist_bucket_hi(unsigned int i);
unsigned int hist_bucket_index(uint64_t ns);

/* One JSON object (no trailing newline): count, min, p50, p90, p99, p99.9,
 * p99.99, max (ns) and the non-empty buckets as [lo, hi, count] triples.
 * indent: spaces before each member line. */
void hist_write_json(FILE *out, const struct hist *h, int indent);
/* A text histogram, one row per power of two from the minimum to the
 * maximum (four rows per power of two above 64 ns): range [from, below),
 * count, cumulative percentage and a bar (log-scaled in the value, linear in
 * the count). Each line starts with prefix. */
void hist_print(FILE *out, const struct hist *h, const char *prefix);

/* "1234 ns", "12.3 us", "1.23 ms", "1.23 s" into buf (at least 16 bytes) */
const char *hist_fmt_ns(char *buf, size_t len, uint64_t ns);

#endif
