/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tasklets: functions deferred by a handler, run on the same CPU at the end
 * of its drain pass, outside the handlers (in_serving_softirq), never
 * concurrently with themselves.
 *
 * State bits: SCHED (queued, or about to run), RUN (running somewhere),
 * PARKED (scheduled while disabled: dequeued, requeued by tasklet_enable).
 * Each CPU keeps a lock-free stack of scheduled tasklets: schedulers push with
 * a release CAS, the CPU takes the whole stack with an acquire exchange and
 * runs it oldest first. SCHED is cleared before the function runs, so a
 * tasklet that schedules itself runs again; RUN keeps two CPUs from running
 * it at once (the second requeues it).
 */
#include "core.h"

#include <errno.h>

#define TASKLET_SCHED	1ul
#define TASKLET_RUN	2ul
#define TASKLET_PARKED	4ul

/* tasklet_struct's fields are plain in the public header */
#define T_STATE(t)	IRQC_ATOMIC(&(t)->state)
#define T_COUNT(t)	IRQC_ATOMIC(&(t)->count)
#define T_LOAD(p)	atomic_load_explicit(IRQC_ATOMIC(p), memory_order_acquire)

static void push(struct irqc_cpu *cpu, struct tasklet_struct *t)
{
	struct tasklet_struct *head = atomic_load_explicit(&cpu->tasklets, memory_order_relaxed);

	do {
		t->next = head;
		/* seq_cst (a release at least: t->next before the CPU's
		 * acquire exchange): the store half of the Dekker pair with a
		 * sleeping CPU's recheck, before the kick's load */
	} while (!atomic_compare_exchange_weak_explicit(&cpu->tasklets, &head, t,
							memory_order_seq_cst,
							memory_order_relaxed));
}

static void queue(struct tasklet_struct *t)
{
	struct irqc_cpu *self = irqc__this_cpu();
	struct irqc_cpu *cpu = self ? self : &irqc.cpus[0];

	push(cpu, t);
	/* our own CPU runs it at the end of the current pass; another one
	 * needs a kick (futex only if it sleeps; the seq_cst push and the
	 * kick's seq_cst load pair with the CPU's sleep announcement) */
	if (cpu != self || !irqc_ctx.section_nest)
		irqc__cpu_kick(cpu);
}

void tasklet_init(struct tasklet_struct *t, void (*func)(unsigned long), unsigned long data)
{
	if (!t)
		return;
	*t = (struct tasklet_struct){ .func = func, .data = data };
}

void tasklet_setup(struct tasklet_struct *t, void (*callback)(struct tasklet_struct *))
{
	if (!t)
		return;
	*t = (struct tasklet_struct){ .callback = callback, .use_callback = true };
}

static void schedule_one(struct tasklet_struct *t)
{
	IRQC_API_GUARD_VOID();
	/* acq_rel: only the scheduler that sets SCHED queues it */
	if (atomic_fetch_or_explicit(T_STATE(t), TASKLET_SCHED, memory_order_acq_rel) & TASKLET_SCHED)
		return;
	queue(t);
}

void tasklet_schedule(struct tasklet_struct *t)
{
	if (!t)
		return;
	if (!irqc__up()) {
		irqc__log_down("tasklet_schedule() while irqcore is not running");
		return;
	}
	schedule_one(t);
}

/* Run the CPU's scheduled tasklets. Called by the CPU after a drain pass,
 * outside the read-side section. */
unsigned int irqc__run_tasklets(struct irqc_cpu *cpu)
{
	/* acquire: paired with the release CAS in push */
	struct tasklet_struct *list = atomic_exchange_explicit(&cpu->tasklets, NULL,
							       memory_order_acquire);
	struct tasklet_struct *rev = NULL;
	unsigned int n = 0;

	while (list) {		/* the stack is newest first: reverse it */
		struct tasklet_struct *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
	}
	irqc_ctx.softirq++;
	while (rev) {
		struct tasklet_struct *t = rev;

		rev = t->next;
		if (atomic_fetch_or_explicit(T_STATE(t), TASKLET_RUN, memory_order_acquire) & TASKLET_RUN) {
			/* running on another CPU: again in our next pass,
			 * which the kick makes sure comes */
			push(cpu, t);	/* this CPU: its next pass runs it */
			continue;
		}
		if (T_LOAD(&t->count) > 0) {
			/* disabled: park it until tasklet_enable */
			atomic_fetch_or_explicit(T_STATE(t), TASKLET_PARKED, memory_order_acq_rel);
			atomic_fetch_and_explicit(T_STATE(t), ~(TASKLET_SCHED | TASKLET_RUN), memory_order_release);
			continue;
		}
		/* acq_rel: a schedule from now on queues it again */
		atomic_fetch_and_explicit(T_STATE(t), ~TASKLET_SCHED, memory_order_acq_rel);
		if (t->use_callback)
			t->callback(t);
		else
			t->func(t->data);
		/* release: the run's effects before tasklet_kill sees !RUN */
		atomic_fetch_and_explicit(T_STATE(t), ~TASKLET_RUN, memory_order_release);
		n++;
	}
	irqc_ctx.softirq--;
	return n;
}

/* Shutdown: tasklets still queued on a stopped CPU never run; forget them,
 * so that a later instance can schedule them again. */
void irqc__tasklets_drop(struct irqc_cpu *cpu)
{
	/* acquire: paired with the CAS in push */
	struct tasklet_struct *t = atomic_exchange_explicit(&cpu->tasklets, NULL,
							    memory_order_acquire);

	while (t) {
		struct tasklet_struct *next = t->next;

		atomic_fetch_and_explicit(T_STATE(t), ~(TASKLET_SCHED | TASKLET_RUN), memory_order_release);
		t = next;
	}
}

static void wait_clear(struct tasklet_struct *t, unsigned long bits)
{
	unsigned int us = 1;

	while (T_LOAD(&t->state) & bits)
		irqc__backoff_sleep(&us);
}

void tasklet_disable(struct tasklet_struct *t)
{
	if (!t)
		return;
	atomic_fetch_add_explicit(T_COUNT(t), 1, memory_order_acq_rel);
	if (in_serving_softirq())
		return;		/* a tasklet cannot be running elsewhere and here */
	if (in_hardirq() || irqc_ctx.nr_running) {
		/* G5: a tasklet may be waiting for this very handler */
		irqc_warn("tasklet_disable() from IRQ context would wait: not waiting");
		return;
	}
	wait_clear(t, TASKLET_RUN);
}

void tasklet_enable(struct tasklet_struct *t)
{
	int count;

	if (!t)
		return;
	count = atomic_fetch_sub_explicit(T_COUNT(t), 1, memory_order_acq_rel) - 1;
	if (count < 0) {
		atomic_fetch_add_explicit(T_COUNT(t), 1, memory_order_acq_rel);
		irqc_warn("Unbalanced tasklet_enable()");
		return;
	}
	if (count != 0)
		return;
	/* scheduled while disabled: schedule it now */
	if ((atomic_fetch_and_explicit(T_STATE(t), ~TASKLET_PARKED, memory_order_acq_rel) &
	     TASKLET_PARKED) && irqc__up())
		tasklet_schedule(t);
}

void tasklet_kill(struct tasklet_struct *t)
{
	if (!t)
		return;
	if (in_interrupt()) {
		irqc_warn("tasklet_kill() from IRQ context would wait for itself");
		return;
	}
	wait_clear(t, TASKLET_SCHED | TASKLET_RUN);
	atomic_fetch_and_explicit(T_STATE(t), ~TASKLET_PARKED, memory_order_acq_rel);
}
