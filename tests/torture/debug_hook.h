/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * debug_hook.h — what the torture build of the library (VARIANT=torture,
 * `make torture`) exports beyond the public API, for the tests in
 * tests/torture. The normal, TSan and ASan builds export none of it.
 *
 * In the torture build every marked point of the raise, drain, flow,
 * finalize, free and shutdown paths yields at random (sched_yield, short
 * sleeps; IRQCORE_TORTURE_YIELD=0 in the environment turns that off) and
 * then calls the hook, if one is set, in the thread that reached the point.
 * IRQCORE_TORTURE_NO_MEMBARRIER=1 in the environment before irqcore_init()
 * makes the library run as on a kernel without membarrier(2);
 * IRQCORE_TORTURE_COALESCE_FOREVER=1 makes every coalescing wait (D10) that
 * starts last until one of its ends (a class above 0, a kick, shutdown).
 * A hook that blocks the calling thread (on a semaphore, say) stands for
 * that thread being preempted right there.
 */
#ifndef IRQCORE_TEST_DEBUG_HOOK_H
#define IRQCORE_TEST_DEBUG_HOOK_H

enum irqc_dbg_point {
	IRQC_DBG_RAISE_WORD = 1,	/* raiser: after its OR into the pending word,
					   before it makes the word visible (summary) */
	IRQC_DBG_RAISE_SUMMARY,		/* raiser: word visible in the summary, before
					   the top word (if any) and the wake check */
	IRQC_DBG_DRAIN,			/* CPU: loaded a summary word, before its words */
	IRQC_DBG_FLOW_ENTER,		/* flow: took the line (INPROGRESS) */
	IRQC_DBG_FLOW_RELEASE,		/* flow: handlers done, before giving the line up */
	IRQC_DBG_FINALIZE,		/* irq thread: ONESHOT finalize, deciding */
	IRQC_DBG_THREAD_WAKE,		/* hard path: before setting RUNTHREAD */
	IRQC_DBG_FREE,			/* free_irq: unlinked, before the grace period */
	IRQC_DBG_SHUTDOWN,		/* shutdown: new calls refused, before waiting
					   for calls in flight */
	IRQC_DBG_SECTION_ENTER,		/* a read-side section, the guard of the hot
					   calls (generic_handle_irq, a drain pass):
					   the thread's record odd, the state not yet
					   checked (irq: ~0u) */
	IRQC_DBG_RAISE_TOP,		/* raiser: summary word visible in the top word
					   (more than 4096 lines), before the wake check */
	IRQC_DBG_RAISE_LEVELS,		/* raiser of a class > 0 line: class visible in
					   the CPU's levels word, before the wake check */
	IRQC_DBG_IDLE_SLEEP,		/* CPU: looked at what it polls, about to
					   announce that it sleeps */
	IRQC_DBG_FREE_LAST,		/* free_irq of the last action: the line shut
					   down, the action not yet unlinked (desc->lock
					   and the request mutex held) */
	IRQC_DBG_BIAS_TAKE,		/* the CPU holding a line's bias: busy stored,
					   the state word not yet looked at (H1-H3 in
					   core/bias.c) */
	IRQC_DBG_BIAS_REVOKE,		/* a revoker: REVOKING set (or seen), before
					   its membarrier (R1-R2); one that finds
					   FENCED issues none and passes no point */
	IRQC_DBG_BIAS_CONFIRM,		/* a revoker: the holder seen idle after its
					   membarrier, before it clears the bias (R4) */
	IRQC_DBG_COALESCE,		/* dispatcher thread: a pass handled irq events,
					   before its coalescing wait (D10) */
	IRQC_DBG_DRAIN_EMPTY,		/* CPU in a pass: found a word empty whose
					   summary bit is set, before it clears the bit
					   and looks at the word again (irq: the word's
					   first line) */
};

/* irq is the line concerned, or ~0u where none is. */
typedef void (*irqc_dbg_hook_t)(int point, unsigned int irq, void *arg);

/* Set (or clear, with NULL) the hook. Any thread, any time. */
void irqcore_debug_set_hook(irqc_dbg_hook_t hook, void *arg);

/* Add n to CPU cpu's handled count of irq and n to the line's raised count,
 * as if n events had been raised and handled there. Only on a quiet line
 * (nothing raised or running). 0, -EINVAL, -ENODEV. For the 64-bit counter
 * tests, which cannot raise 2^32 events. */
int irqcore_debug_add_counts(unsigned int irq, unsigned int cpu, unsigned long long n);

#endif
