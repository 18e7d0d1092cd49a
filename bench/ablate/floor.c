/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * floor — the least any generic_handle_irq can cost, for M1's goal
 * (bench/ablate/ablate.sh). Not irqcore: three toy dispatch functions with
 * nothing but the steps every design pays, timed like m1loop (the best of
 * 30 rounds of 200000 events, on the thread's CPU clock) against the same
 * direct call of the same handler through a volatile pointer:
 *
 *   walk   range check, descriptor, one test of its state word, load the
 *          action, call its handler, test the answer: the indirection alone
 *   plain  walk, plus the read-side announcement (a thread-local counter
 *          stored on entry and exit, the writer paying the fence as in
 *          urcu-memb), one event count, and the line taken and given back
 *          by plain stores: what a CPU that owns its lines would pay
 *   lock   plain, with the line taken by compare-and-swap and given back
 *          by a store, as a spinlock: enough to keep the line on one CPU
 *          at a time, but not for a CPU that finds it taken to leave its
 *          event with the owner (the owner's store and its later look for
 *          that event would need a fence between them)
 *   cas    plain, with the take and the give-back done by compare-and-swap,
 *          as irqcore does so that the give-back sees an event latched
 *          meanwhile (the kernel's edge flow takes the descriptor's
 *          spinlock a second time after the handlers for the same reason)
 *
 * None of them has a shutdown guard, statistics beyond one count, chip
 * callbacks, ONESHOT, spurious detection, PENDING replay or the handler
 * context the deadlock checks read; each of those adds to the figures.
 *
 * Output: "walk plain lock cas direct" in ns per event.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#define NR_LINES 64
#define BUSY 0x1u	/* taken */
#define SLOW 0x2u	/* anything that leaves the common path */

typedef int (*handler_t)(int irq, void *dev);

struct action {
	handler_t handler;
	void *dev;
	struct action *_Atomic next;
};

struct line {
	_Atomic unsigned int state;
	struct action *_Atomic action;
	unsigned long count;
};

static struct line lines[NR_LINES];
static unsigned long calls;
static _Thread_local unsigned long reader_seq;	/* the read-side announcement */

static __attribute__((noinline)) int handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	calls++;
	return 1;
}

static struct action the_action = { handler, NULL, NULL };

static inline int walk_chain(struct line *l, unsigned int irq)
{
	int ret = 0;

	/* acquire: as irqcore's chain walk (the action's publication) */
	for (struct action *a = atomic_load_explicit(&l->action, memory_order_acquire); a;
	     a = atomic_load_explicit(&a->next, memory_order_acquire))
		ret |= a->handler((int)irq, a->dev);
	return ret;
}

static __attribute__((noinline)) int floor_walk(unsigned int irq)
{
	struct line *l;

	if (irq >= NR_LINES)
		return -1;
	l = &lines[irq];
	if (atomic_load_explicit(&l->state, memory_order_relaxed) & (BUSY | SLOW))
		return -1;
	return walk_chain(l, irq) == 1 ? 0 : -1;
}

/*
 * plain, lock and cas: one body, the take and the give-back chosen by
 * constants (always inlined, so each floor is its own straight code).
 */
static inline __attribute__((always_inline)) int floor_flow(unsigned int irq, bool cas_take,
							   bool cas_give)
{
	struct line *l;
	unsigned int s, taken;
	int ret;

	if (irq >= NR_LINES)
		return -1;
	l = &lines[irq];
	reader_seq++;
	/* compiler barrier only: the writer's membarrier stands for the fence */
	atomic_signal_fence(memory_order_seq_cst);
	s = atomic_load_explicit(&l->state, memory_order_relaxed);
	if (s & (BUSY | SLOW))
		return -1;
	/* seq_cst on success, as irqcore's flow_take */
	if (!cas_take)
		atomic_store_explicit(&l->state, s | BUSY, memory_order_relaxed);
	else if (!atomic_compare_exchange_strong_explicit(&l->state, &s, s | BUSY,
							  memory_order_seq_cst,
							  memory_order_relaxed))
		return -1;
	l->count++;
	ret = walk_chain(l, irq);
	/* release: the handler's effects before the line is free (a
	 * spinlock's unlock); acq_rel as irqcore's flow_release */
	taken = s | BUSY;
	if (!cas_give)
		atomic_store_explicit(&l->state, s, memory_order_release);
	else if (!atomic_compare_exchange_strong_explicit(&l->state, &taken, s,
							  memory_order_acq_rel,
							  memory_order_relaxed))
		return -1;
	atomic_signal_fence(memory_order_seq_cst);
	reader_seq++;
	return ret == 1 ? 0 : -1;
}

static __attribute__((noinline)) int floor_plain(unsigned int irq)
{
	return floor_flow(irq, false, false);
}

static __attribute__((noinline)) int floor_lock(unsigned int irq)
{
	return floor_flow(irq, true, false);
}

static __attribute__((noinline)) int floor_cas(unsigned int irq)
{
	return floor_flow(irq, true, true);
}

static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The loops call the floors directly, as m1loop calls generic_handle_irq. */
#define ROUND(call)                                                     \
	do {                                                            \
		for (int i = 0; i < 200000; i++)                        \
			bad |= call;                                    \
	} while (0)

int main(void)
{
	handler_t volatile direct = handler;
	double best[5] = { 1e9, 1e9, 1e9, 1e9, 1e9 };
	int bad = 0;

	atomic_store(&lines[5].action, &the_action);
	for (int r = 0; r < 30; r++) {
		for (int f = 0; f < 5; f++) {
			double t0 = cpu_ns(), t;

			switch (f) {
			case 0: ROUND(floor_walk(5)); break;
			case 1: ROUND(floor_plain(5)); break;
			case 2: ROUND(floor_lock(5)); break;
			case 3: ROUND(floor_cas(5)); break;
			default: ROUND(direct(5, NULL) != 1); break;
			}
			t = (cpu_ns() - t0) / 2e5;
			if (t < best[f])
				best[f] = t;
		}
	}
	printf("%.2f %.2f %.2f %.2f %.2f\n", best[0], best[1], best[2], best[3], best[4]);
	/* every call reached the handler, and every line was given back */
	return bad || calls != 30 * 5 * 200000ul || lines[5].count != 90 * 200000ul ||
	       atomic_load(&lines[5].state) != 0;
}
