/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqcore demo: a few simulated devices raising interrupts from several
 * threads, handled by irqcore's dispatcher "CPUs".
 *
 *   net        an edge line of its own
 *   usb, snd   two devices SHARING one edge line: each handler reads its own
 *              device's status register and returns IRQ_NONE when the
 *              interrupt was not for it, as a Linux driver on a shared line
 *   gpio       a level-triggered line: the device asserts it and the handler
 *              deasserts it after clearing the device's status
 *
 * Three raiser threads play the hardware for -t SECONDS (default 3); then the
 * demo waits for every interrupt to be handled, prints the /proc/interrupts
 * style table and per-line status, frees the lines and shuts irqcore down.
 *
 * Uses only the public API (irqcore.h). Build:
 *   cc demo.c $(pkg-config --cflags --libs irqcore)
 * Exit status 0 on success, 1 if an irqcore call fails.
 */
#include <irqcore.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NR_RAISERS	3

/* Line numbers. Every line 0..nr_irqs-1 exists from irqcore_init(); a
 * program that does not care which line it gets can use irq_alloc_desc(). */
enum { NET_IRQ = 10, SHARED_IRQ = 11, GPIO_IRQ = 12 };

/*
 * A simulated device. `status` plays the device's interrupt status register:
 * the "hardware" (a raiser thread) sets it before signalling the interrupt,
 * the handler reads and clears it. dev_id passed to request_irq() is a
 * pointer to this struct: on a shared line it is what tells the actions
 * apart, and free_irq() finds the action by it.
 */
struct demo_dev {
	const char *name;
	unsigned int irq;
	atomic_uint status;		/* events the device has pending */
	atomic_ullong fired;		/* events the "hardware" signalled */
	atomic_ullong handled;		/* handler invocations that found work */
	atomic_ullong not_mine;		/* handler invocations returning IRQ_NONE */
	pthread_spinlock_t lock;	/* gpio: status and line level change together */
};

static struct demo_dev net  = { .name = "net",  .irq = NET_IRQ };
static struct demo_dev usb  = { .name = "usb",  .irq = SHARED_IRQ };
static struct demo_dev snd  = { .name = "snd",  .irq = SHARED_IRQ };
static struct demo_dev gpio = { .name = "gpio", .irq = GPIO_IRQ };
static struct demo_dev *const devices[] = { &net, &usb, &snd, &gpio };
#define NR_DEVICES (sizeof(devices) / sizeof(devices[0]))

static atomic_bool stop;

/* ------------------------------------------------------------------------
 * Handlers. They run on a dispatcher CPU in hard IRQ context: they must not
 * sleep and may not call request_irq()/free_irq()/disable_irq().
 */

/* Edge line, shared or not: take the device's pending events. Returning
 * IRQ_NONE when there is nothing is what lets irqcore walk a shared line
 * (and detect a device that interrupts without a handler that cares). */
static irqreturn_t edge_handler(int irq, void *dev_id)
{
	struct demo_dev *dev = dev_id;

	(void)irq;
	/* Pairs with the raiser's atomic_fetch_add before irq_raise(). */
	if (atomic_exchange(&dev->status, 0) == 0) {
		atomic_fetch_add_explicit(&dev->not_mine, 1, memory_order_relaxed);
		return IRQ_NONE;
	}
	atomic_fetch_add_explicit(&dev->handled, 1, memory_order_relaxed);
	return IRQ_HANDLED;
}

/* Level line: acknowledge the device, which drops the line. Status and line
 * level change under the device's spinlock, so the line is asserted exactly
 * while the device has something pending (a hard handler may take a
 * spinlock, never a sleeping lock). */
static irqreturn_t level_handler(int irq, void *dev_id)
{
	struct demo_dev *dev = dev_id;
	unsigned int pending;

	pthread_spin_lock(&dev->lock);
	pending = atomic_exchange(&dev->status, 0);
	irq_set_line((unsigned int)irq, 0);	/* deassert */
	pthread_spin_unlock(&dev->lock);
	if (!pending) {
		atomic_fetch_add_explicit(&dev->not_mine, 1, memory_order_relaxed);
		return IRQ_NONE;
	}
	atomic_fetch_add_explicit(&dev->handled, 1, memory_order_relaxed);
	return IRQ_HANDLED;
}

/* ------------------------------------------------------------------------
 * The "hardware": raiser threads. irq_raise() and irq_set_line() may be
 * called from any thread; they never sleep, lock or allocate.
 */
static int fire(struct demo_dev *dev)
{
	int ret;

	atomic_fetch_add_explicit(&dev->fired, 1, memory_order_relaxed);
	if (dev == &gpio) {
		pthread_spin_lock(&dev->lock);
		atomic_fetch_add(&dev->status, 1);
		ret = irq_set_line(dev->irq, 1);	/* assert */
		pthread_spin_unlock(&dev->lock);
		return ret;
	}
	/* Set the status register first, then signal: the handler that the
	 * edge triggers must find the status set. */
	atomic_fetch_add(&dev->status, 1);
	return irq_raise(dev->irq);
}

static void *raiser(void *arg)
{
	unsigned int seed = (unsigned int)(unsigned long)arg;
	unsigned long n = 0;
	const struct timespec pause = { 0, 20 * 1000 };	/* 20 us */

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct demo_dev *dev = devices[rand_r(&seed) % NR_DEVICES];
		int ret = fire(dev);

		if (ret) {
			fprintf(stderr, "demo: raising irq %u (%s): %s\n",
				dev->irq, dev->name, strerror(-ret));
			return (void *)1;
		}
		/* Bursts of 32 events, then a short pause, so that the demo
		 * shows both back-to-back (coalesced) and spaced events. */
		if (++n % 32 == 0)
			nanosleep(&pause, NULL);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */

static int failed(const char *what, int err)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(-err));
	return 1;
}

static int request_lines(void)
{
	int ret;

	/* An unshared edge line: dev_id may be anything (even NULL). */
	ret = request_irq(NET_IRQ, edge_handler, 0, net.name, &net);
	if (ret)
		return failed("request_irq(net)", ret);

	/* A shared line: every action passes IRQF_SHARED and a unique,
	 * non-NULL dev_id. Handlers run in registration order. */
	ret = request_irq(SHARED_IRQ, edge_handler, IRQF_SHARED, usb.name, &usb);
	if (ret)
		return failed("request_irq(usb)", ret);
	ret = request_irq(SHARED_IRQ, edge_handler, IRQF_SHARED, snd.name, &snd);
	if (ret)
		return failed("request_irq(snd)", ret);

	/* A level-triggered line: the trigger flag switches the line to the
	 * level flow (masked while its handler runs, fires again while it
	 * stays asserted). */
	ret = request_irq(GPIO_IRQ, level_handler, IRQF_TRIGGER_HIGH, gpio.name, &gpio);
	if (ret)
		return failed("request_irq(gpio)", ret);
	return 0;
}

/* Spread the lines: "CPU n" is dispatcher n, not an OS CPU. */
static int set_affinities(unsigned int nr_cpus)
{
	const unsigned int lines[] = { NET_IRQ, SHARED_IRQ, GPIO_IRQ };

	for (unsigned int i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		cpu_set_t mask;
		int ret;

		CPU_ZERO(&mask);
		CPU_SET(i % nr_cpus, &mask);
		ret = irq_set_affinity(lines[i], &mask);
		if (ret)
			return failed("irq_set_affinity", ret);
	}
	return 0;
}

static int report(void)
{
	const unsigned int lines[] = { NET_IRQ, SHARED_IRQ, GPIO_IRQ };
	int bad = 0;

	printf("\n");
	if (irq_show_interrupts(stdout) < 0)
		return failed("irq_show_interrupts", -EIO);

	printf("\n%4s %-9s %6s %12s %12s %12s %s\n", "irq", "type", "cpu",
	       "raised", "count", "coalesced", "raised == count + coalesced");
	for (unsigned int i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct irq_status st;
		bool level = lines[i] == GPIO_IRQ;
		int ret = irq_get_status(lines[i], &st);

		if (ret)
			return failed("irq_get_status", ret);
		/* The accounting identity holds for enabled edge lines with an
		 * action once irqcore_quiesce() has returned. */
		printf("%4u %-9s %6d %12llu %12llu %12llu %s\n", lines[i],
		       level ? "level" : "edge", st.effective_cpu, st.raised,
		       st.count, st.coalesced,
		       level ? "(n/a: level line)" :
		       st.raised == st.count + st.coalesced ? "yes" : "NO");
		if (!level && st.raised != st.count + st.coalesced)
			bad = 1;
	}

	printf("\n%-6s %12s %12s %12s %8s\n", "device", "fired", "handled",
	       "IRQ_NONE", "pending");
	for (unsigned int i = 0; i < NR_DEVICES; i++) {
		struct demo_dev *dev = devices[i];

		printf("%-6s %12llu %12llu %12llu %8u\n", dev->name,
		       (unsigned long long)atomic_load(&dev->fired),
		       (unsigned long long)atomic_load(&dev->handled),
		       (unsigned long long)atomic_load(&dev->not_mine),
		       atomic_load(&dev->status));
		if (atomic_load(&dev->status))	/* quiesce left work behind */
			bad = 1;
	}
	return bad;
}

static int free_lines(void)
{
	int bad = 0;

	/* free_irq() returns the name given at request time; after it returns
	 * the handler never runs again and dev_id may be freed. */
	for (unsigned int i = 0; i < NR_DEVICES; i++) {
		if (!free_irq(devices[i]->irq, devices[i])) {
			fprintf(stderr, "demo: free_irq(%u, %s) found nothing\n",
				devices[i]->irq, devices[i]->name);
			bad = 1;
		}
	}
	return bad;
}

static void usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [-t SECONDS] [-c CPUS]\n"
		"  -t SECONDS  how long the raisers run (default 3)\n"
		"  -c CPUS     number of dispatcher CPUs (default 2)\n", prog);
}

int main(int argc, char **argv)
{
	struct irqcore_config cfg;
	pthread_t threads[NR_RAISERS];
	double seconds = 3.0;
	unsigned int nr_cpus = 2;
	struct timespec run;
	int opt, ret, status = 0;

	while ((opt = getopt(argc, argv, "t:c:h")) != -1) {
		switch (opt) {
		case 't':
			seconds = atof(optarg);
			break;
		case 'c':
			nr_cpus = (unsigned int)atoi(optarg);
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (seconds < 0 || nr_cpus < 1) {
		usage(stderr, argv[0]);
		return 2;
	}

	pthread_spin_init(&gpio.lock, PTHREAD_PROCESS_PRIVATE);

	/* 1. Start irqcore: 64 lines, nr_cpus dispatcher threads that sleep
	 *    when idle. Everything not set keeps its default. */
	irqcore_config_init(&cfg);
	cfg.nr_irqs = 64;
	cfg.nr_cpus = nr_cpus;
	cfg.idle = IRQCORE_IDLE_SLEEP;
	ret = irqcore_init(&cfg);
	if (ret)
		return failed("irqcore_init", ret);

	/* 2. Drivers request their lines and place them on CPUs. */
	if (request_lines() || set_affinities(nr_cpus)) {
		irqcore_shutdown();
		return 1;
	}

	/* 3. The hardware runs. */
	printf("demo: %u dispatcher CPUs, %d raiser threads, %.1f s\n",
	       nr_cpus, NR_RAISERS, seconds);
	for (int i = 0; i < NR_RAISERS; i++) {
		ret = pthread_create(&threads[i], NULL, raiser,
				     (void *)(unsigned long)(i + 1));
		if (ret) {
			fprintf(stderr, "demo: pthread_create: %s\n", strerror(ret));
			atomic_store(&stop, true);
			for (int j = 0; j < i; j++)
				pthread_join(threads[j], NULL);
			free_lines();
			irqcore_shutdown();
			return 1;
		}
	}
	run.tv_sec = (time_t)seconds;
	run.tv_nsec = (long)((seconds - (double)run.tv_sec) * 1e9);
	while (nanosleep(&run, &run) && errno == EINTR)
		;
	atomic_store(&stop, true);
	for (int i = 0; i < NR_RAISERS; i++) {
		void *res;

		pthread_join(threads[i], &res);
		if (res)
			status = 1;
	}

	/* 4. Wait until every interrupt raised so far has been handled. */
	ret = irqcore_quiesce(5000);
	if (ret)
		status = failed("irqcore_quiesce", ret);

	/* 5. Statistics, then tear down. */
	if (report())
		status = 1;
	if (free_lines())
		status = 1;
	irqcore_shutdown();
	pthread_spin_destroy(&gpio.lock);
	return status;
}
