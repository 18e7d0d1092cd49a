/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqcore_quiesce(): return when every raise made before the call has been
 * handled, threaded handlers included.
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>

/* ---- quiesce ---- */

static uint64_t total_handled(void)
{
	uint64_t n = 0;

	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		n += atomic_load_explicit(&irqc.cpus[c].handled, memory_order_relaxed);
	return n;
}

/* Drain an external CPU nobody drives, as that CPU, for the time of a pass. */
static bool borrow_and_drain(struct irqc_cpu *cpu)
{
	pid_t none = 0;
	struct irqc_cpu *saved = irqc_ctx.cpu;
	unsigned int saved_gen = irqc_ctx.gen;

	/* acquire/release: as attach and detach */
	if (!atomic_compare_exchange_strong_explicit(&cpu->owner, &none, irqc__self_tid(),
						     memory_order_acquire,
						     memory_order_relaxed))
		return false;
	irqc__set_this_cpu(cpu);
	irqc__cpu_pass(cpu);
	irqc_ctx.cpu = saved;
	irqc_ctx.gen = saved_gen;
	atomic_store_explicit(&cpu->owner, 0, memory_order_release);
	return true;
}

/* Make an idle CPU pass: a spinning one sees kicks move, a sleeping one is
 * woken. */
static void request_pass(struct irqc_cpu *cpu)
{
	/* release: paired with the acquire load in cpu_spin */
	atomic_fetch_add_explicit(&cpu->kicks, 1, memory_order_release);
	irqc__cpu_kick(cpu);
}

/*
 * Wait until CPU c completed a pass that started after `snap` was read. The
 * raises made before irqcore_quiesce() precede our membarrier(), which puts
 * a full barrier B in the CPU's thread, and our reading of the pass counter
 * follows it. The pass after the next one starts after the CPU's store of a
 * value we did not read; that store cannot precede B (membarrier would have
 * made it visible to our read), so the pass's loads of the bitmap, after
 * the store and its compiler barrier, follow B and see those raises.
 * Without membarrier both sides fence: the plain Dekker argument.
 */
static int wait_passes(struct irqc_cpu *cpu, uint64_t target, uint64_t deadline)
{
	unsigned int us = 20;

	while (atomic_load(&cpu->seq) < target) {
		if (cpu == irqc__this_cpu())
			irqc__cpu_pass(cpu);
		else if ((irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS) && borrow_and_drain(cpu))
			continue;
		else
			request_pass(cpu);
		if (atomic_load(&cpu->seq) >= target)
			break;
		if (irqc__mono_ns() > deadline)
			return -ETIMEDOUT;
		irqc__backoff_sleep(&us);
	}
	return 0;
}

static int wait_threads(uint64_t deadline)
{
	unsigned int us = 20;

	/* acquire: pairs with the release decrement when a thread finishes */
	while (atomic_load_explicit(&irqc.threads_active, memory_order_acquire)) {
		if (irqc__mono_ns() > deadline)
			return -ETIMEDOUT;
		irqc__backoff_sleep(&us);
	}
	return 0;
}

int irqcore_quiesce(int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX :
			    irqc__mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	uint64_t *snap;
	int ret = 0;

	IRQC_API_GUARD(-ENODEV);
	if (irqc__in_handler_context()) {
		irqc_warn("irqcore_quiesce() from IRQ context would wait for itself");
		return -EDEADLK;
	}
	snap = calloc(irqc.nr_cpus, sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	/*
	 * A round: no irq thread active, then a full pass on every CPU. Quiet
	 * means the round handled nothing and no thread became active: the
	 * passes found no token, and no thread was left to send one (a thread
	 * sends its replay before it stops counting as active; only a flow,
	 * which would have been counted, or irq_wake_thread can wake one).
	 */
	for (;;) {
		uint64_t before;

		ret = wait_threads(deadline);
		if (ret)
			break;
		before = total_handled();
		/* paired with the light barrier after each pass's store of
		 * seq (dispatch.c): see wait_passes */
		irqc__heavy_barrier();
		for (unsigned int c = 0; c < irqc.nr_cpus; c++)
			snap[c] = atomic_load(&irqc.cpus[c].seq);
		for (unsigned int c = 0; c < irqc.nr_cpus && !ret; c++)
			ret = wait_passes(&irqc.cpus[c], snap[c] + 2, deadline);
		if (ret)
			break;
		if (total_handled() == before &&
		    !atomic_load_explicit(&irqc.threads_active, memory_order_acquire))
			break;
	}
	free(snap);
	return ret;
}
