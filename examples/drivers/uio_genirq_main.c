/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The UIO-style driver on simulated hardware: a "device" thread raises
 * bursts of edges; "user space" (main) waits for events, handles them,
 * and re-enables the line. Edges that arrive while the line is disabled
 * are delivered as one more event when it is enabled, never lost.
 *
 *   uio_genirq [-n EVENTS]      (default 20)
 *
 * Build (installed irqcore):
 *   cc uio_genirq_main.c uio_genirq.c sim_hw.c $(pkg-config --cflags --libs irqcore)
 * Exit status 0 when every burst was seen, 1 otherwise.
 */
#include "sim_hw.h"
#include "uio_genirq.h"

#include <stdio.h>
#include <time.h>

static struct sim_mmio_dev hw;
static atomic_bool stop;

static void *device_thread(void *arg)
{
	struct timespec ts = { 0, 300000 };

	(void)arg;
	while (!atomic_load(&stop)) {
		for (int i = 0; i < 3; i++)	/* a burst of edges */
			sim_mmio_fire(&hw);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct platform_device pdev = { 0 };
	struct irqcore_config cfg;
	struct uio_info *info;
	unsigned int target = 20;
	pthread_t t;
	u32 count = 0;
	int line, ret;

	if (argc == 3 && argv[1][0] == '-' && argv[1][1] == 'n')
		target = (unsigned int)atoi(argv[2]);
	irqcore_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.flags = IRQCORE_F_NO_EXPORT;
	cfg.thread_priority = -1;
	if ((ret = irqcore_init(&cfg)) != 0) {
		fprintf(stderr, "irqcore_init: %d\n", ret);
		return 1;
	}
	/* the "board": a line for the device, its number chosen at run time */
	line = irq_alloc_desc(-1);
	sim_mmio_init(&hw, (unsigned int)line);
	device_initialize(&pdev.dev, "uio-demo");
	pdev.irq = line;
	pdev.hw = &hw;
	if ((ret = uio_pdrv_genirq_probe(&pdev)) != 0) {
		fprintf(stderr, "probe: %d\n", ret);
		return 1;
	}
	info = uio_pdrv_genirq_info(&pdev);
	pthread_create(&t, NULL, device_thread, NULL);
	while (count < target) {
		if (uio_read(info, &count, 5000)) {
			fprintf(stderr, "no event for 5 s\n");
			break;
		}
		/* ... user space handles the device here ... */
		uio_write(info, 1);		/* line on again */
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	irqcore_quiesce(5000);
	printf("edges raised %u, events seen by user space %u\n", atomic_load(&hw.fired),
	       count);
	irq_show_interrupts(stdout);
	device_release(&pdev.dev);
	irq_free_desc((unsigned int)line);
	irqcore_shutdown();
	return count >= target ? 0 : 1;
}
