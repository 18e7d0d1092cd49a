/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the interrupt-source tests (t_source, t_source_poll): bounded
 * waits (the caller asserts; never a timing assertion) and a source's
 * statistics.
 */
#ifndef IRQCORE_TEST_UNIT_UTIL_SRC_H
#define IRQCORE_TEST_UNIT_UTIL_SRC_H

#include "util.h"

/* Wait (bounded) until *v >= want. */
static UT_UNUSED void wait_for(atomic_int *v, int want)
{
	double end = th_now() + 10;

	while (atomic_load(v) < want && th_now() < end)
		ut_sleep_ms(1);
}

static UT_UNUSED struct irqcore_source_stats stats(unsigned int irq)
{
	struct irqcore_source_stats st;

	ASSERT_EQ(irqcore_source_get_stats(irq, &st), 0);
	return st;
}

/* Wait (bounded) until the source has counted want errors. */
static UT_UNUSED void wait_stat_errors(unsigned int irq, unsigned long long want)
{
	double end = th_now() + 10;

	while (stats(irq).errors < want && th_now() < end)
		ut_sleep_ms(5);
}

#endif
