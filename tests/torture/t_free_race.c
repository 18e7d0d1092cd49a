/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_free_race — an event that meets free_irq() of a line's last action is
 * latched on the line being shut down (E1), never counted in ERR and logged
 * as "No irq handler" (D9) as on a line that never had one.
 *
 * The kernel runs a line's flow under desc->lock, which __free_irq holds
 * while it unlinks the last action and shuts the line down, so no flow sees
 * one step without the other. irqcore's flow takes no lock; two windows
 * remain, each made deterministic here with the torture build's hook (a
 * thread held at a marked point stands for its preemption there):
 *
 *   flow_first  a CPU took the line (IRQC_DBG_FLOW_ENTER) and is held; a
 *               second thread's free_irq() shuts the line down and unlinks
 *               the action (IRQC_DBG_FREE, then it waits for the CPU's
 *               read-side section); the CPU is let go and finds no action.
 *   free_first  free_irq() is held between the two steps
 *               (IRQC_DBG_FREE_LAST); the test thread's CPU runs an event.
 *
 * Checked in both: the handler did not run, the line's noaction count and
 * the ERR total are 0, nothing logged "No irq handler", the event is latched
 * (pending) on the disabled line, free_irq() returned the name, and the
 * latch is delivered once to the next request of the line (as D9's and
 * E1's latches are).
 *
 * Before the fix, free_irq unlinked first and a flow that found no action
 * took the D9 path whatever the line's state: flow_first failed there
 * (noaction 1). With the flow fixed but the old order (the hook point moved
 * between the unlink and the shutdown), free_first fails (noaction 1).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hold.h"
#include "../harness.h"

#include <string.h>

#define LINE	5u

static struct th_hold hd;
static int hold_point;			/* the point to hold the first thread at */
static atomic_bool free_unlinked;	/* free_irq passed IRQC_DBG_FREE */
static struct th_ghi ghi;		/* CPU 1 runs one event of LINE inline */
static struct ut_dev dev, dev2;
static const void *_Atomic free_ret;
static atomic_bool free_done;

static void hook(int point, unsigned int irq, void *arg)
{
	(void)arg;
	if (irq != LINE)
		return;
	if (point == IRQC_DBG_FREE)
		atomic_store(&free_unlinked, true);
	if (point == hold_point)
		th_hold_here(&hd);
}

static void *free_main(void *arg)
{
	(void)arg;
	atomic_store(&free_ret, free_irq(LINE, &dev));
	atomic_store(&free_done, true);
	return NULL;
}

static void setup(int point)
{
	struct irqcore_config c;

	hold_point = point;
	atomic_store(&free_unlinked, false);
	th_hold_arm(&hd);
	th_ghi_init(&ghi, 1, LINE);
	atomic_store(&free_ret, NULL);
	atomic_store(&free_done, false);
	ut_dev_init(&dev, 1, IRQ_HANDLED);
	ut_dev_init(&dev2, 2, IRQ_HANDLED);
	ut_config(&c, 2, 0);
	ut_start_cfg_ext(&c);		/* the test thread is CPU 0 */
	ASSERT_EQ(request_irq(LINE, ut_handler, 0, "fr", &dev), 0);
	irqcore_debug_set_hook(hook, NULL);
}

/* After the race: nothing counted as "no action", the event latched. */
static void check_and_finish(void)
{
	struct irq_status st;

	ASSERT_TRUE(th_wait_true(&free_done));
	irqcore_debug_set_hook(NULL, NULL);
	ASSERT_TRUE(atomic_load(&free_ret) != NULL);
	ASSERT_EQ(strcmp(atomic_load(&free_ret), "fr"), 0);
	ASSERT_EQ(ut_calls(&dev), 0);
	st = ut_status(LINE);
	ASSERT_EQ(st.noaction, 0);
	ASSERT_TRUE(st.pending);
	ASSERT_TRUE(st.disabled);
	ASSERT_EQ(st.count, 0);
	ASSERT_EQ(ut_err_count(), 0);
	ASSERT_EQ(th_log_count("No irq handler"), 0);

	/* the latch goes to the next request, once */
	ASSERT_EQ(request_irq(LINE, ut_handler, 0, "fr2", &dev2), 0);
	ut_drain();
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(ut_calls(&dev2), 1);
	st = ut_status(LINE);
	ASSERT_FALSE(st.pending);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	ASSERT_TRUE(free_irq(LINE, &dev2) != NULL);
	ASSERT_EQ(th_log_count("No irq handler"), 0);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}

TEST(flow_first)
{
	pthread_t g, f;

	setup(IRQC_DBG_FLOW_ENTER);
	ASSERT_EQ(pthread_create(&g, NULL, th_ghi_main, &ghi), 0);
	ASSERT_TRUE(th_wait_true(&hd.held));	/* CPU 1 owns the line */
	ASSERT_EQ(pthread_create(&f, NULL, free_main, NULL), 0);
	ASSERT_TRUE(th_wait_true(&free_unlinked));
	/* free_irq waits for CPU 1's read-side section now */
	ASSERT_FALSE(atomic_load(&free_done));
	atomic_store(&hd.release, true);
	ASSERT_TRUE(th_wait_true(&ghi.done));
	ASSERT_EQ(atomic_load(&ghi.rc), 0);
	pthread_join(g, NULL);
	pthread_join(f, NULL);
	check_and_finish();
}

TEST(free_first)
{
	pthread_t f;

	setup(IRQC_DBG_FREE_LAST);
	ASSERT_EQ(pthread_create(&f, NULL, free_main, NULL), 0);
	ASSERT_TRUE(th_wait_true(&hd.held));	/* shut down, not yet unlinked */
	ASSERT_EQ(generic_handle_irq(LINE), 0);	/* as CPU 0 */
	ASSERT_EQ(ut_calls(&dev), 0);
	/* (the status waits for desc->lock, which free_irq holds here) */
	atomic_store(&hd.release, true);
	pthread_join(f, NULL);
	check_and_finish();
}
