/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_rcu_free — free_irq() against concurrent dispatch (the RCU contract).
 *
 * Dispatcher mode, nr_cpus 2 and 8 (8 is more dispatchers than small
 * machines have PUs). Each of nr_cpus shared lines is affine to its own CPU
 * and carries two permanent actions. Raiser threads hammer random lines;
 * churn threads keep adding a shared action with a freshly malloc'd dev_id
 * holding a canary, free_irq() it, poison the canary, and free() the memory
 * only after it sat in a small quarantine (so a late handler would read the
 * poison rather than a recycled LIVE canary; ASan would flag it outright).
 *
 * A second set of tests keeps no permanent action: free_irq() of the last
 * action shuts the line down under the raisers, request_irq() starts it.
 * The "moving" variants also move the lines among the CPUs meanwhile.
 *
 * Invariants:
 *  - a churn handler never sees a poisoned canary, at entry or at exit
 *    (no handler runs, or is still running, after free_irq() returned);
 *  - free_irq() returns the name pointer given to request_irq();
 *  - after irqcore_quiesce(): raised is exactly the number of the test's
 *    own successful irq_raise() calls; raised == count + coalesced (plus
 *    noaction when the last action came and went); both permanent actions
 *    ran equally often, once per counted event when the affinity is fixed
 *    (no PENDING replay from a second CPU), between count and count +
 *    coalesced when the lines move.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "irqcore.h"
#include "../harness.h"
#include "stress.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#define MAX_LINES	8
#define NR_PERM		2
#define NR_RAISERS	4
#define NR_CHURNERS	2
#define QUARANTINE	16
#define FIRST_LINE	10u
#define MAGIC_LIVE	0x1eaf1eaf5afe5afeULL
#define MAGIC_DEAD	0xdeadbeefdeadbeefULL

#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

struct churn_dev {
	unsigned long long magic;	/* plain on purpose: TSan sees a late reader */
	unsigned int line;
};

struct perm_dev {
	unsigned int line;
	unsigned int idx;
};

static const char churn_name[] = "churn";
static const char *const perm_names[NR_PERM] = { "perm0", "perm1" };

static unsigned int nr_lines, nr_cpus;
static double deadline;
static pthread_barrier_t start_barrier;

static struct perm_dev perm[MAX_LINES][NR_PERM];
static atomic_ullong perm_calls[MAX_LINES][NR_PERM];
static atomic_ullong churn_calls, violations, wrong_line, bad_cpu, not_hardirq;
static atomic_ullong churn_cycles, churn_errors;

struct raiser {
	pthread_t tid;
	unsigned int idx;
	unsigned long long raised[MAX_LINES];	/* successful irq_raise() */
	unsigned long long failed;
};

static inline unsigned int line_irq(unsigned int l)
{
	return FIRST_LINE + l;
}

static void check_context(void)
{
	int cpu = smp_processor_id();

	if (cpu < 0 || cpu >= (int)nr_cpus)
		atomic_fetch_add_explicit(&bad_cpu, 1, memory_order_relaxed);
	if (!in_hardirq())
		atomic_fetch_add_explicit(&not_hardirq, 1, memory_order_relaxed);
}

static irqreturn_t perm_handler(int irq, void *dev_id)
{
	struct perm_dev *p = dev_id;

	if ((unsigned int)irq != line_irq(p->line))
		atomic_fetch_add_explicit(&wrong_line, 1, memory_order_relaxed);
	check_context();
	atomic_fetch_add_explicit(&perm_calls[p->line][p->idx], 1,
				  memory_order_relaxed);
	return IRQ_HANDLED;
}

static irqreturn_t churn_handler(int irq, void *dev_id)
{
	struct churn_dev *d = dev_id;
	volatile unsigned long long *magic = &d->magic;

	if (*magic != MAGIC_LIVE)
		atomic_fetch_add_explicit(&violations, 1, memory_order_relaxed);
	else if ((unsigned int)irq != line_irq(d->line))
		atomic_fetch_add_explicit(&wrong_line, 1, memory_order_relaxed);
	/* Stay a little to widen the free_irq() window. */
	if ((atomic_fetch_add_explicit(&churn_calls, 1, memory_order_relaxed) & 7) == 0)
		spin(2000);
	if (*magic != MAGIC_LIVE)
		atomic_fetch_add_explicit(&violations, 1, memory_order_relaxed);
	return IRQ_HANDLED;
}

static void *raiser_main(void *arg)
{
	struct raiser *r = arg;
	unsigned long long seed = raiser_seed(r->idx);

	pin_self(r->idx);
	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		for (int k = 0; k < 64; k++) {
			unsigned int l = (unsigned int)(xorshift(&seed) % nr_lines);

			if (irq_raise(line_irq(l)) == 0)
				r->raised[l]++;
			else
				r->failed++;
		}
	}
	return NULL;
}

static void *churn_main(void *arg)
{
	unsigned int idx = (unsigned int)(uintptr_t)arg;
	unsigned long long seed = 0xc2b2ae3d27d4eb4fULL * (idx + 1);
	struct churn_dev *quarantine[QUARANTINE] = { 0 };
	unsigned int qi = 0;

	pin_self(NR_RAISERS + idx);
	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		struct churn_dev *d = malloc(sizeof(*d));
		unsigned int l = (unsigned int)(xorshift(&seed) % nr_lines);
		const void *name;
		int ret;

		if (!d) {
			atomic_fetch_add(&churn_errors, 1);
			break;
		}
		d->magic = MAGIC_LIVE;
		d->line = l;
		ret = request_irq(line_irq(l), churn_handler, IRQF_SHARED,
				  churn_name, d);
		if (ret) {
			th_log(IRQCORE_LOG_ERR, "churn: request_irq failed", NULL);
			atomic_fetch_add(&churn_errors, 1);
			free(d);
			continue;
		}
		switch (xorshift(&seed) & 3) {
		case 0:
			break;			/* free at once */
		case 1:
			sched_yield();
			break;
		default:
			spin(1000 + (unsigned int)(xorshift(&seed) % 20000));
			break;
		}
		name = free_irq(line_irq(l), d);
		if (name != churn_name)
			atomic_fetch_add(&churn_errors, 1);
		/* free_irq() returned: no handler may look at d any more. */
		*(volatile unsigned long long *)&d->magic = MAGIC_DEAD;
		free(quarantine[qi]);
		quarantine[qi] = d;
		qi = (qi + 1) % QUARANTINE;
		atomic_fetch_add_explicit(&churn_cycles, 1, memory_order_relaxed);
	}
	for (unsigned int i = 0; i < QUARANTINE; i++)
		free(quarantine[i]);
	return NULL;
}

/*
 * nr_perm 2: two permanent actions per line, the churn action never is the
 * last one. nr_perm 0: the churn actions are the only ones, so free_irq()
 * keeps shutting the line down and request_irq() starting it up again while
 * it is raised; events that find no action go to ERR (status.noaction) or
 * stay latched until the next startup. A final action is requested at the
 * end; then nothing may be missing: raised == count + coalesced + noaction.
 */
/* Moves the lines among the CPUs until the churners and raisers are done. */
static void *flipper_main(void *arg)
{
	unsigned long long *flips = arg;
	unsigned long long seed = 0x2545f4914f6cdd1dULL;

	pin_self(NR_RAISERS + NR_CHURNERS);
	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		unsigned int l = (unsigned int)(xorshift(&seed) % nr_lines);
		cpu_set_t mask;

		CPU_ZERO(&mask);
		CPU_SET(xorshift(&seed) % nr_cpus, &mask);
		if (xorshift(&seed) & 1)
			CPU_SET(xorshift(&seed) % nr_cpus, &mask);
		ASSERT_EQ(irq_set_affinity(line_irq(l), &mask), 0);
		(*flips)++;
		if (xorshift(&seed) & 1)
			sched_yield();
	}
	return NULL;
}

static void run_scenario(unsigned int cpus, unsigned int nr_perm, bool move)
{
	struct irqcore_config cfg;
	struct raiser raisers[NR_RAISERS];
	pthread_t churners[NR_CHURNERS], flip_tid;
	unsigned long long flips = 0;
	unsigned long long total_raised = 0, total_count = 0, total_coal = 0;
	unsigned long long total_noaction = 0;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = cpus;
	cfg.flags |= IRQCORE_F_NO_EXPORT;
	cfg.log = th_log;
	ASSERT_EQ(irqcore_init(&cfg), 0);

	nr_cpus = cpus;
	nr_lines = cpus < MAX_LINES ? cpus : MAX_LINES;
	for (unsigned int l = 0; l < nr_lines; l++) {
		cpu_set_t mask;

		CPU_ZERO(&mask);
		CPU_SET(l % nr_cpus, &mask);
		ASSERT_EQ(irq_set_affinity(line_irq(l), &mask), 0);
		for (unsigned int i = 0; i < nr_perm; i++) {
			perm[l][i].line = l;
			perm[l][i].idx = i;
			ASSERT_EQ(request_irq(line_irq(l), perm_handler, IRQF_SHARED,
					      perm_names[i], &perm[l][i]), 0);
		}
	}

	memset(raisers, 0, sizeof(raisers));
	ASSERT_EQ(pthread_barrier_init(&start_barrier, NULL,
				       NR_RAISERS + NR_CHURNERS + 1 + move), 0);
	deadline = th_now() + th_stress_seconds();
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		raisers[i].idx = i;
		ASSERT_EQ(pthread_create(&raisers[i].tid, NULL, raiser_main,
					 &raisers[i]), 0);
	}
	for (unsigned int i = 0; i < NR_CHURNERS; i++)
		ASSERT_EQ(pthread_create(&churners[i], NULL, churn_main,
					 (void *)(uintptr_t)i), 0);
	if (move)
		ASSERT_EQ(pthread_create(&flip_tid, NULL, flipper_main, &flips), 0);
	pthread_barrier_wait(&start_barrier);
	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i].tid, NULL), 0);
	for (unsigned int i = 0; i < NR_CHURNERS; i++)
		ASSERT_EQ(pthread_join(churners[i], NULL), 0);
	if (move)
		ASSERT_EQ(pthread_join(flip_tid, NULL), 0);
	pthread_barrier_destroy(&start_barrier);

	if (nr_perm == 0) {
		/* The line starts up once more: latched events come out. */
		for (unsigned int l = 0; l < nr_lines; l++) {
			perm[l][0].line = l;
			perm[l][0].idx = 0;
			ASSERT_EQ(request_irq(line_irq(l), perm_handler, IRQF_SHARED,
					      perm_names[0], &perm[l][0]), 0);
		}
	}
	ASSERT_EQ(irqcore_quiesce(10000), 0);

	ASSERT_EQ(ld(&violations), 0);
	ASSERT_EQ(ld(&churn_errors), 0);
	ASSERT_EQ(ld(&wrong_line), 0);
	ASSERT_EQ(ld(&bad_cpu), 0);
	ASSERT_EQ(ld(&not_hardirq), 0);
	ASSERT_GT(ld(&churn_cycles), 0);

	for (unsigned int l = 0; l < nr_lines; l++) {
		struct irq_status st;
		unsigned long long mine = 0;

		for (unsigned int i = 0; i < NR_RAISERS; i++) {
			ASSERT_EQ(raisers[i].failed, 0);
			mine += raisers[i].raised[l];
		}
		ASSERT_EQ(irq_get_status(line_irq(l), &st), 0);
		ASSERT_FALSE(st.disabled);
		ASSERT_FALSE(st.pending);
		ASSERT_EQ(st.depth, 0);
		ASSERT_EQ(st.raised, mine);
		if (nr_perm) {
			/* every churn action gone */
			ASSERT_EQ(st.nr_actions, nr_perm);
			ASSERT_EQ(st.noaction, 0);
			ASSERT_EQ(st.raised, st.count + st.coalesced);
			/*
			 * Both permanent actions run on every walk of the
			 * chain. With fixed affinity a walk is a counted
			 * event; a moving line may also replay an edge that
			 * arrived on a second CPU (counted as coalesced).
			 */
			for (unsigned int i = 0; i < nr_perm; i++) {
				ASSERT_EQ(ld(&perm_calls[l][i]), ld(&perm_calls[l][0]));
				if (!move) {
					ASSERT_EQ(ld(&perm_calls[l][i]), st.count);
				} else {
					ASSERT_GE(ld(&perm_calls[l][i]), st.count);
					ASSERT_LE(ld(&perm_calls[l][i]),
						  st.count + st.coalesced);
				}
			}
		} else {
			ASSERT_EQ(st.nr_actions, 1);
			ASSERT_EQ(st.raised, st.count + st.coalesced + st.noaction);
		}
		total_noaction += st.noaction;
		total_raised += st.raised;
		total_count += st.count;
		total_coal += st.coalesced;
	}
	{
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "s_rcu_free cpus=%u perm=%u%s: raised=%llu count=%llu "
			 "coalesced=%llu noaction=%llu churn cycles=%llu "
			 "churn calls=%llu flips=%llu", cpus, nr_perm,
			 move ? " moving" : "", total_raised,
			 total_count, total_coal, total_noaction,
			 (unsigned long long)atomic_load(&churn_cycles),
			 (unsigned long long)atomic_load(&churn_calls), flips);
		printf("  %s\n", msg);
	}

	for (unsigned int l = 0; l < nr_lines; l++)
		for (unsigned int i = 0; i < (nr_perm ? nr_perm : 1); i++)
			ASSERT_PTR_EQ(free_irq(line_irq(l), &perm[l][i]),
				      perm_names[i]);
	irqcore_shutdown();
}

TEST_T(rcu_free_2cpus, STRESS_TIMEOUT)
{
	run_scenario(2, NR_PERM, false);
}

TEST_T(rcu_free_8cpus, STRESS_TIMEOUT)
{
	run_scenario(8, NR_PERM, false);
}

TEST_T(rcu_free_moving_4cpus, STRESS_TIMEOUT)
{
	run_scenario(4, NR_PERM, true);
}

TEST_T(rcu_free_last_action_2cpus, STRESS_TIMEOUT)
{
	run_scenario(2, 0, false);
}

TEST_T(rcu_free_last_action_8cpus, STRESS_TIMEOUT)
{
	run_scenario(8, 0, false);
}

TEST_T(rcu_free_last_action_moving_4cpus, STRESS_TIMEOUT)
{
	run_scenario(4, 0, true);
}
