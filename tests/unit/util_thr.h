/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers for the tests of threaded handlers, nested lines, devm requests
 * and tasklets (t_threaded.c, t_nested.c, t_devm.c, t_tasklet.c,
 * stress/s_oneshot.c), on top of util.h.
 *
 *  - struct tt_dev: a device with a hard handler (tt_hard) and a thread_fn
 *    (tt_thread_fn) that record their calls and context; the thread_fn can
 *    be held inside (tt_block/tt_release) to observe a running thread.
 *  - TT_WAIT(cond): bounded poll (never a timing assertion).
 *  - Thread inspection through /proc/self/task: TID by name, scheduling
 *    policy and priority, CPU affinity.
 *  - tt_async: run a blocking call in a helper thread and see whether it
 *    returned.
 */
#ifndef IRQCORE_TEST_UNIT_UTIL_THR_H
#define IRQCORE_TEST_UNIT_UTIL_THR_H

#include "util.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* ---- waiting ------------------------------------------------------------ */

static inline void tt_pause(void)
{
	struct timespec ts = { 0, 100000 };	/* 100 us */

	nanosleep(&ts, NULL);
}

/* Poll cond for up to 20 s (generous for TSan); fail if it never held. The
 * verdict is the last evaluation's: a condition that held once and changed
 * since (a transient) is not evaluated again. */
#define TT_WAIT(cond) do {                                                    \
	double tt_t0_ = th_now();                                             \
	bool tt_ok_;                                                          \
	while (!(tt_ok_ = (cond)) && th_now() - tt_t0_ < 20.0)                \
		tt_pause();                                                   \
	if (!tt_ok_)                                                          \
		th_fail(__FILE__, __LINE__, "TT_WAIT(%s): false for 20 s", #cond); \
} while (0)

static inline pid_t tt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline void tt_comm(char out[16])
{
	memset(out, 0, 16);
	prctl(PR_GET_NAME, out, 0, 0, 0);
	out[15] = '\0';
}

/* ---- a threaded device -------------------------------------------------- */

struct tt_dev {
	int id;
	atomic_int hard_ret;		/* what tt_hard returns */
	atomic_int thread_ret;		/* what tt_thread_fn returns */
	atomic_int hard_calls;
	atomic_int thread_calls;	/* thread_fn entries */
	atomic_int thread_done;		/* thread_fn returns */
	atomic_int inside;		/* thread_fn runs now */
	atomic_int max_inside;
	atomic_int block;		/* thread_fn waits while set */
	atomic_int bad_order;		/* a thread run not preceded by a wake */
	atomic_int hard_hardirq;	/* in_hardirq() in tt_hard (last) */
	atomic_int hard_cpu;
	atomic_int thread_hardirq;	/* in_hardirq() in thread_fn (last) */
	atomic_int thread_interrupt;
	atomic_int thread_cpu;		/* smp_processor_id() in thread_fn */
	atomic_int thread_tid;
	pthread_mutex_t lock;		/* thread_comm, thread_self */
	char thread_comm[16];
	pthread_t thread_self;
	bool thread_self_set;
	/* optional hook run inside thread_fn (before blocking) */
	void (*hook)(struct tt_dev *d, int irq);
	void *priv;
};

static inline void tt_dev_init(struct tt_dev *d, int id)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
	atomic_store(&d->hard_ret, IRQ_WAKE_THREAD);
	atomic_store(&d->thread_ret, IRQ_HANDLED);
	atomic_store(&d->hard_cpu, -2);
	atomic_store(&d->thread_cpu, -2);
	pthread_mutex_init(&d->lock, NULL);
}

static inline irqreturn_t tt_hard(int irq, void *dev_id)
{
	struct tt_dev *d = dev_id;

	(void)irq;
	atomic_store(&d->hard_hardirq, in_hardirq());
	atomic_store(&d->hard_cpu, smp_processor_id());
	atomic_fetch_add(&d->hard_calls, 1);
	return (irqreturn_t)atomic_load(&d->hard_ret);
}

/* A hard handler that always wakes its thread, counting the wake-ups. */
static inline irqreturn_t tt_hard_wake(int irq, void *dev_id)
{
	struct tt_dev *d = dev_id;

	(void)irq;
	atomic_fetch_add(&d->hard_calls, 1);
	return IRQ_WAKE_THREAD;
}

static inline irqreturn_t tt_thread_fn(int irq, void *dev_id)
{
	struct tt_dev *d = dev_id;
	int in = atomic_fetch_add(&d->inside, 1) + 1;
	int mx = atomic_load(&d->max_inside);
	char comm[16];

	while (in > mx && !atomic_compare_exchange_weak(&d->max_inside, &mx, in))
		;
	tt_comm(comm);
	pthread_mutex_lock(&d->lock);
	memcpy(d->thread_comm, comm, sizeof(comm));
	d->thread_self = pthread_self();
	d->thread_self_set = true;
	pthread_mutex_unlock(&d->lock);
	atomic_store(&d->thread_hardirq, in_hardirq());
	atomic_store(&d->thread_interrupt, in_interrupt());
	atomic_store(&d->thread_cpu, smp_processor_id());
	atomic_store(&d->thread_tid, tt_gettid());
	if (atomic_fetch_add(&d->thread_calls, 1) + 1 > atomic_load(&d->hard_calls) &&
	    atomic_load(&d->hard_ret) == IRQ_WAKE_THREAD)
		atomic_fetch_add(&d->bad_order, 1);
	if (d->hook)
		d->hook(d, irq);
	while (atomic_load(&d->block))
		tt_pause();
	atomic_fetch_sub(&d->inside, 1);
	atomic_fetch_add(&d->thread_done, 1);
	return (irqreturn_t)atomic_load(&d->thread_ret);
}

static inline int tt_hard_calls(struct tt_dev *d) { return atomic_load(&d->hard_calls); }
static inline int tt_thread_calls(struct tt_dev *d) { return atomic_load(&d->thread_calls); }
static inline int tt_thread_done(struct tt_dev *d) { return atomic_load(&d->thread_done); }
static inline void tt_block(struct tt_dev *d) { atomic_store(&d->block, 1); }
static inline void tt_release(struct tt_dev *d) { atomic_store(&d->block, 0); }

/* Copy of the comm the thread_fn saw last. */
static inline void tt_seen_comm(struct tt_dev *d, char out[16])
{
	pthread_mutex_lock(&d->lock);
	memcpy(out, d->thread_comm, 16);
	pthread_mutex_unlock(&d->lock);
}

static inline bool tt_ran_in(struct tt_dev *d, pthread_t t)
{
	bool r;

	pthread_mutex_lock(&d->lock);
	r = d->thread_self_set && pthread_equal(d->thread_self, t);
	pthread_mutex_unlock(&d->lock);
	return r;
}

/* ---- threads of the process --------------------------------------------- */

static inline int tt_irq_threads(void)
{
	return ut_count_threads("irq/", NULL, NULL);
}

static inline bool tt_thread_exists(const char *name)
{
	bool found;

	ut_count_threads(name, name, &found);
	return found;
}

/* TID of the thread named exactly `name`, -1 if none. */
static inline pid_t tt_find_tid(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid = -1;

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
		if (!strcmp(comm, name)) {
			tid = (pid_t)atoi(e->d_name);
			break;
		}
	}
	closedir(d);
	return tid;
}

/* Fields 40 (rt_priority) and 41 (policy) of /proc/self/task/TID/stat.
 * Returns 0, or -1 if unreadable. */
static inline int tt_sched_of(pid_t tid, int *policy, int *rt_prio)
{
	char path[64], buf[1024];
	FILE *f;
	char *p;
	int field = 2;
	long v40 = -1, v41 = -1;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');	/* comm may hold blanks and parentheses */
	if (!p)
		return -1;
	p++;
	while (*p) {
		char *end;
		long v;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		field++;
		v = strtol(p, &end, 10);
		if (end == p) {	/* the state letter (field 3) */
			while (*p && *p != ' ')
				p++;
			continue;
		}
		if (field == 40)
			v40 = v;
		if (field == 41)
			v41 = v;
		p = end;
	}
	if (v40 < 0 || v41 < 0)
		return -1;
	*rt_prio = (int)v40;
	*policy = (int)v41;
	return 0;
}

static inline int tt_policy(pid_t tid)
{
	int pol = -1, prio = -1;

	if (tt_sched_of(tid, &pol, &prio))
		return -1;
	return pol;
}

static inline int tt_rt_prio(pid_t tid)
{
	int pol = -1, prio = -1;

	if (tt_sched_of(tid, &pol, &prio))
		return -1;
	return prio;
}

static void *tt_fifo_probe_main(void *arg)
{
	struct sched_param sp = { .sched_priority = 50 };

	*(int *)arg = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	return NULL;
}

/* Whether this process may run a thread SCHED_FIFO at priority 50 (tried on
 * a throw-away thread, so the caller's scheduling is untouched). */
static inline bool tt_fifo_allowed(void)
{
	pthread_t t;
	int res = -1;

	ASSERT_EQ(pthread_create(&t, NULL, tt_fifo_probe_main, &res), 0);
	pthread_join(t, NULL);
	return res == 0;
}

/* Take away the right to use SCHED_FIFO in this (forked) test process:
 * RLIMIT_RTPRIO 0 and no CAP_SYS_NICE for the calling thread (threads
 * created from it inherit that). False if the right could not be dropped. */
static inline bool tt_drop_fifo_right(void)
{
	struct rlimit rl = { 0, 0 };
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct cd[2];

	setrlimit(RLIMIT_RTPRIO, &rl);
	memset(cd, 0, sizeof(cd));
	if (syscall(SYS_capget, &h, cd) == 0) {
		cd[CAP_SYS_NICE / 32].effective &= ~(1u << (CAP_SYS_NICE % 32));
		cd[CAP_SYS_NICE / 32].permitted &= ~(1u << (CAP_SYS_NICE % 32));
		cd[CAP_SYS_NICE / 32].inheritable &= ~(1u << (CAP_SYS_NICE % 32));
		syscall(SYS_capset, &h, cd);
	}
	return !tt_fifo_allowed();
}

static inline cpu_set_t tt_affinity_of(pid_t tid)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	ASSERT_EQ(sched_getaffinity(tid, sizeof(s), &s), 0);
	return s;
}

static inline bool tt_affinity_is(pid_t tid, const cpu_set_t *want)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	if (sched_getaffinity(tid, sizeof(s), &s))
		return false;
	return CPU_EQUAL(&s, want);
}

/* ---- a blocking call in a helper thread --------------------------------- */

struct tt_async {
	pthread_t t;
	void (*fn)(struct tt_async *a);
	unsigned int irq;
	void *dev_id;
	struct tt_dev *watch;		/* thread_done of watch at return */
	void *ptr;
	atomic_int done;
	atomic_int done_seen;		/* watch->thread_done when fn returned */
	atomic_int res;
	const void *ret_ptr;
};

static void *tt_async_main(void *arg)
{
	struct tt_async *a = arg;

	a->fn(a);
	if (a->watch)
		atomic_store(&a->done_seen, atomic_load(&a->watch->thread_done));
	atomic_store(&a->done, 1);
	return NULL;
}

static inline void tt_async_start(struct tt_async *a, void (*fn)(struct tt_async *),
				  unsigned int irq, void *dev_id, struct tt_dev *watch)
{
	memset(a, 0, sizeof(*a));
	a->fn = fn;
	a->irq = irq;
	a->dev_id = dev_id;
	a->watch = watch;
	atomic_store(&a->done_seen, -1);
	ASSERT_EQ(pthread_create(&a->t, NULL, tt_async_main, a), 0);
}

static inline void tt_async_join(struct tt_async *a)
{
	pthread_join(a->t, NULL);
	ASSERT_TRUE(atomic_load(&a->done));
}

static inline void tt_do_synchronize_irq(struct tt_async *a) { synchronize_irq(a->irq); }
static inline void tt_do_disable_irq(struct tt_async *a) { disable_irq(a->irq); }
static inline void tt_do_free_irq(struct tt_async *a) { a->ret_ptr = free_irq(a->irq, a->dev_id); }

#endif
