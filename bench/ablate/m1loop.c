/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * m1loop — M1 for the ablation (bench/ablate/ablate.sh): generic_handle_irq
 * on a line with one handler, from an external CPU, against a direct call
 * of the same handler through a volatile pointer; the best of 30 rounds of
 * 200000 each, on the thread's CPU clock. With "count N" it runs N events
 * and nothing else, for callgrind (instructions per event: the difference
 * of two counts).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "irqcore.h"

static unsigned long calls;

static irqreturn_t handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	calls++;
	return IRQ_HANDLED;
}

static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	struct irqcore_config cfg;
	irq_handler_t volatile fn = handler;
	double best = 1e9, best_direct = 1e9;
	long count = argc == 3 && !strcmp(argv[1], "count") ? atol(argv[2]) : -1;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.flags = IRQCORE_F_EXTERNAL_CPUS | IRQCORE_F_NO_EXPORT;
	if (irqcore_init(&cfg) || irqcore_cpu_attach(0) ||
	    request_irq(5, handler, 0, "m1loop", NULL)) {
		fprintf(stderr, "m1loop: set-up failed\n");
		return 1;
	}
	if (count >= 0) {
		for (long i = 0; i < count; i++)
			generic_handle_irq(5);
	} else {
		for (int r = 0; r < 30; r++) {
			double t0 = cpu_ns(), t1, t2;

			for (int i = 0; i < 200000; i++)
				generic_handle_irq(5);
			t1 = cpu_ns();
			for (int i = 0; i < 200000; i++)
				fn(5, NULL);
			t2 = cpu_ns();
			if ((t1 - t0) / 2e5 < best)
				best = (t1 - t0) / 2e5;
			if ((t2 - t1) / 2e5 < best_direct)
				best_direct = (t2 - t1) / 2e5;
		}
		printf("%.2f %.2f\n", best, best_direct);
	}
	free_irq(5, NULL);
	irqcore_cpu_detach();
	irqcore_shutdown();
	return calls == (unsigned long)(count >= 0 ? count : 30 * 200000L * 2) ? 0 : 1;
}
