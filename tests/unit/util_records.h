/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * util_records.h — hold every private thread record (core/guard.c has
 * 1024) with parked threads, so that the next new thread of the test is on
 * the shared record (t_records.c, torture/t_section.c), on top of util.h.
 */
#ifndef IRQCORE_TEST_UNIT_UTIL_RECORDS_H
#define IRQCORE_TEST_UNIT_UTIL_RECORDS_H

#include "util.h"

#define UR_NR_HOLDERS	1040	/* more than the 1024 private records */

static pthread_t ur_holders[UR_NR_HOLDERS];
static atomic_int ur_holders_in;
static atomic_bool ur_holders_go;

static void *ur_holder_main(void *arg)
{
	(void)arg;
	(void)kstat_irqs_usr(0);	/* a call: the thread claims a record */
	atomic_fetch_add(&ur_holders_in, 1);
	while (!atomic_load(&ur_holders_go))
		ut_sleep_ms(5);
	return NULL;
}

/* Start the holders (small stacks) and wait until each made its call. */
static UT_UNUSED void ur_park_holders(void)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < UR_NR_HOLDERS; i++)
		ASSERT_EQ(pthread_create(&ur_holders[i], &attr, ur_holder_main, NULL), 0);
	pthread_attr_destroy(&attr);
	while (atomic_load(&ur_holders_in) < UR_NR_HOLDERS)
		ut_sleep_ms(5);
}

static UT_UNUSED void ur_release_holders(void)
{
	atomic_store(&ur_holders_go, true);
	for (int i = 0; i < UR_NR_HOLDERS; i++)
		pthread_join(ur_holders[i], NULL);
}

#endif /* IRQCORE_TEST_UNIT_UTIL_RECORDS_H */
