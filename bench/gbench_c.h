/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gbench_c.h — a thin C interface to Google Benchmark, so that benchmark
 * bodies stay C. Implemented in gbench_shim.cc (C++17, links -lbenchmark);
 * a program made of C bodies and the shim is linked with g++.
 *
 * A body is a gb_fn. It runs the timed loop with gb_keep_running() (one
 * iteration per true) or gb_keep_running_batch() (n iterations per true: the
 * body runs n operations itself, which keeps the loop's out-of-line call out
 * of nanosecond figures):
 *
 *	static void bm_thing(gb_state *st, void *arg)
 *	{
 *		setup(arg);			// not timed
 *		while (gb_keep_running_batch(st, 64))
 *			for (int i = 0; i < 64; i++)
 *				thing();
 *		gb_set_items_processed(st, gb_iterations(st));
 *		teardown(arg);			// not timed
 *	}
 *	...
 *	gb_unit_ns(gb_register("M9/irqcore/thing", bm_thing, NULL));
 *	return gb_main(argc, argv);
 *
 * With gb_threads(b, n) the body runs in n threads at once; Google Benchmark
 * puts a barrier at the start and at the end of the timed loop, so setup done
 * by thread 0 before the loop happens before every thread's first iteration,
 * and thread 0's teardown after the loop happens after every thread's last
 * one. Every thread must run the loop until it returns false (after
 * gb_skip_with_error() it returns false at once), never break out of it.
 * Counters and items of all threads are summed.
 *
 * Configuration calls return their benchmark so they chain:
 *	gb_unit_ns(gb_range(gb_register(...), 64, 65536));
 */
#ifndef GBENCH_C_H
#define GBENCH_C_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_state gb_state;	/* a benchmark::State */
typedef struct gb_bench gb_bench;	/* a registered benchmark */
typedef void (*gb_fn)(gb_state *st, void *arg);

/* ---- registration (before gb_main) ---- */

/* name is copied; arg is passed to fn as is on every run. */
gb_bench *gb_register(const char *name, gb_fn fn, void *arg);
gb_bench *gb_arg(gb_bench *b, long x);		/* one run with gb_get_arg(st, 0) == x */
gb_bench *gb_arg_name(gb_bench *b, const char *name); /* name shows as "name:x" */
gb_bench *gb_range(gb_bench *b, long lo, long hi); /* lo, lo*m, ..., hi */
gb_bench *gb_range_multiplier(gb_bench *b, int m); /* m for gb_range (default 8) */
gb_bench *gb_threads(gb_bench *b, int n);	/* one more run with n threads */
gb_bench *gb_use_real_time(gb_bench *b);	/* wall clock (the default is the
						   calling thread's CPU time) */
gb_bench *gb_unit_ns(gb_bench *b);		/* report times in ns */

/* ---- inside a body ---- */

bool gb_keep_running(gb_state *st);
bool gb_keep_running_batch(gb_state *st, long n); /* may overshoot by n - 1 */
long gb_get_arg(gb_state *st, int i);		/* i-th argument (gb_arg/gb_range) */
long long gb_iterations(gb_state *st);		/* iterations run so far */
int gb_thread_index(gb_state *st);		/* 0 .. gb_threads_count() - 1 */
int gb_threads_count(gb_state *st);
void gb_pause_timing(gb_state *st);		/* costly (~µs): not per iteration */
void gb_resume_timing(gb_state *st);
void gb_set_items_processed(gb_state *st, long long items); /* -> items_per_second */

/* Counter flags: the values of benchmark::Counter::Flags. */
#define GB_COUNTER_PLAIN	0	/* reported as is (summed over threads) */
#define GB_COUNTER_RATE		1	/* divided by the run's seconds */
#define GB_COUNTER_AVG_THREADS	2	/* divided by the number of threads */
#define GB_COUNTER_AVG_ITERS	8	/* divided by the number of iterations */
void gb_counter(gb_state *st, const char *name, double value, int flags);

/* Marks the run as failed with msg (shown and written to the JSON output);
 * the loop ends at the next gb_keep_running*. */
void gb_skip_with_error(gb_state *st, const char *msg);
bool gb_error_occurred(gb_state *st);

/* A key/value pair in the "context" of the output (machine description). */
void gb_add_context(const char *key, const char *value);

/* Parses the --benchmark_* options (removing them from argv), complains
 * about any other option, runs the benchmarks and shuts the library down.
 * Returns the exit status for main(). On libraries older than 1.8,
 * --benchmark_min_time=0.2s is accepted as 0.2. */
int gb_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* GBENCH_C_H */
