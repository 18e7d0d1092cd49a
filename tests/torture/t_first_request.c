/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_first_request — an event that took a line before the line's first
 * request and runs its new ONESHOT action keeps the line masked until the
 * thread has run (D5), as if it had come after the request.
 *
 * The flow takes no lock (core/flow.c): a CPU can take a line that has no
 * action yet, be preempted, and meanwhile request_threaded_irq() sets
 * ONESHOT and publishes the action. The flow looks at ONESHOT after it has
 * loaded the action, which the request publishes after the bit, so it sees
 * the bit. Here CPU 1 is held right after it took the line
 * (IRQC_DBG_FLOW_ENTER), standing for its preemption there; the request is
 * made; CPU 1 is let go. Checked: the handler ran once, the thread ran
 * once and saw the line masked, and the line is unmasked after it. A flow
 * that does not look at ONESHOT after its take fails here (measured with
 * such a build); the flow's earlier order, ONESHOT looked at just before the
 * action, had the same window between its two loads, where no point holds
 * a thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hold.h"
#include "../harness.h"

#include <string.h>

#define LINE	9u

static struct th_hold hd;
static struct th_ghi ghi;
static atomic_int primary_runs, thread_runs;
static atomic_bool masked_in_thread;

static void hook(int point, unsigned int irq, void *arg)
{
	(void)arg;
	if (point == IRQC_DBG_FLOW_ENTER && irq == LINE)
		th_hold_here(&hd);
}

static irqreturn_t primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&primary_runs, 1);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t thread_fn(int irq, void *dev_id)
{
	struct irq_status st;

	(void)dev_id;
	if (irq_get_status((unsigned int)irq, &st) == 0)
		atomic_store(&masked_in_thread, st.masked);
	atomic_fetch_add(&thread_runs, 1);
	return IRQ_HANDLED;
}

TEST(oneshot_first_request_under_a_taken_line)
{
	struct irqcore_config c;
	struct irq_status st;
	pthread_t g;
	int dev = 0;

	ut_config(&c, 2, 0);
	ut_start_cfg_ext(&c);		/* the test thread is CPU 0 */
	th_ghi_init(&ghi, 1, LINE);
	th_hold_arm(&hd);
	irqcore_debug_set_hook(hook, NULL);
	ASSERT_EQ(pthread_create(&g, NULL, th_ghi_main, &ghi), 0);
	ASSERT_TRUE(th_wait_true(&hd.held));	/* CPU 1 owns the line, no action yet */
	ASSERT_EQ(request_threaded_irq(LINE, primary, thread_fn, IRQF_ONESHOT, "first", &dev),
		  0);
	atomic_store(&hd.release, true);
	ASSERT_TRUE(th_wait_true(&ghi.done));
	pthread_join(g, NULL);
	irqcore_debug_set_hook(NULL, NULL);
	ASSERT_EQ(atomic_load(&ghi.rc), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(atomic_load(&primary_runs), 1);
	ASSERT_EQ(atomic_load(&thread_runs), 1);
	ASSERT_TRUE(atomic_load(&masked_in_thread));	/* D5 */
	ASSERT_EQ(irq_get_status(LINE, &st), 0);
	ASSERT_FALSE(st.masked);			/* unmasked after the thread */
	ASSERT_TRUE(free_irq(LINE, &dev) != NULL);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}
