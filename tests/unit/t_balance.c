/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The balancer: SEMANTICS A8 (and A2). Four dispatchers on whatever this
 * machine has (usually fewer cores), passes run with irqcore_balance_now()
 * so that nothing depends on timing.
 *
 * The imbalance is honest: lines requested in order 16, 17, 18, ... find
 * every CPU serving as many lines as the others, so each keeps the CPU it
 * starts on, irq % nr_cpus (A1, A7's tie rule); lines 16, 20, 24, 28 then
 * share CPU 0 with nobody setting their masks. The test raises only those;
 * lines it requests only to fill the other CPUs are never raised. Each round raises every hot line once and waits for
 * the dispatchers (irqcore_quiesce): distinct pending bits, no coalescing,
 * so each line's load is exactly the number of rounds (no handler time is
 * kept without the statistics segment: every event weighs 1).
 */
#include "util.h"

#include <dirent.h>
#include <fcntl.h>

#define NCPU	4
#define ROUNDS	100

static struct ut_dev devs[64];

static void start(unsigned int nr_cpus, unsigned int cooldown, unsigned int interval_ms)
{
	struct irqcore_config c;

	ut_config(&c, nr_cpus, 0);
	c.balance_cooldown = cooldown;
	c.balance_interval_ms = interval_ms;
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
}

static void req(unsigned int irq, unsigned long flags)
{
	ut_dev_init(&devs[irq % 64], (int)irq, IRQ_HANDLED);
	ASSERT_EQ(request_irq(irq, ut_handler, flags, "bal", &devs[irq % 64]), 0);
}

/* Fill: lines from..to-1 requested and never raised, so that the next line
 * requested keeps the CPU it starts on (see above). */
static struct ut_dev fillers[64];

static void fill(unsigned int from, unsigned int to)
{
	for (unsigned int irq = from; irq < to; irq++) {
		ut_dev_init(&fillers[irq % 64], (int)irq, IRQ_HANDLED);
		ASSERT_EQ(request_irq(irq, ut_handler, 0, "fill", &fillers[irq % 64]), 0);
	}
}

static int eff(unsigned int irq)
{
	cpu_set_t m;

	ASSERT_EQ(irq_get_effective_affinity(irq, &m), 0);
	ASSERT_EQ(CPU_COUNT(&m), 1);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &m))
			return c;
	return -1;
}

/* rounds x (each line of irqs once, then quiesce) */
static void load(const unsigned int *irqs, unsigned int n, unsigned int rounds)
{
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int i = 0; i < n; i++)
			ASSERT_EQ(irq_raise(irqs[i]), 0);
		ut_quiesce();
	}
}

static struct irqcore_balance_stats stats(void)
{
	struct irqcore_balance_stats st;

	memset(&st, 0x5a, sizeof(st));
	ASSERT_EQ(irqcore_balance_get_stats(&st), 0);
	return st;
}

/* Whether a thread of this process is called name. A thread just joined
 * may stay listed for a moment: gone() waits for that (bounded). */
static bool has_thread(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool found = false;

	ASSERT_TRUE(d != NULL);
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], comm[64] = "";
		int fd;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (n > 0 && comm[n - 1] == '\n')
			comm[n - 1] = '\0';
		found = n > 0 && strcmp(comm, name) == 0;
	}
	closedir(d);
	return found;
}

static bool gone(const char *name)
{
	for (int i = 0; i < 5000 && has_thread(name); i++)
		usleep(1000);
	return !has_thread(name);
}

static const unsigned int hot[] = { 16, 20, 24, 28 };

/* Lines 16..31 requested; 16, 20, 24, 28 on CPU 0 and raised ROUNDS times. */
static void hot_cpu0(void)
{
	for (unsigned int irq = 16; irq < 32; irq++)
		req(irq, 0);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(eff(hot[i]), 0);
	load(hot, 4, ROUNDS);
}

TEST_T(a7_off_by_default, 30)
{
	struct irqcore_balance_stats st;

	ut_start_disp(NCPU, 0);
	st = stats();
	ASSERT_EQ(st.interval_ms, 0);
	ASSERT_EQ(st.passes, 0);
	ASSERT_EQ(st.moves, 0);
	ASSERT_FALSE(has_thread("irqcore-balance"));
	/* a pass on demand runs all the same */
	ASSERT_EQ(irqcore_balance_now(), 0);
	ASSERT_EQ(stats().passes, 1);
	irqcore_shutdown();

	start(NCPU, 0, 60000);			/* on: a thread, joined at shutdown */
	ASSERT_EQ(stats().interval_ms, 60000);
	ASSERT_TRUE(has_thread("irqcore-balance"));
	irqcore_shutdown();
	ASSERT_TRUE(gone("irqcore-balance"));
}

TEST_T(a7_moves_load_off_hot_cpu, 60)
{
	bool on[NCPU] = { false };
	struct irqcore_balance_stats st;
	cpu_set_t all, m;

	start(NCPU, 0, 0);
	hot_cpu0();
	/* CPU 0 carries 400 of a total 400: three moves spread the four lines */
	ASSERT_EQ(irqcore_balance_now(), 3);
	for (unsigned int i = 0; i < 4; i++) {
		int c = eff(hot[i]);

		ASSERT_FALSE(on[c]);		/* one hot line per CPU */
		on[c] = true;
	}
	/* equal lines: the lowest goes first, so 28 is the one left (which
	 * CPUs the others get depends on the machine's caches) */
	ASSERT_EQ(eff(28), 0);
	/* the mask is the line's as before: still all CPUs, not set */
	CPU_ZERO(&all);
	for (int c = 0; c < NCPU; c++)
		CPU_SET(c, &all);
	ASSERT_EQ(irq_get_affinity(16, &m), 0);
	ASSERT_TRUE(CPU_EQUAL(&m, &all));
	/* what it says: the counter and one info line per move */
	st = stats();
	ASSERT_EQ(st.passes, 1);
	ASSERT_EQ(st.moves, 3);
	ASSERT_EQ(th_log_count("balance: irq "), 3);
	for (unsigned int i = 0; i < 3; i++) {
		char want[80];

		snprintf(want, sizeof(want), "balance: irq %u cpu 0 -> %d (load %d -> %d)",
			 hot[i], eff(hot[i]), 400 - 100 * (int)i, 300 - 100 * (int)i);
		ASSERT_CONTAINS(th_log_text(), want);
	}
	/* events follow the new CPUs */
	load(hot, 4, 1);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(atomic_load(&devs[hot[i]].last_cpu), eff(hot[i]));
	irqcore_shutdown();
}

TEST_T(a7_no_ping_pong, 60)
{
	int before[4];

	start(NCPU, 0, 0);
	hot_cpu0();
	ASSERT_EQ(irqcore_balance_now(), 3);
	for (unsigned int i = 0; i < 4; i++)
		before[i] = eff(hot[i]);
	/* right after: no event since, nothing to do */
	ASSERT_EQ(irqcore_balance_now(), 0);
	/* the same load again: balanced, nothing moves */
	load(hot, 4, ROUNDS);
	ASSERT_EQ(irqcore_balance_now(), 0);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(eff(hot[i]), before[i]);
	ASSERT_EQ(stats().moves, 3);
	ASSERT_EQ(stats().passes, 3);
	ASSERT_EQ(th_log_count("balance: irq "), 3);
	irqcore_shutdown();
}

/* Line 16 moved to CPU x; then 16 and 16 + x (CPU x's own) load CPU x.
 * Without the cooldown, 16 (the lower line) would go again. */
TEST_T(a7_cooldown, 60)
{
	unsigned int pair[2] = { 16, 0 };
	int x;

	start(NCPU, 2, 0);			/* a moved line sits out one pass */
	hot_cpu0();
	ASSERT_EQ(irqcore_balance_now(), 3);	/* pass 1 */
	x = eff(16);
	ASSERT_NE(x, 0);
	pair[1] = 16 + (unsigned int)x;
	ASSERT_EQ(eff(pair[1]), x);
	load(pair, 2, ROUNDS);
	ASSERT_EQ(irqcore_balance_now(), 1);	/* pass 2 */
	ASSERT_EQ(eff(16), x);			/* cooling down */
	ASSERT_NE(eff(pair[1]), x);
	/* pass 3: cooled down, and the lower line again */
	pair[1] = 20 + (unsigned int)x;
	ASSERT_EQ(eff(pair[1]), x);
	load(pair, 2, ROUNDS);
	ASSERT_EQ(irqcore_balance_now(), 1);
	ASSERT_NE(eff(16), x);
	ASSERT_EQ(eff(pair[1]), x);
	irqcore_shutdown();
}

static irqreturn_t no_balance_handler(int irq, void *dev_id)
{
	return ut_handler(irq, dev_id);
}

/* A2: lines on the hot CPU that must stay, and one that may go. */
TEST_T(a7_leaves_pinned_lines_alone, 60)
{
	static const unsigned int lines[] = { 16, 20, 24, 28, 32, 36, 40 };
	cpu_set_t all;

	start(NCPU, 0, 0);
	CPU_ZERO(&all);
	for (int c = 0; c < NCPU; c++)
		CPU_SET(c, &all);
	req(16, 0);					/* may go */
	fill(17, 20);
	req(20, IRQF_NOBALANCING);
	fill(21, 24);
	req(24, 0);
	ASSERT_EQ(irq_set_affinity(24, &all), 0);	/* set by the caller */
	fill(25, 28);
	req(28, 0);
	ASSERT_EQ(irq_set_affinity_hint(28, &all), 0);	/* a hint counts as set */
	fill(29, 32);
	req(32, IRQF_PERCPU);
	fill(33, 36);
	req(36, 0);
	ASSERT_EQ(irq_set_status_flags(36, IRQ_NO_BALANCING), 0);
	fill(37, 40);
	/* a shared line whose second action asks not to be balanced */
	ut_dev_init(&devs[40], 40, IRQ_NONE);
	ut_dev_init(&devs[41], 41, IRQ_HANDLED);
	ASSERT_EQ(request_irq(40, ut_handler, IRQF_SHARED, "bal", &devs[40]), 0);
	ASSERT_EQ(request_irq(40, no_balance_handler, IRQF_SHARED | IRQF_NOBALANCING, "bal",
			      &devs[41]), 0);
	for (unsigned int i = 0; i < UT_ARRAY_SIZE(lines); i++)
		ASSERT_EQ(eff(lines[i]), 0);
	load(lines, UT_ARRAY_SIZE(lines), ROUNDS);
	ASSERT_EQ(irqcore_balance_now(), 1);
	ASSERT_NE(eff(16), 0);
	for (unsigned int i = 1; i < UT_ARRAY_SIZE(lines); i++)
		ASSERT_EQ(eff(lines[i]), 0);
	ASSERT_EQ(th_log_count("balance: irq "), 1);
	ASSERT_CONTAINS(th_log_text(), "balance: irq 16 cpu 0 -> ");
	ASSERT_CONTAINS(th_log_text(), " (load 700 -> 600)");
	/* and again: the pinned ones still stay */
	load(lines, UT_ARRAY_SIZE(lines), ROUNDS);
	ASSERT_EQ(irqcore_balance_now(), 0);
	for (unsigned int i = 1; i < UT_ARRAY_SIZE(lines); i++)
		ASSERT_EQ(eff(lines[i]), 0);
	irqcore_shutdown();
}

/* Eight dispatchers on a synthetic machine: two NUMA nodes, each with two
 * L3 caches of two cores: CPU 0 shares a cache with 1 and a node with 2, 3.
 * Lines on CPU 0 whose masks (the default mask at their request, so not set
 * by a caller) offer different neighbours. */
TEST_T(a7_nearest_first_within_mask, 60)
{
	static const unsigned int lines[] = { 8, 16, 24, 32 };
	static const int masks[][3] = { { 0, 2, 4 }, { 0, 1, 4 }, { 0, 4, 4 }, { 0, 0, 0 } };
	struct irqcore_config c;
	cpu_set_t all;

	ASSERT_EQ(setenv("HWLOC_SYNTHETIC", "pack:1 numa:2 l3:2 core:2 pu:1", 1), 0);
	ut_config(&c, 8, 0);
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
	CPU_ZERO(&all);
	for (int k = 0; k < 8; k++)
		CPU_SET(k, &all);
	for (unsigned int i = 0; i < 4; i++) {
		cpu_set_t m;

		if (i) {			/* one more line on CPUs 1-7 */
			ASSERT_EQ(irq_set_default_affinity(&all), 0);
			fill(lines[i - 1] + 1, lines[i]);
		}
		CPU_ZERO(&m);
		for (int k = 0; k < 3; k++)
			CPU_SET(masks[i][k], &m);
		ASSERT_EQ(irq_set_default_affinity(&m), 0);
		req(lines[i], 0);
		ASSERT_EQ(eff(lines[i]), 0);
	}
	ASSERT_EQ(irq_set_default_affinity(&all), 0);
	load(lines, 4, ROUNDS);
	ASSERT_EQ(irqcore_balance_now(), 3);
	ASSERT_EQ(eff(16), 1);		/* the cache sibling */
	ASSERT_EQ(eff(8), 2);		/* the same node, not CPU 4 */
	ASSERT_EQ(eff(24), 4);		/* the only other CPU of its mask */
	ASSERT_EQ(eff(32), 0);		/* its mask is CPU 0 */
	irqcore_shutdown();
}

static irqreturn_t slow_handler(int irq, void *dev_id)
{
	uint64_t t0 = (uint64_t)(th_now() * 1e9);

	while ((uint64_t)(th_now() * 1e9) - t0 < 200000)	/* 200 us */
		;
	return ut_handler(irq, dev_id);
}

/* Handler time weighs: every run timed (IRQCORE_F_LATENCY), 16 and 20 fast,
 * 28 slow, the same number of events each. By events alone 16 and 20 would
 * go (the lower lines first) and 28 stay; by time 28 is nearly all of CPU
 * 0's load, and moving it alone lowers the peak most. */
TEST_T(a7_handler_time_weighs, 60)
{
	static const unsigned int lines[] = { 16, 20, 28 };
	struct irqcore_config c;

	ut_config(&c, NCPU, 0);
	c.flags = IRQCORE_F_LATENCY;		/* the segment on, every run timed */
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
	req(16, 0);
	fill(17, 20);
	req(20, 0);
	fill(21, 28);
	ut_dev_init(&devs[28], 28, IRQ_HANDLED);
	ASSERT_EQ(request_irq(28, slow_handler, 0, "bal", &devs[28]), 0);
	for (unsigned int i = 0; i < 3; i++)
		ASSERT_EQ(eff(lines[i]), 0);
	load(lines, 3, ROUNDS);
	/* one move, unless preemption inside the fast handlers' timed runs
	 * made them weigh as much: the first move is 28's either way */
	ASSERT_GE(irqcore_balance_now(), 1);
	ASSERT_NE(eff(28), 0);
	ASSERT_TRUE(strncmp(th_log_text(), "balance: irq 28 cpu 0 -> ", 25) == 0);
	irqcore_shutdown();
}

/* External CPUs: only attached CPUs take lines. The test thread is CPU 0;
 * a helper attaches CPU 2 (and polls it while the test raises). */
static atomic_int helper_state;		/* 1 attached, 2 leave */

static void *helper_cpu(void *arg)
{
	(void)arg;
	ASSERT_EQ(irqcore_cpu_attach(2), 0);
	atomic_store(&helper_state, 1);
	while (atomic_load(&helper_state) != 2)
		irqcore_poll();
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	return NULL;
}

TEST_T(a7_external_cpus_attached_only, 60)
{
	pthread_t tid;

	ut_start_ext(NCPU, 0);			/* this thread is CPU 0 */
	for (unsigned int i = 0; i < 4; i++) {
		req(hot[i], 0);
		fill(hot[i] + 1, hot[i] + 4);
	}
	ASSERT_EQ(pthread_create(&tid, NULL, helper_cpu, NULL), 0);
	while (atomic_load(&helper_state) != 1)
		usleep(1000);
	for (unsigned int r = 0; r < ROUNDS; r++)
		for (unsigned int i = 0; i < 4; i++)
			ut_fire(hot[i]);
	/* CPU 0: 400; 1 and 3 are nobody's, so the mean is over CPUs 0 and 2
	 * (200): two moves, to CPU 2, leave 200 on each */
	ASSERT_EQ(irqcore_balance_now(), 2);
	ASSERT_EQ(eff(16), 2);
	ASSERT_EQ(eff(20), 2);
	for (unsigned int i = 2; i < 4; i++)
		ASSERT_EQ(eff(hot[i]), 0);
	atomic_store(&helper_state, 2);
	ASSERT_EQ(pthread_join(tid, NULL), 0);
	irqcore_shutdown();
}

static atomic_int from_handler = 1;

static irqreturn_t balancing_handler(int irq, void *dev_id)
{
	atomic_store(&from_handler, irqcore_balance_now());
	return ut_handler(irq, dev_id);
}

TEST_T(a7_bad_input, 30)
{
	struct irqcore_config c;

	ASSERT_EQ(irqcore_balance_now(), -ENODEV);
	ASSERT_EQ(irqcore_balance_get_stats(&(struct irqcore_balance_stats){ 0 }), -ENODEV);
	ut_config(&c, NCPU, 0);
	c.balance_threshold_pct = 99;
	th_log_reset();
	ASSERT_EQ(irqcore_init(&c), -EINVAL);
	ASSERT_EQ(th_log_count("balance_threshold_pct 99"), 1);
	c.balance_threshold_pct = 0;
	c.balance_interval_ms = 3600001;
	ASSERT_EQ(irqcore_init(&c), -EINVAL);
	ASSERT_EQ(th_log_count("balance_interval_ms 3600001"), 1);

	start(NCPU, 0, 0);
	ASSERT_EQ(irqcore_balance_get_stats(NULL), -EINVAL);
	ASSERT_EQ(th_log_count("irqcore_balance_get_stats: NULL"), 1);
	ut_dev_init(&devs[5], 5, IRQ_HANDLED);
	ASSERT_EQ(request_irq(5, balancing_handler, 0, "bal", &devs[5]), 0);
	ASSERT_EQ(irq_raise(5), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&from_handler), -EPERM);
	ASSERT_EQ(th_log_count("irqcore_balance_now() from IRQ context refused"), 1);
	ASSERT_EQ(stats().passes, 0);
	irqcore_shutdown();
}

/* The thread does what a pass on demand does, at its interval: raise the
 * hot lines until it has moved one (bounded by the test's timeout, never
 * asserted on time). */
TEST_T(a7_thread_moves, 120)
{
	struct irqcore_balance_stats st;

	start(NCPU, 0, 250);			/* long enough for 64 events under TSan */
	for (unsigned int irq = 16; irq < 32; irq++)
		req(irq, 0);
	do {
		load(hot, 4, 10);
		st = stats();
	} while (st.moves == 0);
	ASSERT_GT(st.passes, 0);
	ASSERT_EQ(st.interval_ms, 250);
	ASSERT_GE(th_log_count("balance: irq "), 1);
	ASSERT_TRUE(eff(16) != 0 || eff(20) != 0 || eff(24) != 0 || eff(28) != 0);
	irqcore_shutdown();
	ASSERT_TRUE(gone("irqcore-balance"));
}

/* An offline CPU (A6) takes no line from the balancer, and does not count
 * in the mean. */
TEST_T(a8_offline_cpus_take_nothing, 60)
{
	start(NCPU, 0, 0);
	for (unsigned int irq = 16; irq < 32; irq++)
		req(irq, 0);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(eff(hot[i]), 0);
	ASSERT_EQ(irqcore_cpu_offline(1), 0);
	ASSERT_EQ(irqcore_cpu_offline(2), 0);
	load(hot, 4, ROUNDS);
	/* CPUs 0 and 3 take lines: mean 200, two moves to CPU 3 */
	ASSERT_EQ(irqcore_balance_now(), 2);
	for (unsigned int i = 0; i < 4; i++) {
		ASSERT_NE(eff(hot[i]), 1);
		ASSERT_NE(eff(hot[i]), 2);
	}
	ASSERT_EQ(eff(16), 3);
	ASSERT_EQ(eff(20), 3);
	irqcore_shutdown();
}
