/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * real_proc — a real irqcore process for tests/irqtop/live.sh: public API
 * only. It initialises irqcore (2 CPUs, 64 lines), requests a few lines
 * (one shared), raises each a known number of times, waits until all are
 * handled, writes the totals ("irq total" lines, then "events N", as
 * kstat_irqs_usr() reports them) and then its PID to --ready FILE, and
 * sleeps until SIGTERM/SIGINT, when it shuts irqcore down (which removes
 * its segment).
 *
 *   real_proc --ready FILE --totals FILE
 */
#include <irqcore.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static irqreturn_t handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}

static irqreturn_t shared_none(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_NONE;
}

static const struct { unsigned irq; const char *name; int raises; } lines[] = {
	{ 3, "rt-timer", 40 },
	{ 5, "eth0-rx", 25 },
	{ 9, "disk", 7 },
	{ 12, "uart", 1 },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ready", required_argument, NULL, 'r' },
		{ "totals", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ready = NULL, *totals = NULL;
	struct irqcore_config cfg;
	unsigned long long sum = 0;
	static int dev[8];
	FILE *f;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			ready = optarg;
		else if (c == 'T')
			totals = optarg;
		else
			return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	irqcore_config_init(&cfg);
	cfg.nr_irqs = 64;
	cfg.nr_cpus = 2;
	cfg.no_pinning = true;
	rc = irqcore_init(&cfg);
	if (rc) {
		fprintf(stderr, "real_proc: irqcore_init: %d\n", rc);
		return 2;
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		rc = request_irq(lines[i].irq, handler, IRQF_SHARED,
				 lines[i].name, &dev[i]);
		if (rc) {
			fprintf(stderr, "real_proc: request_irq(%u): %d\n",
				lines[i].irq, rc);
			return 2;
		}
	}
	/* a second action on line 5: "eth0-rx, eth0-tx" */
	rc = request_irq(5, shared_none, IRQF_SHARED, "eth0-tx", &dev[7]);
	if (rc) {
		fprintf(stderr, "real_proc: request_irq(5, shared): %d\n", rc);
		return 2;
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		for (int k = 0; k < lines[i].raises; k++) {
			irq_raise(lines[i].irq);
			/* let each raise be handled on its own (no
			 * coalescing), so that totals are known */
			irqcore_quiesce(1000);
		}
	irqcore_quiesce(5000);
	if (totals) {
		f = fopen(totals, "w");
		if (!f)
			return 2;
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			unsigned t = kstat_irqs_usr(lines[i].irq);

			fprintf(f, "%u %u\n", lines[i].irq, t);
			sum += t;
		}
		fprintf(f, "events %llu\n", sum);
		fclose(f);
	}
	if (ready) {
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s.tmp", ready);
		f = fopen(tmp, "w");
		if (!f)
			return 2;
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
		rename(tmp, ready);
	}
	while (!stop)
		pause();
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		free_irq(lines[i].irq, &dev[i]);
	free_irq(5, &dev[7]);
	irqcore_shutdown();
	return 0;
}
