/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The debug-yield build (VARIANT=torture, `make torture`), as liburcu's
 * debug-yield option: every IRQC_DEBUG_POINT of the raise, drain, flow,
 * finalize, free and shutdown paths yields at random, so that windows a few
 * instructions wide are hit by the stress tests without a debugger, and then
 * calls a test's hook (tests/torture/debug_hook.h), which may block the
 * thread to stand for its preemption at that very point.
 *
 * Only compiled into the torture build; nothing here is in the normal,
 * TSan or ASan libraries.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

typedef void (*irqc_dbg_hook_t)(int point, unsigned int irq, void *arg);

void irqcore_debug_set_hook(irqc_dbg_hook_t hook, void *arg);
int irqcore_debug_add_counts(unsigned int irq, unsigned int cpu, unsigned long long n);

static _Atomic(irqc_dbg_hook_t) dbg_hook;
static void *_Atomic dbg_arg;
static _Atomic int yield_mode = -1;	/* -1 unknown, 0 off, 1 on */
static _Thread_local unsigned long long rnd;

static bool yields_on(void)
{
	int m = atomic_load_explicit(&yield_mode, memory_order_relaxed);

	if (m < 0) {
		const char *e = getenv("IRQCORE_TORTURE_YIELD");

		m = !(e && e[0] == '0');
		atomic_store_explicit(&yield_mode, m, memory_order_relaxed);
	}
	return m;
}

static unsigned int next_rand(void)
{
	if (!rnd)
		rnd = (unsigned long long)(uintptr_t)&rnd ^ irqc__mono_ns();
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return (unsigned int)(rnd >> 11);
}

bool irqc__torture_no_membarrier(void)
{
	const char *e = getenv("IRQCORE_TORTURE_NO_MEMBARRIER");

	return e && e[0] == '1';
}

bool irqc__torture_coalesce_forever(void)
{
	const char *e = getenv("IRQCORE_TORTURE_COALESCE_FOREVER");

	return e && e[0] == '1';
}

void irqc__debug_point(int point, unsigned int irq)
{
	irqc_dbg_hook_t hook;

	if (yields_on()) {
		unsigned int r = next_rand() % 64;

		if (r < 8) {
			sched_yield();
		} else if (r == 8) {
			struct timespec ts = { 0, 20000 + (long)(next_rand() % 80000) };

			nanosleep(&ts, NULL);
		}
	}
	/* acquire: the hook's argument, stored before it */
	hook = atomic_load_explicit(&dbg_hook, memory_order_acquire);
	if (hook)
		hook(point, irq, atomic_load_explicit(&dbg_arg, memory_order_relaxed));
}

void irqcore_debug_set_hook(irqc_dbg_hook_t hook, void *arg)
{
	atomic_store_explicit(&dbg_arg, arg, memory_order_relaxed);
	/* release: paired with the acquire in irqc__debug_point */
	atomic_store_explicit(&dbg_hook, hook, memory_order_release);
}

int irqcore_debug_add_counts(unsigned int irq, unsigned int cpu, unsigned long long n)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;

	if (!irqc__in_range(irq) || cpu >= irqc.nr_cpus)
		return -EINVAL;
	desc = irqc__desc_get(irq);
	if (!desc)
		return -ENOMEM;
	/* a quiet line: nobody else writes these counters now */
	irqc__inc_owned_n(irqc__kstat_slot(desc, cpu), n);
	if (irqc__cnt_slot())
		irqc__inc_owned_n(&irqc__cnt_slot()[irq].raised, n);
	else
		atomic_fetch_add(&irqc.cnt_shared[irq].raised, n);
	return 0;
}
