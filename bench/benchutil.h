/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * benchutil.h — what the latency benchmarks (handoff, irqlat) share: the
 * clock, placement and scheduling helpers, the hand-off state between a
 * measuring thread A and a woken thread B, the bare baseline peers (futex
 * wake, spin ping-pong) and the common figures JSON.
 *
 * One sample: A takes t0 and kicks; the woken side (a peer thread, or an
 * irqcore handler) takes t1 and calls bench_woken(); A waits for that with
 * bench_wait_done() and records t1 - t0.
 */
#ifndef IRQCORE_BENCH_BENCHUTIL_H
#define IRQCORE_BENCH_BENCHUTIL_H

#include "hist.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* program name for messages ("handoff", "irqlat") */
extern const char *bench_prog;

/* ---- clock, waiting, errors ---- */

uint64_t bench_now_ns(void);			/* CLOCK_MONOTONIC */
void bench_sleep_ns(unsigned long ns);		/* nanosleep, restarted on EINTR */
void bench_spin_ns(unsigned long ns);		/* busy-wait */
pid_t bench_tid(void);

static inline void bench_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

_Noreturn void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* strtoul for an option value; exits with status 2 on garbage */
unsigned long bench_parse_ul(const char *s, const char *what);
/* irqcore_config.log: each distinct library message once, on stderr */
void bench_log(int level, const char *msg, void *arg);

/* ---- placement and scheduling ---- */

void bench_pin_self(const cpu_set_t *set);
int bench_first_cpu(const cpu_set_t *set);	/* -1 when empty */
const char *bench_policy_name(int policy);
/* SCHED_FIFO at prio for thread tid (0: the caller); prio 0 sets
 * SCHED_OTHER. Returns 0 or an errno value. */
int bench_set_fifo(pid_t tid, int prio);

/* pthread_create, the thread starting on cpus (NULL: the caller's) at
 * SCHED_OTHER: a thread that inherited SCHED_FIFO on the CPU where its
 * SCHED_FIFO creator spins would never run. Dies on failure. */
void bench_thread_create(pthread_t *t, void *(*fn)(void *), void *arg, const cpu_set_t *cpus);

struct bench_ctxsw {
	long long vol, invol;	/* slept, preempted; -1 when unreadable */
};
/* from /proc/self/task/TID/status */
struct bench_ctxsw bench_read_ctxsw(pid_t tid);
/* For stall reports, on stderr: "  woken side: thread TID: state R, last
 * on CPU 1, SCHED_FIFO" (nothing before the woken side's first run) */
struct bench_sync;
void bench_print_woken(struct bench_sync *sync);

/* ---- the hand-off state: one writer per cache line ---- */

struct bench_sync {
	_Alignas(64) uint64_t t0;		/* A side only */
	_Alignas(64) _Atomic uint64_t t1;	/* woken side, published by done */
	_Atomic pid_t tid;			/* woken thread, as it sees itself */
	_Alignas(64) _Atomic uint32_t done;	/* woken side: one bump per sample */
	_Alignas(64) _Atomic uint32_t word;	/* bare baselines: what B waits on */
	_Atomic bool stop;			/* B: leave at the next kick */
};

/*
 * A wait for something another thread does. Call tick on each spin: after
 * 2 s it prints that the wait is long, with the program's stall report,
 * and goes on; after 60 s it dies (a hang: a lost wake-up never ends, a
 * host that leaves a runnable thread without a CPU does). done says
 * whether the wait passed 2 s (a stall: the caller counts it).
 */
struct bench_waiter {
	const char *what;		/* "the woken side's run" */
	uint64_t start;
	unsigned int spins;
	bool stalled;
};
void bench_waiter_init(struct bench_waiter *w, const char *what);
void bench_waiter_tick(struct bench_waiter *w);
bool bench_waiter_done(struct bench_waiter *w);
/* What the program sees when a wait stalls (stderr), or NULL. */
void bench_set_stall_report(void (*fn)(void));

/* A: spin until done moves past seen; true if it stalled (see above) */
bool bench_wait_done(struct bench_sync *s, uint32_t seen);
/* woken side: publish t1 (and its thread id, once) */
void bench_woken(struct bench_sync *s, uint64_t t1);
/* A, the only writer of the word: bump it (release) */
void bench_bump_word(struct bench_sync *s);

/* ---- one measured series ---- */

struct bench_side {
	const char *name;		/* "irqcore", "futex wake", ... */
	struct hist hist;
	long long sleeps, preempts;	/* context switches of the woken thread */
	uint64_t negative;		/* samples with t1 < t0 (clock trouble) */
	uint64_t stalls;		/* samples whose wait passed 2 s */
	bool ctxsw_ok;
};

void bench_side_init(struct bench_side *s, const char *name);
void bench_record(struct bench_side *s, uint64_t t0, uint64_t t1);
void bench_add_ctxsw(struct bench_side *s, struct bench_ctxsw a, struct bench_ctxsw b);
double bench_per_sample(const struct bench_side *s, long long v);

/* ---- baseline peers: thread B, placed and scheduled like the thread it
 * stands in for ---- */

struct bench_peer {
	/* set by the caller */
	struct bench_sync *sync;
	const char *name;			/* thread name (15 chars) */
	void (*setup)(struct bench_peer *p);	/* in B, before it reports ready */
	void (*loop)(struct bench_peer *p);	/* in B: wait, take t1, bench_woken(),
						   until sync->stop */
	void (*kick)(struct bench_peer *p);	/* in A: wake B (after t0) */
	void *arg;				/* for setup/loop/kick */
	const cpu_set_t *cpus;			/* NULL: not pinned */
	int policy;				/* B switches to it when permitted */
	struct sched_param param;
	/* results */
	pthread_t thread;
	pid_t tid;
	int got_policy;				/* what B actually runs with */
	struct sched_param got_param;
};

/* FUTEX_WAIT on the word / FUTEX_WAKE; spin on the word with pause / store */
void bench_peer_futex(struct bench_peer *p);
void bench_peer_spin(struct bench_peer *p);
/* start B and wait until it waits; stop: raise sync->stop, kick, join */
void bench_peer_start(struct bench_peer *p);
void bench_peer_stop(struct bench_peer *p);

/* ---- the machine ---- */

struct bench_machine {
	long nproc;			/* CPUs online */
	int cpus_allowed;		/* CPUs this process may use */
	char model[128];
	char clocksource[64];
	char load[64];			/* load average at start, as uptime prints it */
};

void bench_machine_read(struct bench_machine *m);
void bench_loadavg(char *buf, size_t len);	/* "0.52, 0.61, 0.70" */

/* ---- the common figures JSON ----
 *
 * {"tool": ..., "machine": {"cpus", "cpus_allowed", "model", "clocksource",
 *  "load", "load_end"}, <tool's own members>, "figures": [...],
 *  "histograms": {...}}
 *
 * A figure group (id, case, value series, baseline series) becomes four
 * figures, p50, p99, p99.9 and max:
 *   {"id", "case", "metric", "unit": "ns", "value", "baseline",
 *    "baseline_value", "ratio" (value / baseline_value; null when the
 *    baseline is 0), "higher_is_better": false, "samples",
 *    "baseline_samples", "histogram", "baseline_histogram"}
 * Histograms are keyed "ID/case/series", e.g. "M2/spin/irqcore",
 * "M2/spin/cache-line ping-pong"; the figures name their two keys.
 */

#define BENCH_MAX_SERIES	32
#define BENCH_MAX_GROUPS	32

struct bench_report {
	unsigned int nseries, ngroups;
	struct {
		char key[96];
		const struct hist *h;
	} series[BENCH_MAX_SERIES];
	struct {
		char id[16], case_name[32], baseline[48];
		unsigned int value, base;	/* series indexes */
	} groups[BENCH_MAX_GROUPS];
};

void bench_report_init(struct bench_report *r);
/* value_name/baseline_name: the series names in the histogram keys; the
 * figures' "baseline" is baseline_name. The histograms must outlive r. */
void bench_report_add(struct bench_report *r, const char *id, const char *case_name,
		      const char *value_name, const struct hist *value,
		      const char *baseline_name, const struct hist *baseline);

void bench_json_string(FILE *f, const char *s);
/* '{', "tool" and "machine" (load_end is read now); machine_extra, if not
 * NULL, adds members to the machine object (each as ",\n    \"key\": value").
 * The caller goes on with ",\n  \"key\": ..." members of its own. */
void bench_json_open(FILE *f, const char *tool, const struct bench_machine *m,
		     void (*machine_extra)(FILE *f));
/* ",\n  \"figures\": [...],\n  \"histograms\": {...}\n}\n" */
void bench_json_close(FILE *f, const struct bench_report *r);

#endif
