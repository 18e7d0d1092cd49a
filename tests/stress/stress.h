/* SPDX-License-Identifier: BSD-2-Clause */
/* stress.h — helpers shared by the torture tests in tests/stress. */
#ifndef IRQCORE_TEST_STRESS_H
#define IRQCORE_TEST_STRESS_H

#include "irqcore.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

/* A named load, so that a failed ASSERT prints a readable expression. */
static inline unsigned long long ld(atomic_ullong *p)
{
	return atomic_load(p);
}

static inline unsigned long long xorshift(unsigned long long *s)
{
	unsigned long long x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static inline void pin_self(unsigned int idx)
{
	cpu_set_t all, one;
	int n = 0, cnt;

	if (sched_getaffinity(0, sizeof(all), &all))
		return;
	cnt = CPU_COUNT(&all);
	if (cnt <= 0)
		return;
	idx %= (unsigned int)cnt;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &all) || n++ != (int)idx)
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
		return;
	}
}

/* The seed of raiser idx: a different sequence per raiser. */
static inline unsigned long long raiser_seed(unsigned int idx)
{
	return 0x9e3779b97f4a7c15ULL * (idx + 1);
}

/* One irq_raise(), counted: into *raised when accepted, else *failed (the
 * raisers' own tally that the accounting invariant is checked against). */
static inline void raise_counted(unsigned int irq, unsigned long long *raised,
				 unsigned long long *failed)
{
	if (irq_raise(irq) == 0)
		(*raised)++;
	else
		(*failed)++;
}

static inline void spin(unsigned int n)
{
	for (volatile unsigned int i = 0; i < n; i++)
		;
}

/* Record `now` in *max if it is larger (the in-flight high-water mark). */
static inline void note_max(atomic_int *max, int now)
{
	int cur = atomic_load_explicit(max, memory_order_relaxed);

	while (now > cur &&
	       !atomic_compare_exchange_weak_explicit(max, &cur, now, memory_order_relaxed,
						      memory_order_relaxed))
		;
}

#endif
