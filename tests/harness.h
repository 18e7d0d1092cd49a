/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small test harness in the libuv manner: every TEST() runs in its own
 * forked process with a timeout, asserts are never compiled out and print
 * both operands. `./t_foo` runs all tests of the binary and ends with
 * "N passed, N failed"; `./t_foo NAME` runs one test in-process (for gdb).
 */
#ifndef IRQCORE_TEST_HARNESS_H
#define IRQCORE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*th_fn)(void);
void th_register(const char *name, th_fn fn, int timeout_s);
void th_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* TEST(name): 60 s timeout.  TEST_T(name, seconds): another timeout. */
#define TEST_T(name, secs)                                                    \
	static void name(void);                                               \
	__attribute__((constructor)) static void th_reg_##name(void)          \
	{ th_register(#name, name, (secs)); }                                 \
	static void name(void)
#define TEST(name) TEST_T(name, 60)

#define ASSERT_TRUE(x) do { if (!(x))                                         \
	th_fail(__FILE__, __LINE__, "ASSERT_TRUE(%s)", #x); } while (0)
#define ASSERT_FALSE(x) do { if (x)                                           \
	th_fail(__FILE__, __LINE__, "ASSERT_FALSE(%s)", #x); } while (0)
#define TH_CMP(a, op, b) do {                                                 \
	long long th_a_ = (long long)(a), th_b_ = (long long)(b);             \
	if (!(th_a_ op th_b_))                                                \
		th_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld",         \
			#a, #op, #b, th_a_, th_b_);                           \
} while (0)
#define ASSERT_EQ(a, b) TH_CMP(a, ==, b)
#define ASSERT_NE(a, b) TH_CMP(a, !=, b)
#define ASSERT_LT(a, b) TH_CMP(a, <, b)
#define ASSERT_LE(a, b) TH_CMP(a, <=, b)
#define ASSERT_GT(a, b) TH_CMP(a, >, b)
#define ASSERT_GE(a, b) TH_CMP(a, >=, b)
#define ASSERT_PTR_EQ(a, b) do { const void *th_a_ = (a), *th_b_ = (b);       \
	if (th_a_ != th_b_) th_fail(__FILE__, __LINE__, "%s == %s: %p vs %p", \
				    #a, #b, th_a_, th_b_); } while (0)
#define ASSERT_STR_EQ(a, b) do { const char *th_a_ = (a), *th_b_ = (b);       \
	if (!th_a_ || !th_b_ || strcmp(th_a_, th_b_))                         \
		th_fail(__FILE__, __LINE__, "%s == %s:\n  \"%s\"\n  \"%s\"",  \
			#a, #b, th_a_ ? th_a_ : "(null)",                     \
			th_b_ ? th_b_ : "(null)"); } while (0)
#define ASSERT_CONTAINS(hay, needle) do { const char *th_h_ = (hay);          \
	if (!th_h_ || !strstr(th_h_, (needle)))                               \
		th_fail(__FILE__, __LINE__, "\"%s\" not in:\n%s", (needle),   \
			th_h_ ? th_h_ : "(null)"); } while (0)

/*
 * Log capture: th_log is an irqcore log callback that appends every message
 * (one per line) to a buffer; th_log_count() counts messages containing a
 * substring; th_log_text() is the whole buffer; th_log_reset() empties it.
 * Thread-safe.
 */
void th_log(int level, const char *msg, void *arg);
int th_log_count(const char *substr);
const char *th_log_text(void);
void th_log_reset(void);

/* Stress sizing: seconds to run (TH_STRESS_SECS, default 2) and threads
 * (at least min, scaled with the machine's CPUs). */
double th_stress_seconds(void);
unsigned int th_nr_threads(unsigned int min);
/* Monotonic time in seconds, for bounded loops (never for assertions). */
double th_now(void);

#endif
