/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Self-test of the latency histogram: percentiles of known distributions
 * must be within HIST_REL_ERROR of the exact nearest-rank value. Prints
 * "PASS name"/"FAIL name" per check and "hist_test: N passed, N failed"
 * (the format of tests/run-tests.sh); exits 1 on any failure.
 */
#include "hist.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static unsigned int passed, failed;

static void check(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* got within the histogram's error bound of want (plus rounding of 1 ns) */
static void check_near(const char *name, double p, uint64_t got, uint64_t want)
{
	double err = fabs((double)got - (double)want);

	check(err <= HIST_REL_ERROR * (double)want + 1.0, name,
	      "p%g = %" PRIu64 ", want %" PRIu64 " +- %.2f%%", p, got, want,
	      100.0 * HIST_REL_ERROR);
}

static const double pcts[] = { 0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0,
			       99.9, 99.99, 99.999, 100.0 };
#define NPCTS (sizeof(pcts) / sizeof(pcts[0]))

/* the exact nearest-rank percentile of 1..n */
static uint64_t uniform_rank(uint64_t n, double p)
{
	uint64_t r = (uint64_t)ceil(p / 100.0 * (double)n - 1e-9);

	return r < 1 ? 1 : r > n ? n : r;
}

static void test_geometry(void)
{
	unsigned int bad = 0;

	/* buckets tile 0..2^64-1 without gaps and hold what they index */
	for (unsigned int i = 0; i + 1 < HIST_NR_BUCKETS; i++) {
		if (hist_bucket_hi(i) + 1 != hist_bucket_lo(i + 1) ||
		    hist_bucket_index(hist_bucket_lo(i)) != i ||
		    hist_bucket_index(hist_bucket_hi(i)) != i)
			bad++;
		/* width bound: (hi - lo + 1) <= lo / 64 above the exact range */
		if (hist_bucket_lo(i) >= 2 * HIST_SUB_COUNT &&
		    (hist_bucket_hi(i) - hist_bucket_lo(i) + 1) * HIST_SUB_COUNT > hist_bucket_lo(i))
			bad++;
	}
	check(bad == 0, "geometry", "%u bad buckets", bad);
	check(hist_bucket_hi(HIST_NR_BUCKETS - 1) == UINT64_MAX, "geometry-top",
	      "last bucket ends at %" PRIu64, hist_bucket_hi(HIST_NR_BUCKETS - 1));
	check(hist_bucket_index(UINT64_MAX) == HIST_NR_BUCKETS - 1, "geometry-max",
	      "index(UINT64_MAX) = %u", hist_bucket_index(UINT64_MAX));
}

static void test_empty(void)
{
	static struct hist h;

	hist_init(&h);
	check(hist_count(&h) == 0 && hist_max(&h) == 0 && hist_min(&h) == 0 &&
	      hist_percentile(&h, 50) == 0, "empty", "empty histogram not all zero");
}

static void test_uniform(void)
{
	static struct hist h, a, b, m;
	const uint64_t n = 1000000;

	hist_init(&h);
	hist_init(&a);
	hist_init(&b);
	hist_init(&m);
	/* record in a scrambled order: the result must not depend on it */
	for (uint64_t k = 0; k < n; k++) {
		uint64_t v = (k * 7919u) % n + 1u;	/* 7919 is prime: a permutation */

		hist_record(&h, v);
		hist_record(v & 1 ? &a : &b, v);
	}
	hist_merge(&m, &a);
	hist_merge(&m, &b);
	check(hist_count(&h) == n, "uniform-count", "count %" PRIu64, hist_count(&h));
	check(hist_max(&h) == n && hist_min(&h) == 1, "uniform-minmax",
	      "min %" PRIu64 " max %" PRIu64, hist_min(&h), hist_max(&h));
	for (size_t k = 0; k < NPCTS; k++) {
		uint64_t want = uniform_rank(n, pcts[k]);

		check_near("uniform", pcts[k], hist_percentile(&h, pcts[k]), want);
		check(hist_percentile(&m, pcts[k]) == hist_percentile(&h, pcts[k]),
		      "uniform-merge", "p%g merged %" PRIu64 " vs %" PRIu64, pcts[k],
		      hist_percentile(&m, pcts[k]), hist_percentile(&h, pcts[k]));
	}
	check(hist_count(&m) == n && hist_max(&m) == n && hist_min(&m) == 1,
	      "uniform-merge-minmax", "merged count/min/max wrong");
}

static void test_constant(void)
{
	static struct hist h;

	hist_init(&h);
	for (int k = 0; k < 10000; k++)
		hist_record(&h, 123457);
	/* one value: clamping to min/max makes every percentile exact */
	for (size_t k = 0; k < NPCTS; k++)
		check(hist_percentile(&h, pcts[k]) == 123457, "constant",
		      "p%g = %" PRIu64, pcts[k], hist_percentile(&h, pcts[k]));
}

static void test_two_point(void)
{
	static struct hist h;
	const uint64_t lo = 1000, hi = 5000000;

	hist_init(&h);
	/* 90 % at 1 us, 10 % at 5 ms */
	for (int k = 0; k < 100000; k++)
		hist_record(&h, k % 10 == 9 ? hi : lo);
	check_near("two-point", 50, hist_percentile(&h, 50), lo);
	check_near("two-point", 90, hist_percentile(&h, 90), lo);
	check_near("two-point", 90.001, hist_percentile(&h, 90.001), hi);
	check_near("two-point", 99, hist_percentile(&h, 99), hi);
	check(hist_percentile(&h, 100) == hi, "two-point-max", "p100 = %" PRIu64,
	      hist_percentile(&h, 100));
}

static void test_small_exact(void)
{
	static struct hist h;
	bool ok = true;

	/* below 2^(SUB_BITS+1) buckets are 1 ns wide: exact */
	for (uint64_t v = 0; v < 2 * HIST_SUB_COUNT; v++) {
		hist_init(&h);
		hist_record(&h, v);
		hist_record(&h, v + 1000);
		if (hist_percentile(&h, 50) != v)
			ok = false;
	}
	check(ok, "small-exact", "values below %u not exact", 2 * HIST_SUB_COUNT);
}

static void test_huge(void)
{
	static struct hist h;

	hist_init(&h);
	hist_record(&h, UINT64_MAX);
	hist_record(&h, 0);
	check(hist_max(&h) == UINT64_MAX && hist_percentile(&h, 50) == 0 &&
	      hist_percentile(&h, 100) == UINT64_MAX, "huge", "0 / 2^64-1 mishandled");
}

static void test_json(void)
{
	static struct hist h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		check(false, "json", "open_memstream failed");
		return;
	}
	hist_init(&h);
	for (int k = 1; k <= 100; k++)
		hist_record(&h, (uint64_t)k * 1000u);
	hist_write_json(f, &h, 2);
	fclose(f);
	check(strstr(buf, "\"count\": 100,") && strstr(buf, "\"max\": 100000,") &&
	      strstr(buf, "\"p99.9\": ") && strstr(buf, "\"buckets\": [[") &&
	      buf[len - 1] == '}', "json", "unexpected JSON:\n%s", buf);
	free(buf);
}

int main(void)
{
	test_geometry();
	test_empty();
	test_uniform();
	test_constant();
	test_two_point();
	test_small_exact();
	test_huge();
	test_json();
	printf("%s hist_test\n", failed ? "FAIL" : "PASS");
	printf("hist_test: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
