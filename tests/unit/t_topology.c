/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Placement of dispatchers on the topology (issue 12, parts 1 and 2):
 * cfg.cpu_list, the default order (one PU per core first, siblings last),
 * SCHED_FIFO dispatchers, IRQCORE_F_MLOCK, memory on a dispatcher's NUMA
 * node. Where a dispatcher runs is checked from inside its handlers
 * (sched_getcpu, sched_getscheduler); the placement order on a machine
 * with hyper-threads and several NUMA nodes is checked on a synthetic
 * topology (hwloc's HWLOC_SYNTHETIC: binding is then a no-op), through the
 * statistics segment's per-CPU OS processing unit, as irqtop reads it.
 */
#include "util.h"
#include "../../src/stats/export_abi.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* ---- what a handler saw of the thread it ran in ---- */

struct where {
	atomic_int calls;
	atomic_int os_cpu;
	atomic_int policy;
	atomic_int prio;
};

static irqreturn_t where_handler(int irq, void *dev_id)
{
	struct where *w = dev_id;
	struct sched_param sp = { 0 };
	int policy = -1;

	(void)irq;
	pthread_getschedparam(pthread_self(), &policy, &sp);
	atomic_store(&w->os_cpu, sched_getcpu());
	atomic_store(&w->policy, policy);
	atomic_store(&w->prio, sp.sched_priority);
	atomic_fetch_add(&w->calls, 1);
	return IRQ_HANDLED;
}

/* Run line irq's handler once on dispatcher cpu; *w says where it ran. */
static void run_on(unsigned int irq, unsigned int cpu, struct where *w)
{
	cpu_set_t m = ut_mask1(cpu);

	memset(w, 0, sizeof(*w));
	ASSERT_EQ(request_irq(irq, where_handler, 0, "where", w), 0);
	ASSERT_EQ(irq_set_affinity(irq, &m), 0);
	ASSERT_EQ(irq_raise(irq), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(atomic_load(&w->calls), 1);
	ASSERT_TRUE(free_irq(irq, w) != NULL);
}

/* The OS CPUs this process may run on, in order; returns how many. */
static int allowed_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int n = 0;

	ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

static int init_list(const char *list, unsigned int nr_cpus)
{
	struct irqcore_config c;

	ut_config(&c, nr_cpus, 0);
	c.cpu_list = list;
	th_log_reset();
	return irqcore_init(&c);
}

/* ---- cpu_list ---- */

TEST(cpu_list_bad_lists_refused)
{
	static const char *const bad[] = { "", "abc", "2-", "1,,x", "99999" };
	int map[1] = { 0 };
	struct irqcore_config c;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(init_list(bad[i], 0), -EINVAL);
		ASSERT_EQ(th_log_count("cpu_list"), 1);
		ASSERT_EQ(irq_raise(1), -ENODEV);	/* nothing started */
	}
	ASSERT_EQ(init_list("99999", 0), -EINVAL);
	ASSERT_EQ(th_log_count("may run on"), 1);
	/* cpu_list and cpu_map: one or the other */
	ut_config(&c, 1, 0);
	c.cpu_list = "0";
	c.cpu_map = map;
	th_log_reset();
	ASSERT_EQ(irqcore_init(&c), -EINVAL);
	ASSERT_EQ(th_log_count("cpu_map"), 1);
}

TEST(cpu_list_places_each_dispatcher)
{
	int cpus[64], n = allowed_cpus(cpus, 64);
	struct where w;
	char list[16];

	for (int i = 0; i < n && i < 4; i++) {
		snprintf(list, sizeof(list), "%d", cpus[i]);
		ASSERT_EQ(init_list(list, 0), 0);	/* nr_cpus: one per CPU listed */
		run_on(3, 0, &w);
		ASSERT_EQ(atomic_load(&w.os_cpu), cpus[i]);
		irqcore_shutdown();
	}
}

TEST(cpu_list_in_order_and_round_robin)
{
	int cpus[64], n = allowed_cpus(cpus, 64);
	struct where w;
	char list[32];

	if (n < 2) {
		printf("  one CPU: nothing to order here\n");
		return;
	}
	snprintf(list, sizeof(list), "%d,%d", cpus[0], cpus[1]);
	/* four dispatchers over two CPUs: 0 -> first, 1 -> second, 2 -> first */
	ASSERT_EQ(init_list(list, 4), 0);
	run_on(3, 0, &w);
	ASSERT_EQ(atomic_load(&w.os_cpu), cpus[0]);
	run_on(3, 1, &w);
	ASSERT_EQ(atomic_load(&w.os_cpu), cpus[1]);
	run_on(3, 2, &w);
	ASSERT_EQ(atomic_load(&w.os_cpu), cpus[0]);
	irqcore_shutdown();
}

/* ---- the default order, on the machine ---- */

/* core_id/package of an OS CPU from sysfs; -1 unknown */
static int core_key(int cpu)
{
	char path[128];
	int core = -1, pkg = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &core) != 1)
			core = -1;
		fclose(f);
	}
	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &pkg) != 1)
			pkg = -1;
		fclose(f);
	}
	return core < 0 ? -1 : pkg * 65536 + core;
}

TEST(default_one_dispatcher_per_core_first)
{
	int cpus[64], n = allowed_cpus(cpus, 64), cores[64], ncores = 0;
	unsigned int nd;
	struct where w;

	/* distinct cores among the allowed CPUs */
	for (int i = 0; i < n; i++) {
		int k = core_key(cpus[i]), seen = 0;

		for (int j = 0; j < ncores; j++)
			seen |= cores[j] == k;
		if (!seen)
			cores[ncores++] = k;
	}
	nd = (unsigned int)(ncores < 8 ? ncores : 8);
	ASSERT_EQ(init_list(NULL, nd), 0);
	for (unsigned int d = 0; d < nd; d++) {
		int k;

		run_on(3, d, &w);
		k = core_key(atomic_load(&w.os_cpu));
		/* the first dispatchers are on cores no earlier one uses */
		for (unsigned int e = 0; e < d; e++)
			ASSERT_NE(cores[e], k);
		cores[d] = k;
	}
	irqcore_shutdown();
}

/* ---- the default order and NUMA memory, on a synthetic topology ---- */

static void seg_cpus(int *os_cpu, unsigned int n)
{
	char path[64];
	struct stat st;
	const struct irqc_exp_header *h;
	char *base;
	int fd;

	snprintf(path, sizeof(path), IRQC_EXP_PATH_FMT, (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(base != MAP_FAILED);
	close(fd);
	h = (const struct irqc_exp_header *)(const void *)base;
	ASSERT_EQ(h->nr_cpus, n);
	for (unsigned int c = 0; c < n; c++)
		os_cpu[c] = ((const struct irqc_exp_cpu *)(const void *)(base + h->cpu_off))[c]
				    .os_cpu;
	munmap(base, (size_t)st.st_size);
}

/* 2 packages x 2 NUMA nodes x 4 cores x 2 PUs: 16 cores, 32 PUs, OS PU
 * numbers in order (core k has PUs 2k and 2k+1). */
#define SYNTH	"pack:2 numa:2 core:4 pu:2"

static void init_synth(unsigned int nr_cpus, const char *list)
{
	struct irqcore_config c;

	ASSERT_EQ(setenv("HWLOC_SYNTHETIC", SYNTH, 1), 0);
	irqcore_config_init(&c);
	c.nr_cpus = nr_cpus;
	c.idle = IRQCORE_IDLE_SLEEP;		/* up to 32 threads on this machine */
	c.cpu_list = list;			/* the segment on: it shows placement */
	c.log = th_log;
	th_log_reset();
	ASSERT_EQ(irqcore_init(&c), 0);
}

TEST(synthetic_siblings_last)
{
	int os[32];

	init_synth(0, NULL);			/* default: every PU */
	seg_cpus(os, 32);
	for (int d = 0; d < 16; d++)		/* one per core, in core order */
		ASSERT_EQ(os[d], 2 * d);
	for (int d = 16; d < 32; d++)		/* then the siblings */
		ASSERT_EQ(os[d], 2 * (d - 16) + 1);
	/* the per-CPU blocks were allocated for their nodes: events flow */
	{
		struct ut_dev d;

		ut_dev_init(&d, 0, IRQ_HANDLED);
		ASSERT_EQ(request_irq(7, ut_handler, 0, "numa", &d), 0);
		for (unsigned int c = 0; c < 32; c++) {
			cpu_set_t m = ut_mask1(c);

			ASSERT_EQ(irq_set_affinity(7, &m), 0);
			ASSERT_EQ(irq_raise(7), 0);
			ASSERT_EQ(irqcore_quiesce(10000), 0);	/* drains every CPU */
		}
		ASSERT_EQ(ut_calls(&d), 32);
		ASSERT_TRUE(free_irq(7, &d) != NULL);
	}
	irqcore_shutdown();
}

TEST(synthetic_cpu_list_and_wrap)
{
	int os[6];

	init_synth(6, "8-11");			/* 6 dispatchers over 4 PUs */
	seg_cpus(os, 6);
	ASSERT_EQ(os[0], 8);
	ASSERT_EQ(os[3], 11);
	ASSERT_EQ(os[4], 8);
	ASSERT_EQ(os[5], 9);
	irqcore_shutdown();
}

/* ---- real-time set-up ---- */

TEST(dispatcher_priority_out_of_range)
{
	static const int bad[] = { -1, 100, 1000 };
	struct irqcore_config c;

	for (unsigned int i = 0; i < 3; i++) {
		ut_config(&c, 1, 0);
		c.dispatcher_priority = bad[i];
		th_log_reset();
		ASSERT_EQ(irqcore_init(&c), -EINVAL);
		ASSERT_EQ(th_log_count("dispatcher_priority"), 1);
	}
}

TEST(dispatcher_priority_fifo_or_one_warning)
{
	struct irqcore_config c;
	struct where w;

	ut_config(&c, 2, 0);
	c.dispatcher_priority = 7;
	th_log_reset();
	ASSERT_EQ(irqcore_init(&c), 0);
	run_on(3, 0, &w);
	if (atomic_load(&w.policy) == SCHED_FIFO) {
		ASSERT_EQ(atomic_load(&w.prio), 7);
		ASSERT_EQ(th_log_count("SCHED_FIFO"), 0);
	} else {
		/* refused (no CAP_SYS_NICE / RLIMIT_RTPRIO): both dispatchers
		 * fell back, with one warning for the two */
		ASSERT_EQ(atomic_load(&w.policy), SCHED_OTHER);
		run_on(3, 1, &w);
		ASSERT_EQ(atomic_load(&w.policy), SCHED_OTHER);
		ASSERT_EQ(th_log_count("dispatchers: SCHED_FIFO priority 7 not permitted"), 1);
	}
	irqcore_shutdown();
	/* 0 (the default): SCHED_OTHER, no warning */
	ut_config(&c, 1, 0);
	th_log_reset();
	ASSERT_EQ(irqcore_init(&c), 0);
	run_on(3, 0, &w);
	ASSERT_EQ(atomic_load(&w.policy), SCHED_OTHER);
	ASSERT_EQ(th_log_count("SCHED_FIFO"), 0);
	irqcore_shutdown();
}

/* VmLck of this process, kB; -1 unknown */
static __attribute__((unused)) long vm_locked_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

TEST(mlock_locks_or_warns_once)
{
	struct irqcore_config c;

	ut_config(&c, 1, IRQCORE_F_MLOCK);
	th_log_reset();
	ASSERT_EQ(irqcore_init(&c), 0);
	if (th_log_count("mlockall refused") == 0) {
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
		/* (the sanitizers turn mlockall into a no-op) */
		ASSERT_GT(vm_locked_kb(), 0);
#endif
	} else {
		ASSERT_EQ(th_log_count("mlockall refused"), 1);
	}
	irqcore_shutdown();
	munlockall();
}

/* ---- irq threads near their line's CPU (issue 12 part 1) ---- */

struct tmask {
	atomic_int calls;
	cpu_set_t mask;			/* the thread_fn's affinity */
};

static irqreturn_t wake(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return IRQ_WAKE_THREAD;
}

static irqreturn_t thread_mask_fn(int irq, void *dev_id)
{
	struct tmask *t = dev_id;

	(void)irq;
	ASSERT_EQ(sched_getaffinity(0, sizeof(t->mask), &t->mask), 0);
	atomic_fetch_add(&t->calls, 1);
	return IRQ_HANDLED;
}

/* The thread of a line on dispatcher 0 runs on dispatcher 0's PU when
 * dispatchers sleep (D6); never on it when they spin, if the process may
 * use another PU. Where the dispatcher runs comes from a hard handler. */
static void run_thread_near(int idle)
{
	struct irqcore_config c;
	struct tmask t;
	struct where w;
	int cpus[CPU_SETSIZE], n = allowed_cpus(cpus, CPU_SETSIZE);
	cpu_set_t m0 = ut_mask1(0);

	ut_config(&c, 1, 0);
	c.idle = idle;
	c.thread_priority = -1;		/* SCHED_OTHER: no RT privilege needed */
	ASSERT_EQ(irqcore_init(&c), 0);
	run_on(7, 0, &w);		/* where dispatcher 0 runs */
	memset(&t, 0, sizeof(t));
	ASSERT_EQ(request_threaded_irq(8, wake, thread_mask_fn, IRQF_ONESHOT, "near", &t), 0);
	ASSERT_EQ(irq_set_affinity(8, &m0), 0);
	ASSERT_EQ(irq_raise(8), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(atomic_load(&t.calls), 1);
	ASSERT_GE(CPU_COUNT(&t.mask), 1);
	if (th_log_count("cannot bind")) {	/* no thread binding here */
		ASSERT_TRUE(free_irq(8, &t) != NULL);
		irqcore_shutdown();
		return;
	}
	if (idle == IRQCORE_IDLE_SPIN && n > 1)
		ASSERT_FALSE(CPU_ISSET(atomic_load(&w.os_cpu), &t.mask));
	else
		ASSERT_TRUE(CPU_ISSET(atomic_load(&w.os_cpu), &t.mask) &&
			    CPU_COUNT(&t.mask) == 1);
	/* only PUs the process may use */
	for (int k = 0; k < CPU_SETSIZE; k++)
		if (CPU_ISSET(k, &t.mask)) {
			bool ok = false;

			for (int i = 0; i < n; i++)
				ok |= cpus[i] == k;
			ASSERT_TRUE(ok);
		}
	ASSERT_TRUE(free_irq(8, &t) != NULL);
	irqcore_shutdown();
}

TEST(irq_thread_near_sleeping_dispatcher)
{
	run_thread_near(IRQCORE_IDLE_SLEEP);
}

TEST(irq_thread_off_spinning_dispatcher)
{
	run_thread_near(IRQCORE_IDLE_SPIN);
}
