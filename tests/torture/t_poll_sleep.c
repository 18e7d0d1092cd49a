/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A dispatcher going to sleep must not miss a polled source handed to it
 * (IRQCORE_SRC_F_POLL, sources/poll.c): between its look at the sources it
 * polls and its announcement that it sleeps, a source attached to it (or
 * moved to it) pokes it while it is still awake, so the poke writes no
 * wake-up; unless the CPU rechecks the pokes after its announcement, it
 * sleeps in ppoll (or on its futex) without the new fd, and the new line's
 * events wait for some other wake-up.
 *
 * The torture build's IRQC_DBG_IDLE_SLEEP point sits in that window: the
 * hook holds the dispatcher there (a stopped thread standing for
 * preemption) while the test attaches source B; then lets it go, writes
 * B's eventfd and waits (bounded, never a timing assertion) for B's
 * handler. Two cases: the CPU already polls a source A (ppoll sleep), and
 * it polls none yet (futex sleep).
 */
#include "irqcore.h"
#include "debug_hook.h"
#include "../harness.h"
#include "../unit/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static atomic_bool armed, held, release_it;

static void hook(int point, unsigned int irq, void *arg)
{
	bool expected = true;

	(void)irq;
	(void)arg;
	if (point != IRQC_DBG_IDLE_SLEEP ||
	    !atomic_compare_exchange_strong(&armed, &expected, false))
		return;
	atomic_store(&held, true);
	for (int i = 0; i < 20000 && !atomic_load(&release_it); i++)
		ut_sleep_ms(1);
}

static bool wait_true(atomic_bool *p)
{
	for (int i = 0; i < 20000 && !atomic_load(p); i++)
		ut_sleep_ms(1);
	return atomic_load(p);
}

static int attach_polled(int efd)
{
	struct irqcore_source s;
	int irq;

	memset(&s, 0, sizeof(s));
	s.kind = IRQCORE_SRC_EVENTFD;
	s.fd = efd;
	s.ctl_fd = -1;
	s.flags = IRQCORE_SRC_F_POLL;
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	return irq;
}

static void run(bool with_a)
{
	struct irqcore_config c;
	struct ut_dev da, db, dz;
	int efd_a = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int efd_b = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int irq_a = -1, irq_b;
	uint64_t one = 1;

	ASSERT_GE(efd_a, 0);
	ASSERT_GE(efd_b, 0);
	ut_config(&c, 1, 0);
	c.idle = IRQCORE_IDLE_SLEEP;
	ASSERT_EQ(irqcore_init(&c), 0);
	ut_dev_init(&da, 1, IRQ_HANDLED);
	ut_dev_init(&db, 2, IRQ_HANDLED);
	ut_dev_init(&dz, 3, IRQ_HANDLED);
	ASSERT_EQ(request_irq(50, ut_handler, 0, "wake", &dz), 0);
	if (with_a) {
		irq_a = attach_polled(efd_a);
		ASSERT_EQ(request_irq((unsigned int)irq_a, ut_handler, 0, "poll-a", &da), 0);
		ASSERT_EQ(write(efd_a, &one, sizeof(one)), (ssize_t)sizeof(one));
		for (int i = 0; i < 20000 && ut_calls(&da) == 0; i++)
			ut_sleep_ms(1);
		ASSERT_EQ(ut_calls(&da), 1);
	}
	atomic_store(&held, false);
	atomic_store(&release_it, false);
	atomic_store(&armed, true);
	irqcore_debug_set_hook(hook, NULL);
	ASSERT_EQ(irq_raise(50), 0);		/* a pass, then idle: held */
	ASSERT_TRUE(wait_true(&held));
	irq_b = attach_polled(efd_b);		/* pokes a CPU that is awake */
	ASSERT_EQ(request_irq((unsigned int)irq_b, ut_handler, 0, "poll-b", &db), 0);
	atomic_store(&release_it, true);	/* ... now it sleeps */
	ut_sleep_ms(20);
	ASSERT_EQ(write(efd_b, &one, sizeof(one)), (ssize_t)sizeof(one));
	for (int i = 0; i < 5000 && ut_calls(&db) == 0; i++)
		ut_sleep_ms(1);
	ASSERT_EQ(ut_calls(&db), 1);		/* before the fix: 0, asleep */
	irqcore_debug_set_hook(NULL, NULL);
	free_irq((unsigned int)irq_b, &db);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq_b), 0);
	if (with_a) {
		free_irq((unsigned int)irq_a, &da);
		ASSERT_EQ(irqcore_source_detach((unsigned int)irq_a), 0);
	}
	free_irq(50, &dz);
	irqcore_shutdown();
	close(efd_a);
	close(efd_b);
}

TEST(poke_before_ppoll_sleep_is_seen)
{
	run(true);
}

TEST(poke_before_futex_sleep_is_seen)
{
	run(false);
}
