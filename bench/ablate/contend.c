/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * contend — the contended side of M1, for the ablation (bench/ablate/
 * ablate.sh): two external CPUs call generic_handle_irq on the same line at
 * once, N events each, so that one often finds the line owned by the other
 * and latches its event (D7), or, if the other holds the line's bias, sends
 * it to the other's pending bitmap, which each drains at the end. Prints the
 * wall-clock nanoseconds per event of
 * the slower thread's run and how many events ran the handler (the rest
 * were folded into a replay, coalesced). Exits 1 if the accounting does not
 * hold: raised == count + coalesced, and count <= the handler's runs <=
 * raised (a replay runs the handler for a coalesced event).
 * A figure for comparing hand-off designs, not a gate: on 2 vCPUs it
 * depends on how often the host lets both threads run at once.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "irqcore.h"

#define LINE 5

static atomic_ulong runs;
static atomic_int ready;
static long per_thread;
static double thread_ns[2];

static irqreturn_t handler(int irq, void *dev)
{
	volatile unsigned int spin = 0;

	(void)irq;
	(void)dev;
	while (spin < 32)	/* a short handler, so that the line is owned a while */
		spin++;
	atomic_fetch_add_explicit(&runs, 1, memory_order_relaxed);
	return IRQ_HANDLED;
}

static double mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void *caller(void *arg)
{
	long id = (long)arg;
	bool attached = irqcore_cpu_attach((unsigned int)id) == 0;
	double t0;

	/* both attached (or failed) before either starts */
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < 2)
		;
	if (!attached) {
		atomic_fetch_add(&ready, 1);	/* the other's drain barrier */
		return (void *)1;
	}
	t0 = mono_ns();
	for (long i = 0; i < per_thread; i++)
		generic_handle_irq(LINE);
	thread_ns[id] = mono_ns() - t0;
	/* an event that found the line running on the other CPU's bias went
	 * to that CPU's pending bitmap (D7): both done, each drains its own */
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < 4)
		;
	while (irqcore_poll() > 0)
		;
	irqcore_cpu_detach();
	return NULL;
}

int main(int argc, char **argv)
{
	struct irqcore_config cfg;
	struct irq_status st;
	pthread_t t[2];
	void *ret[2];
	double slow;

	per_thread = argc > 1 ? atol(argv[1]) : 1000000;
	irqcore_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.flags = IRQCORE_F_EXTERNAL_CPUS | IRQCORE_F_NO_EXPORT;
	if (per_thread <= 0 || irqcore_init(&cfg) ||
	    request_irq(LINE, handler, 0, "contend", NULL)) {
		fprintf(stderr, "contend: set-up failed\n");
		return 1;
	}
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, caller, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &ret[i]);
	if (ret[0] || ret[1] || irq_get_status(LINE, &st)) {
		fprintf(stderr, "contend: attach or status failed\n");
		return 1;
	}
	slow = thread_ns[0] > thread_ns[1] ? thread_ns[0] : thread_ns[1];
	printf("%.1f %.3f\n", slow / (double)per_thread,
	       (double)atomic_load(&runs) / (2.0 * (double)per_thread));
	free_irq(LINE, NULL);
	irqcore_shutdown();
	if (st.raised != (unsigned long long)(2 * per_thread) ||
	    st.raised != st.count + st.coalesced || st.count > atomic_load(&runs) ||
	    atomic_load(&runs) > st.raised) {
		fprintf(stderr, "contend: raised %llu count %llu coalesced %llu runs %lu\n",
			st.raised, st.count, st.coalesced, atomic_load(&runs));
		return 1;
	}
	return 0;
}
