/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The UIO-style example driver (examples/drivers/uio_genirq.c) against
 * Linux's behaviour: the hard handler disables the line, user space sees
 * one event per handler run, edges raised while the line is disabled are
 * latched and delivered exactly once by the enable (never lost, never
 * doubled), irqcontrol never unbalances the disable depth, and removal
 * frees the line.
 */
#include "util.h"
#include "../../examples/drivers/sim_hw.h"
#include "../../examples/drivers/uio_genirq.h"

static struct platform_device pdev;
static struct sim_mmio_dev hw;
static struct uio_info *info;

static void setup(void)
{
	struct irqcore_config c;
	int line;

	ut_config(&c, 2, 0);
	c.thread_priority = -1;
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
	line = irq_alloc_desc(-1);
	ASSERT_GT(line, 0);
	sim_mmio_init(&hw, (unsigned int)line);
	memset(&pdev, 0, sizeof(pdev));
	device_initialize(&pdev.dev, "uio-test");
	pdev.irq = line;
	pdev.hw = &hw;
	ASSERT_EQ(uio_pdrv_genirq_probe(&pdev), 0);
	info = uio_pdrv_genirq_info(&pdev);
	ASSERT_TRUE(info != NULL);
	ASSERT_EQ(info->irq, line);
}

static void teardown(void)
{
	unsigned int line = (unsigned int)pdev.irq;

	device_release(&pdev.dev);
	ASSERT_EQ(ut_status(line).nr_actions, 0);
	irq_free_desc(line);
	ASSERT_EQ(th_log_count("Unbalanced"), 0);
	irqcore_shutdown();
}

static u32 events_now(void)
{
	u32 c = (u32)-1;

	/* a count that differs from -1 returns at once */
	ASSERT_EQ(uio_read(info, &c, 0), 0);
	return c;
}

TEST(uio_handler_disables_line_and_notifies)
{
	u32 count = 0;

	setup();
	sim_mmio_fire(&hw);
	ASSERT_EQ(uio_read(info, &count, 10000), 0);
	ASSERT_EQ(count, 1);
	ut_quiesce();
	ASSERT_EQ(ut_status(pdev.irq).depth, 1);	/* disabled by the handler */
	ASSERT_TRUE(ut_status(pdev.irq).disabled);
	/* no new event: a read times out */
	ASSERT_EQ(uio_read(info, &count, 20), -ETIMEDOUT);
	ASSERT_EQ(uio_write(info, 1), 0);
	ut_quiesce();
	ASSERT_EQ(ut_status(pdev.irq).depth, 0);
	ASSERT_EQ(events_now(), 1);			/* nothing was latched */
	teardown();
}

TEST(uio_events_while_disabled_are_delivered_once)
{
	u32 count = 0;
	struct irq_status st;

	setup();
	sim_mmio_fire(&hw);
	ASSERT_EQ(uio_read(info, &count, 10000), 0);
	ut_quiesce();
	ASSERT_EQ(ut_status(pdev.irq).depth, 1);
	/* five edges while disabled: latched, not handled */
	for (int i = 0; i < 5; i++)
		sim_mmio_fire(&hw);
	ut_quiesce();
	st = ut_status(pdev.irq);
	ASSERT_TRUE(st.pending);
	ASSERT_EQ(st.count, 1);
	ASSERT_EQ(events_now(), 1);
	/* enable: exactly one more event, which disables the line again */
	ASSERT_EQ(uio_write(info, 1), 0);
	ASSERT_EQ(uio_read(info, &count, 10000), 0);
	ASSERT_EQ(count, 2);
	ut_quiesce();
	st = ut_status(pdev.irq);
	ASSERT_EQ(st.count, 2);
	ASSERT_FALSE(st.pending);
	ASSERT_EQ(st.depth, 1);
	ASSERT_EQ(events_now(), 2);
	/* nothing left: enabling again delivers nothing */
	ASSERT_EQ(uio_write(info, 1), 0);
	ut_quiesce();
	ASSERT_EQ(events_now(), 2);
	ASSERT_EQ(ut_status(pdev.irq).depth, 0);
	/* accounting: every edge is an event or was coalesced */
	st = ut_status(pdev.irq);
	ASSERT_EQ(st.raised, 6);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	teardown();
}

TEST(uio_irqcontrol_is_balanced)
{
	setup();
	ASSERT_EQ(uio_write(info, 0), 0);
	ASSERT_EQ(uio_write(info, 0), 0);		/* already off: no second disable */
	ASSERT_EQ(ut_status(pdev.irq).depth, 1);
	sim_mmio_fire(&hw);
	ut_quiesce();
	ASSERT_EQ(events_now(), 0);			/* latched */
	ASSERT_EQ(uio_write(info, 1), 0);
	ut_quiesce();
	ASSERT_EQ(events_now(), 1);			/* replayed once, line off again */
	ASSERT_EQ(ut_status(pdev.irq).depth, 1);
	ASSERT_EQ(uio_write(info, 1), 0);
	ASSERT_EQ(uio_write(info, 1), 0);		/* already on: no unbalanced enable */
	ASSERT_EQ(ut_status(pdev.irq).depth, 0);
	teardown();
}

/* A device raising bursts while user space handles and re-enables: each
 * read sees exactly one new event (the handler disabled the line until the
 * enable), there are never more events than enables (+1: the first), and
 * every edge is an event or coalesced into one: none lost. As on Linux, a
 * flow may run the handler again for an edge that came while it ran (after
 * user space's enable), with one count: kstat <= events. */
static atomic_bool dev_stop;

static void *burst_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&dev_stop)) {
		for (int i = 0; i < 3; i++)
			sim_mmio_fire(&hw);
		sched_yield();
	}
	return NULL;
}

TEST_T(uio_bursts_none_lost_none_doubled, 120)
{
	pthread_t t;
	u32 count = 0, reads = 0, enables = 0;
	struct irq_status st;
	double end;

	setup();
	atomic_store(&dev_stop, false);
	ASSERT_EQ(pthread_create(&t, NULL, burst_thread, NULL), 0);
	end = th_now() + th_stress_seconds() / 2;
	while (th_now() < end) {
		u32 before = count;

		if (uio_read(info, &count, 1000) == 0) {
			/* one event per enable: the line was off until now */
			ASSERT_EQ(count, before + 1);
			reads++;
		}
		ASSERT_EQ(uio_write(info, 1), 0);
		enables++;
	}
	atomic_store(&dev_stop, true);
	pthread_join(t, NULL);
	ut_quiesce();
	/* a last event may be pending on the disabled line: deliver it */
	ASSERT_EQ(uio_write(info, 1), 0);
	enables++;
	ut_quiesce();
	st = ut_status(pdev.irq);
	ASSERT_GT(reads, 0);
	ASSERT_LE(st.count, events_now());
	ASSERT_LE(events_now(), enables + 1);		/* none doubled */
	ASSERT_EQ(st.raised, atomic_load(&hw.fired));
	ASSERT_EQ(st.raised, st.count + st.coalesced);	/* none lost */
	ASSERT_FALSE(st.pending);
	teardown();
}
