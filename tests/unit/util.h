/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared helpers for the unit tests (tests/unit/t_*.c): one irqcore instance
 * per test process, started either in external-CPU mode (deterministic:
 * the test thread is CPU 0 and drives dispatch with irqcore_poll()) or in
 * dispatcher mode (one thread per CPU; use irqcore_quiesce()).
 */
#ifndef IRQCORE_TEST_UNIT_UTIL_H
#define IRQCORE_TEST_UNIT_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "irqcore.h"
#include "../harness.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UT_UNUSED __attribute__((unused))
#define UT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- devices ---------------------------------------------------------- */

/* A device behind an action: counts its handler's calls and returns ret. */
struct ut_dev {
	int id;			/* recorded into ut_order[] */
	atomic_int ret;		/* what the handler returns */
	atomic_int calls;
	atomic_int last_irq;
	atomic_int last_cpu;	/* smp_processor_id() in the handler */
	atomic_bool last_hardirq;
};

/* Handler call order across all ut_dev handlers of a test. */
#define UT_ORDER_MAX 1024
static UT_UNUSED int ut_order[UT_ORDER_MAX];
static UT_UNUSED atomic_int ut_norder;

static inline void ut_dev_init(struct ut_dev *d, int id, int ret)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
	atomic_store(&d->ret, ret);
	atomic_store(&d->last_irq, -1);
	atomic_store(&d->last_cpu, -2);
}

static inline void ut_order_reset(void)
{
	atomic_store(&ut_norder, 0);
}

static inline irqreturn_t ut_handler(int irq, void *dev_id)
{
	struct ut_dev *d = dev_id;
	int n = atomic_fetch_add(&ut_norder, 1);

	if (n < UT_ORDER_MAX)
		ut_order[n] = d->id;
	atomic_store(&d->last_irq, irq);
	atomic_store(&d->last_cpu, smp_processor_id());
	atomic_store(&d->last_hardirq, in_hardirq());
	atomic_fetch_add(&d->calls, 1);
	return (irqreturn_t)atomic_load(&d->ret);
}

static inline int ut_calls(struct ut_dev *d)
{
	return atomic_load(&d->calls);
}

/* ---- lifecycle -------------------------------------------------------- */

static inline void ut_config(struct irqcore_config *c, unsigned int nr_cpus,
			     unsigned int flags)
{
	irqcore_config_init(c);
	c->nr_cpus = nr_cpus;
	c->flags = flags | IRQCORE_F_NO_EXPORT;
	c->log = th_log;
	c->log_arg = NULL;
}

/* External-CPU mode, the calling thread attached as CPU 0, log emptied. */
static inline void ut_start_cfg_ext(struct irqcore_config *c)
{
	c->flags |= IRQCORE_F_EXTERNAL_CPUS;
	ASSERT_EQ(irqcore_init(c), 0);
	ASSERT_EQ(irqcore_cpu_attach(0), 0);
	th_log_reset();
}

static inline void ut_start_ext(unsigned int nr_cpus, unsigned int flags)
{
	struct irqcore_config c;

	ut_config(&c, nr_cpus, flags);
	ut_start_cfg_ext(&c);
}

/* Dispatcher mode: nr_cpus dispatcher threads, log emptied. */
static inline void ut_start_disp(unsigned int nr_cpus, unsigned int flags)
{
	struct irqcore_config c;

	ut_config(&c, nr_cpus, flags & ~IRQCORE_F_EXTERNAL_CPUS);
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
}

/* Poll the calling (attached) CPU until it has nothing left. */
static inline int ut_drain(void)
{
	int total = 0;

	for (int i = 0; i < 10000; i++) {
		int n = irqcore_poll();

		ASSERT_GE(n, 0);
		if (n == 0)
			break;
		total += n;
	}
	return total;
}

/* Raise and handle on the calling attached CPU. */
static inline void ut_fire(unsigned int irq)
{
	ASSERT_EQ(irq_raise(irq), 0);
	ut_drain();
}

static inline void ut_quiesce(void)
{
	ASSERT_EQ(irqcore_quiesce(10000), 0);
}

static inline struct irq_status ut_status(unsigned int irq)
{
	struct irq_status st;

	memset(&st, 0x5a, sizeof(st));
	ASSERT_EQ(irq_get_status(irq, &st), 0);
	return st;
}

/* ---- text output ------------------------------------------------------ */

/* Run a show function into a malloc'ed string (caller frees). */
static __attribute__((noinline, unused)) char *ut_capture_interrupts(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_TRUE(f != NULL);
	ASSERT_GE(irq_show_interrupts(f), 0);
	fclose(f);
	return buf;
}

static __attribute__((noinline, unused)) char *ut_capture_stat_intr(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_TRUE(f != NULL);
	ASSERT_GE(irq_show_stat_intr(f), 0);
	fclose(f);
	return buf;
}

static __attribute__((noinline, unused)) char *ut_capture_spurious(unsigned int irq)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_TRUE(f != NULL);
	ASSERT_GE(irq_show_spurious(irq, f), 0);
	fclose(f);
	return buf;
}

/* The ERR total of irq_show_interrupts(). */
static inline long ut_err_count(void)
{
	char *txt = ut_capture_interrupts();
	char *p = strstr(txt, "ERR:");
	long v = -1;

	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(sscanf(p + 4, "%ld", &v), 1);
	free(txt);
	return v;
}

/* The line of irq_show_interrupts() for `irq` (malloc'ed), NULL if absent. */
static inline char *ut_interrupts_line(unsigned int irq)
{
	char *txt = ut_capture_interrupts();
	char *res = NULL;

	for (char *line = txt; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		unsigned int v;
		char colon;

		if (sscanf(line, " %u%c", &v, &colon) == 2 && colon == ':' &&
		    v == irq) {
			res = strndup(line, n);
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(txt);
	return res;
}

/* ---- threads ---------------------------------------------------------- */

/* Number of threads of this process whose name starts with prefix; if
 * exact is not NULL, whether one is named exactly that is returned in
 * *found. */
static inline int ut_count_threads(const char *prefix, const char *exact,
				   bool *found)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (found)
		*found = false;
	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		if (!strncmp(comm, prefix, strlen(prefix)))
			n++;
		if (exact && found && !strcmp(comm, exact))
			*found = true;
	}
	closedir(d);
	return n;
}

static inline void ut_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline int ut_online_pus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

static inline cpu_set_t ut_mask1(int cpu)
{
	cpu_set_t m;

	CPU_ZERO(&m);
	CPU_SET(cpu, &m);
	return m;
}

#endif
