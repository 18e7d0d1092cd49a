/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_shutdown — irqcore_shutdown() racing every other public call
 * (finding 2).
 *
 * Invariant: a public call made concurrently with irqcore_shutdown() either
 * completes as if it had come before the shutdown, or returns -ENODEV (or
 * does nothing, for the void calls); it never touches memory that the
 * shutdown frees, and no irq thread or dispatcher outlives the shutdown
 * (a request that completes is freed by the shutdown as a leftover, with its
 * thread).
 *
 * The test runs 200 rounds of irqcore_init()/irqcore_shutdown() (50 under
 * ThreadSanitizer; times TH_STRESS_SECS / 2 when that is above 2),
 * alternating dispatcher rounds (1 or 2 dispatchers, every idle policy) and
 * external-CPU rounds, while background threads, started once and running
 * across all rounds, call in a loop (pausing briefly now and then, and before
 * every call while irqcore is down, so that init is not starved):
 *  - raisers: irq_raise (lines in and out of range), irq_set_line,
 *    irq_get_status, kstat_irqs_usr, irq_wake_thread, tasklet_schedule;
 *  - a requester: request_irq / request_threaded_irq on its own lines, then
 *    raise, disable_irq_nosync/enable_irq, irq_set_affinity,
 *    irq_wake_thread, free_irq;
 *  - a reader: irq_show_interrupts into an open_memstream, irq_get_status,
 *    irqcore_quiesce(short timeout), irqcore_balance_now and
 *    irqcore_balance_get_stats (half the rounds run the balancer thread
 *    every 1 ms as well);
 *  - an external CPU: irqcore_cpu_attach(0), irqcore_poll,
 *    generic_handle_irq, irqcore_cpu_detach now and then.
 * Each round the test thread requests a few lines itself (two threaded) and
 * leaves them to the shutdown, which frees them with a warning (the log
 * callback swallows the messages).
 *
 * Checks:
 *  - no crash, and no use-after-free under the ASan build (make VARIANT=asan);
 *  - every return code is in the allowed set:
 *      irq_raise, irq_set_line, irq_get_status: 0 / -ENODEV in range,
 *        -EINVAL / -ENODEV out of range;
 *      request_irq, request_threaded_irq, irq_set_affinity: 0 / -ENODEV;
 *      free_irq: NULL or the name given at request (a shutdown may have
 *        freed the action);
 *      irq_show_interrupts: >= 0 / -ENODEV;
 *      irqcore_quiesce: 0 / -ENODEV / -ETIMEDOUT;
 *      irqcore_balance_now, irqcore_balance_get_stats: >= 0 / -ENODEV;
 *      irqcore_cpu_attach: 0 / -ENODEV / -EOPNOTSUPP / -EBUSY / -EALREADY;
 *      irqcore_poll: >= 0 / -EPERM / -ENODEV;
 *      generic_handle_irq: 0 / -EPERM / -ENODEV (-EINVAL out of range);
 *      irqcore_cpu_detach: 0 / -EPERM;
 *  - after the last shutdown and the background threads joined, the process
 *    has exactly as many threads as before the test (/proc/self/task).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "irqcore.h"
#include "../harness.h"
#include "../unit/util.h"
#include "stress.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifdef UNDER_TSAN
#define ROUNDS		50
#else
#define ROUNDS		200
#endif

#define NR_IRQS		256u
#define OUT_OF_RANGE	16u		/* lines NR_IRQS .. NR_IRQS + 15 */
#define NR_RAISERS	3
#define MAIN_LINE0	10u		/* the test thread's leftovers: 10..13 */
#define REQ_LINE	20u		/* the requester's lines */
#define REQ_TLINE	21u
#define WAKE_LINE	30u		/* raisers wake its thread (irq_wake_thread) */

#define SHUT_TIMEOUT	((int)(th_stress_seconds() * 8) + 120)

static atomic_bool stop;
static atomic_bool up;			/* the test's view: from init to shutdown's end */
static atomic_bool tasklets_ok;		/* from init to shutdown's start */
static atomic_ullong calls_made;

/* A return code outside the allowed set: counted, the first one recorded. */
static atomic_ullong violations;
static atomic_int first_bad_rc;
static const char *_Atomic first_bad_call;

static void bad(const char *call, long rc)
{
	const char *none = NULL;

	atomic_fetch_add(&violations, 1);
	if (atomic_compare_exchange_strong(&first_bad_call, &none, call))
		atomic_store(&first_bad_rc, (int)rc);
}

#define ALLOW(call, rc, cond) do { long rc_ = (rc);                           \
	if (!(cond)) bad(call, rc_); } while (0)

static void swallow_log(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

/* The background threads pause now and then, and between a shutdown and the
 * end of the next init before every call, so that the test thread's init
 * (topology discovery) and shutdown are not starved on a small machine;
 * they still race both. */
static void throttle(unsigned long long n)
{
	if (!atomic_load_explicit(&up, memory_order_relaxed) || n % 128 == 0) {
		struct timespec ts = { 0, 20000 };

		nanosleep(&ts, NULL);
	}
}

static irqreturn_t h_handled(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return IRQ_HANDLED;
}

static irqreturn_t h_wake(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return IRQ_WAKE_THREAD;
}

static irqreturn_t thread_fn(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return IRQ_HANDLED;
}

static void tasklet_fn(unsigned long data)
{
	(void)data;
}

/* One tasklet per round: one left scheduled by a shutdown stays SCHED. */
static struct tasklet_struct *tls;
static atomic_uint cur_round;
static int main_dev[4], wake_dev, req_dev, req_tdev;
static const char req_name[] = "shut_req", req_tname[] = "shut_treq";

static unsigned int rnd_line(unsigned long long *seed, bool *in_range)
{
	unsigned int l = (unsigned int)(xorshift(seed) % (NR_IRQS + OUT_OF_RANGE));

	*in_range = l < NR_IRQS;
	return l;
}

/* ---- background threads -------------------------------------------------- */

static void *raiser_main(void *arg)
{
	unsigned long long seed = 0x9e3779b97f4a7c15ULL * ((uintptr_t)arg + 1);
	unsigned long long n = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned long long x = xorshift(&seed);
		struct irq_status st;
		bool in;
		unsigned int l = rnd_line(&seed, &in);
		int rc;

		throttle(n);
		switch (x % 8) {
		case 0: case 1: case 2:
			rc = irq_raise(l);
			ALLOW("irq_raise", rc, in ? (rc == 0 || rc == -ENODEV)
						  : (rc == -EINVAL || rc == -ENODEV));
			break;
		case 3:
			rc = irq_set_line(l, (int)((x >> 8) & 1));
			ALLOW("irq_set_line", rc, in ? (rc == 0 || rc == -ENODEV)
						     : (rc == -EINVAL || rc == -ENODEV));
			break;
		case 4:
			rc = irq_get_status(l, &st);
			ALLOW("irq_get_status", rc, in ? (rc == 0 || rc == -ENODEV)
						       : (rc == -EINVAL || rc == -ENODEV));
			break;
		case 5:
			(void)kstat_irqs_usr(l);
			break;
		case 6:
			irq_wake_thread(WAKE_LINE, &wake_dev);
			break;
		default:
			/* tasklet_schedule() logs to stderr while irqcore is
			 * not running: only from the end of an init to the
			 * start of the next shutdown (calls in flight race it) */
			if (atomic_load_explicit(&tasklets_ok, memory_order_relaxed))
				tasklet_schedule(&tls[atomic_load(&cur_round)]);
			break;
		}
		if (++n % 64 == 0)
			sched_yield();
	}
	atomic_fetch_add(&calls_made, n);
	return NULL;
}

static void *requester_main(void *arg)
{
	unsigned long long seed = 0x2545f4914f6cdd1dULL;
	unsigned long long n = 0;
	cpu_set_t m0;

	(void)arg;
	CPU_ZERO(&m0);
	CPU_SET(0, &m0);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned long long x = xorshift(&seed);
		const void *name;
		int rc;

		throttle(n);
		if (x & 1) {
			rc = request_irq(REQ_LINE, h_handled, 0, req_name, &req_dev);
			ALLOW("request_irq", rc, rc == 0 || rc == -ENODEV);
			if (rc == 0) {
				rc = irq_raise(REQ_LINE);
				ALLOW("irq_raise(req)", rc, rc == 0 || rc == -ENODEV);
				disable_irq_nosync(REQ_LINE);
				rc = irq_raise(REQ_LINE);
				ALLOW("irq_raise(req)", rc, rc == 0 || rc == -ENODEV);
				enable_irq(REQ_LINE);
				rc = irq_set_affinity(REQ_LINE, &m0);
				ALLOW("irq_set_affinity", rc, rc == 0 || rc == -ENODEV);
				name = free_irq(REQ_LINE, &req_dev);
				ALLOW("free_irq", 0, name == NULL || name == req_name);
			}
		} else {
			unsigned long flags = (x & 2) ? IRQF_ONESHOT : 0;

			rc = request_threaded_irq(REQ_TLINE, h_wake, thread_fn, flags,
						  req_tname, &req_tdev);
			ALLOW("request_threaded_irq", rc, rc == 0 || rc == -ENODEV);
			if (rc == 0) {
				rc = irq_raise(REQ_TLINE);
				ALLOW("irq_raise(treq)", rc, rc == 0 || rc == -ENODEV);
				irq_wake_thread(REQ_TLINE, &req_tdev);
				name = free_irq(REQ_TLINE, &req_tdev);
				ALLOW("free_irq", 0, name == NULL || name == req_tname);
			}
		}
		n++;
	}
	atomic_fetch_add(&calls_made, n);
	return NULL;
}

static void *reader_main(void *arg)
{
	unsigned long long seed = 0x1234567ULL;
	unsigned long long n = 0;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned long long x = xorshift(&seed);
		int rc;

		throttle(n);
		if (x % 8 == 0) {
			rc = irqcore_quiesce(20);
			ALLOW("irqcore_quiesce", rc,
			      rc == 0 || rc == -ENODEV || rc == -ETIMEDOUT);
		} else if (x % 8 == 2) {
			struct irqcore_balance_stats bst;

			rc = (x >> 8) % 2 ? irqcore_balance_now() : irqcore_balance_get_stats(&bst);
			ALLOW("irqcore_balance", rc, rc >= 0 || rc == -ENODEV);
		} else if (x % 2) {
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);

			if (f) {
				rc = irq_show_interrupts(f);
				ALLOW("irq_show_interrupts", rc, rc >= 0 || rc == -ENODEV);
				fclose(f);
				free(buf);
			}
		} else {
			struct irq_status st;

			rc = irq_get_status(MAIN_LINE0 + (unsigned int)(x >> 8) % 4, &st);
			ALLOW("irq_get_status", rc, rc == 0 || rc == -ENODEV);
		}
		n++;
	}
	atomic_fetch_add(&calls_made, n);
	return NULL;
}

static void *cpu_main(void *arg)
{
	unsigned long long seed = 0x7777ULL;
	unsigned long long n = 0;
	int rc;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned long long x = xorshift(&seed);
		bool in;
		unsigned int l;

		throttle(n);
		rc = irqcore_cpu_attach(0);
		ALLOW("irqcore_cpu_attach", rc,
		      rc == 0 || rc == -ENODEV || rc == -EOPNOTSUPP || rc == -EBUSY ||
		      rc == -EALREADY);
		for (int i = 0; i < 32; i++) {
			rc = irqcore_poll();
			ALLOW("irqcore_poll", rc, rc >= 0 || rc == -EPERM || rc == -ENODEV);
			l = rnd_line(&seed, &in);
			rc = generic_handle_irq(l);
			ALLOW("generic_handle_irq", rc,
			      rc == 0 || rc == -EPERM || rc == -ENODEV || (!in && rc == -EINVAL));
			n += 2;
		}
		if (x % 4 == 0) {
			rc = irqcore_cpu_detach();
			ALLOW("irqcore_cpu_detach", rc, rc == 0 || rc == -EPERM);
		}
		sched_yield();
	}
	rc = irqcore_cpu_detach();
	ALLOW("irqcore_cpu_detach", rc, rc == 0 || rc == -EPERM);
	atomic_fetch_add(&calls_made, n);
	return NULL;
}

/* ---- the rounds ----------------------------------------------------------- */

static void *nothing(void *arg)
{
	return arg;
}

static void one_round(unsigned int round, unsigned long long *seed)
{
	static const int idles[] = { IRQCORE_IDLE_SLEEP, IRQCORE_IDLE_SPIN,
				     IRQCORE_IDLE_ADAPTIVE };
	struct irqcore_config cfg;
	unsigned long long x = xorshift(seed);

	irqcore_config_init(&cfg);
	cfg.nr_irqs = NR_IRQS;
	cfg.nr_cpus = 1 + (unsigned int)(x % 2);
	cfg.idle = idles[(x >> 4) % 3];
	cfg.flags = IRQCORE_F_NO_EXPORT | ((round & 1) ? IRQCORE_F_EXTERNAL_CPUS : 0);
	cfg.thread_priority = -1;
	cfg.log = swallow_log;
	cfg.balance_interval_ms = (x >> 8) % 2;	/* half the rounds: a balancer thread */
	tasklet_init(&tls[round], tasklet_fn, round);
	ASSERT_EQ(irqcore_init(&cfg), 0);
	atomic_store(&cur_round, round);
	atomic_store(&up, true);
	atomic_store(&tasklets_ok, true);

	/* leftovers for the shutdown (request may only fail with -ENODEV,
	 * which cannot happen here: nobody else shuts down) */
	for (unsigned int i = 0; i < 3; i++)
		ASSERT_EQ(request_irq(MAIN_LINE0 + i, h_handled, 0, "shut_main",
				      &main_dev[i]), 0);
	ASSERT_EQ(request_threaded_irq(MAIN_LINE0 + 3, h_wake, thread_fn, IRQF_ONESHOT,
				       "shut_mthr", &main_dev[3]), 0);
	ASSERT_EQ(request_threaded_irq(WAKE_LINE, h_wake, thread_fn, 0,
				       "shut_wake", &wake_dev), 0);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(irq_raise(MAIN_LINE0 + i), 0);

	/* let the background threads run into this instance a little */
	if (x & (1ull << 20)) {
		struct timespec ts = { 0, (long)((x >> 24) % 1000) * 1000 };

		nanosleep(&ts, NULL);
	} else {
		spin((unsigned int)((x >> 24) % 50000));
	}
	atomic_store(&tasklets_ok, false);
	irqcore_shutdown();
	atomic_store(&up, false);
}

/* The number of this process's threads once it stops changing: a thread
 * just joined may still be listed in /proc/self/task for a moment (the
 * kernel clears its tid, which pthread_join waits for, before it removes
 * it), so one look can count a thread that is already gone. */
static int stable_thread_count(void)
{
	int n = ut_count_threads("", NULL, NULL), same = 0;

	for (int i = 0; i < 200 && same < 3; i++) {
		int m;

		ut_sleep_ms(5);
		m = ut_count_threads("", NULL, NULL);
		same = m == n ? same + 1 : 0;
		n = m;
	}
	return n;
}

TEST_T(shutdown_races_every_call, SHUT_TIMEOUT)
{
	pthread_t raisers[NR_RAISERS], req, rd, cpu, warm;
	unsigned long long seed = 0xfeedfacecafebeefULL;
	int threads_before, threads_after;
	double t0 = th_now();
	/* ROUNDS at the default 2 s, more for longer runs (make torture) */
	unsigned int rounds = ROUNDS * (th_stress_seconds() > 2.0 ?
					(unsigned int)(th_stress_seconds() / 2.0) : 1);

	/* A sanitizer runtime may start a helper thread at the first
	 * pthread_create: have that happen before counting. */
	ASSERT_EQ(pthread_create(&warm, NULL, nothing, NULL), 0);
	ASSERT_EQ(pthread_join(warm, NULL), 0);
	threads_before = stable_thread_count();
	tls = calloc(rounds, sizeof(*tls));
	ASSERT_TRUE(tls != NULL);

	for (uintptr_t i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_create(&raisers[i], NULL, raiser_main, (void *)i), 0);
	ASSERT_EQ(pthread_create(&req, NULL, requester_main, NULL), 0);
	ASSERT_EQ(pthread_create(&rd, NULL, reader_main, NULL), 0);
	ASSERT_EQ(pthread_create(&cpu, NULL, cpu_main, NULL), 0);

	for (unsigned int r = 0; r < rounds; r++)
		one_round(r, &seed);

	atomic_store(&stop, true);
	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i], NULL), 0);
	ASSERT_EQ(pthread_join(req, NULL), 0);
	ASSERT_EQ(pthread_join(rd, NULL), 0);
	ASSERT_EQ(pthread_join(cpu, NULL), 0);
	ASSERT_EQ(irq_raise(0), -ENODEV);	/* nothing is running any more */

	threads_after = stable_thread_count();
	printf("  s_shutdown: %u rounds, %llu background calls, %.2fs\n", rounds,
	       (unsigned long long)atomic_load(&calls_made), th_now() - t0);
	if (atomic_load(&violations))
		printf("  first bad return: %s -> %d\n",
		       atomic_load(&first_bad_call) ? atomic_load(&first_bad_call) : "?",
		       atomic_load(&first_bad_rc));
	if (threads_after != threads_before)
		printf("  threads left: %d named irq/*, %d named irqcore*\n",
		       ut_count_threads("irq/", NULL, NULL),
		       ut_count_threads("irqcore", NULL, NULL));
	fflush(stdout);
	ASSERT_EQ(atomic_load(&violations), 0);
	ASSERT_EQ(threads_after, threads_before);
	free(tls);
}
