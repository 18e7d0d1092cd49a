/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the latency benchmarks share; see benchutil.h.
 */
#include "benchutil.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * A wait that passes STALL_NS is reported (the program's stall report says
 * what it sees) and goes on; one that passes HANG_NS dies. A shared VM can
 * leave a runnable thread without a CPU for seconds: that is a stall, and
 * the sample counts (it shows in the max). A lost wake-up never ends: that
 * is a hang, and a failure.
 */
#define STALL_NS	2000000000ull
#define HANG_NS		60000000000ull

const char *bench_prog = "bench";

/* ---- clock, waiting, errors ---- */

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(unsigned long ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void bench_spin_ns(unsigned long ns)
{
	uint64_t end = bench_now_ns() + ns;

	while (bench_now_ns() < end)
		bench_cpu_relax();
}

pid_t bench_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

unsigned long bench_parse_ul(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "%s: bad %s: %s\n", bench_prog, what, s);
		exit(2);
	}
	return v;
}

void bench_log(int level, const char *msg, void *arg)
{
	static char seen[16][160];
	static unsigned int nseen;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < nseen; i++) {
		if (!strncmp(seen[i], msg, sizeof(seen[i]) - 1)) {
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	if (nseen < 16)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", msg);
	fprintf(stderr, "irqcore: %s\n", msg);
	pthread_mutex_unlock(&lock);
}

/* ---- placement and scheduling ---- */

void bench_pin_self(const cpu_set_t *set)
{
	if (sched_setaffinity(0, sizeof(*set), set))
		fprintf(stderr, "%s: sched_setaffinity: %s\n", bench_prog, strerror(errno));
}

int bench_first_cpu(const cpu_set_t *set)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set))
			return c;
	return -1;
}

const char *bench_policy_name(int policy)
{
	switch (policy) {
	case SCHED_FIFO: return "SCHED_FIFO";
	case SCHED_RR: return "SCHED_RR";
	case SCHED_OTHER: return "SCHED_OTHER";
	default: return "other";
	}
}

int bench_set_fifo(pid_t tid, int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	return sched_setscheduler(tid, prio > 0 ? SCHED_FIFO : SCHED_OTHER, &sp) ? errno : 0;
}

void bench_thread_create(pthread_t *t, void *(*fn)(void *), void *arg, const cpu_set_t *cpus)
{
	struct sched_param sp = { .sched_priority = 0 };
	pthread_attr_t attr;
	int ret;

	if ((ret = pthread_attr_init(&attr)) ||
	    (ret = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED)) ||
	    (ret = pthread_attr_setschedpolicy(&attr, SCHED_OTHER)) ||
	    (ret = pthread_attr_setschedparam(&attr, &sp)) ||
	    (cpus && (ret = pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus))) ||
	    (ret = pthread_create(t, &attr, fn, arg)))
		bench_die("pthread_create: %s", strerror(ret));
	pthread_attr_destroy(&attr);
}

void bench_print_woken(struct bench_sync *sync)
{
	pid_t tid = atomic_load_explicit(&sync->tid, memory_order_relaxed);
	char path[64], line[512], *p;
	char st = '?';
	int cpu = -1;
	FILE *f;

	if (!tid)
		return;		/* it has not run yet */
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) && p[1] == ' ') {
		/* after "pid (comm) ": the state is field 3, the CPU field 39 */
		st = p[2];
		p += 2;
		for (int field = 3; p && field < 39; field++)
			if ((p = strchr(p, ' ')))
				p++;
		if (p)
			cpu = atoi(p);
	}
	if (f)
		fclose(f);
	fprintf(stderr, "  woken side: thread %d: state %c, last on CPU %d, %s\n", (int)tid,
		st, cpu, bench_policy_name(sched_getscheduler(tid)));
}

struct bench_ctxsw bench_read_ctxsw(pid_t tid)
{
	struct bench_ctxsw c = { -1, -1 };
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return c;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "voluntary_ctxt_switches: %lld", &c.vol);
		sscanf(line, "nonvoluntary_ctxt_switches: %lld", &c.invol);
	}
	fclose(f);
	return c;
}

/* ---- the hand-off state ---- */

static void (*stall_report)(void);

void bench_set_stall_report(void (*fn)(void))
{
	stall_report = fn;
}

void bench_waiter_init(struct bench_waiter *w, const char *what)
{
	w->what = what;
	w->start = 0;
	w->spins = 0;
	w->stalled = false;
}

void bench_waiter_tick(struct bench_waiter *w)
{
	uint64_t now;

	if (++w->spins % 4096)
		return;
	now = bench_now_ns();
	if (!w->start) {
		w->start = now;
		return;
	}
	if (!w->stalled && now - w->start > STALL_NS) {
		fprintf(stderr, "%s: %s has not happened for %.0f s; waiting up to %.0f s\n",
			bench_prog, w->what, STALL_NS / 1e9, HANG_NS / 1e9);
		if (stall_report)
			stall_report();
		w->stalled = true;
	}
	if (now - w->start > HANG_NS) {
		if (stall_report)
			stall_report();
		bench_die("%s did not happen within %.0f s: a hang, not a slow host",
			  w->what, HANG_NS / 1e9);
	}
}

bool bench_waiter_done(struct bench_waiter *w)
{
	if (w->stalled) {
		fprintf(stderr, "%s: %s happened after %.1f s: a stall, counted in the "
			"sample\n", bench_prog, w->what, (bench_now_ns() - w->start) / 1e9);
		fflush(stderr);
	}
	return w->stalled;
}

bool bench_wait_done(struct bench_sync *s, uint32_t seen)
{
	struct bench_waiter w;

	bench_waiter_init(&w, "the woken side's run");
	/* acquire: paired with the release bump in bench_woken, so t1 is visible */
	while (atomic_load_explicit(&s->done, memory_order_acquire) == seen) {
		bench_cpu_relax();
		bench_waiter_tick(&w);
	}
	return bench_waiter_done(&w);
}

void bench_woken(struct bench_sync *s, uint64_t t1)
{
	atomic_store_explicit(&s->t1, t1, memory_order_relaxed);
	if (!atomic_load_explicit(&s->tid, memory_order_relaxed))
		atomic_store_explicit(&s->tid, bench_tid(), memory_order_relaxed);
	/* release: t1 and tid before the bump (paired with bench_wait_done) */
	atomic_fetch_add_explicit(&s->done, 1, memory_order_release);
}

void bench_bump_word(struct bench_sync *s)
{
	uint32_t w = atomic_load_explicit(&s->word, memory_order_relaxed);

	/* release: paired with the peer's acquire load of the word; A is the
	 * only writer, so a plain store, no read-modify-write */
	atomic_store_explicit(&s->word, w + 1u, memory_order_release);
}

/* ---- one measured series ---- */

void bench_side_init(struct bench_side *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	hist_init(&s->hist);
	s->ctxsw_ok = true;
}

void bench_record(struct bench_side *s, uint64_t t0, uint64_t t1)
{
	if (t1 < t0) {
		s->negative++;
		hist_record(&s->hist, 0);
	} else {
		hist_record(&s->hist, t1 - t0);
	}
}

void bench_add_ctxsw(struct bench_side *s, struct bench_ctxsw a, struct bench_ctxsw b)
{
	if (a.vol < 0 || b.vol < 0) {
		s->ctxsw_ok = false;
		return;
	}
	s->sleeps += b.vol - a.vol;
	s->preempts += b.invol - a.invol;
}

double bench_per_sample(const struct bench_side *s, long long v)
{
	return hist_count(&s->hist) ? (double)v / (double)hist_count(&s->hist) : 0.0;
}

/* ---- baseline peers ---- */

static void futex_loop(struct bench_peer *p)
{
	struct bench_sync *s = p->sync;
	uint32_t last = atomic_load_explicit(&s->word, memory_order_relaxed);

	for (;;) {
		uint32_t v;
		uint64_t t1;

		/* acquire: paired with A's release store of the word */
		while ((v = atomic_load_explicit(&s->word, memory_order_acquire)) == last)
			syscall(SYS_futex, &s->word, FUTEX_WAIT_PRIVATE, last, NULL, NULL, 0);
		t1 = bench_now_ns();
		last = v;
		if (atomic_load_explicit(&s->stop, memory_order_relaxed))
			return;
		bench_woken(s, t1);
	}
}

static void futex_kick(struct bench_peer *p)
{
	bench_bump_word(p->sync);
	syscall(SYS_futex, &p->sync->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void spin_loop(struct bench_peer *p)
{
	struct bench_sync *s = p->sync;
	uint32_t last = atomic_load_explicit(&s->word, memory_order_relaxed);

	for (;;) {
		uint32_t v;
		uint64_t t1;

		/* acquire: paired with A's release store of the word */
		while ((v = atomic_load_explicit(&s->word, memory_order_acquire)) == last)
			bench_cpu_relax();
		t1 = bench_now_ns();
		last = v;
		if (atomic_load_explicit(&s->stop, memory_order_relaxed))
			return;
		bench_woken(s, t1);
	}
}

static void spin_kick(struct bench_peer *p)
{
	bench_bump_word(p->sync);
}

void bench_peer_futex(struct bench_peer *p)
{
	p->setup = NULL;
	p->loop = futex_loop;
	p->kick = futex_kick;
}

void bench_peer_spin(struct bench_peer *p)
{
	p->setup = NULL;
	p->loop = spin_loop;
	p->kick = spin_kick;
}

static void *peer_main(void *arg)
{
	struct bench_peer *p = arg;

	if (p->name)
		pthread_setname_np(pthread_self(), p->name);
	/* the policy of the thread B stands in for; fall back quietly (the
	 * programs print what B got) */
	if (sched_setscheduler(0, p->policy, &p->param) == 0) {
		p->got_policy = p->policy;
		p->got_param = p->param;
	}
	if (p->setup)
		p->setup(p);
	atomic_store_explicit(&p->sync->tid, bench_tid(), memory_order_relaxed);
	/* release: the ready signal (paired with the starter's bench_wait_done) */
	atomic_fetch_add_explicit(&p->sync->done, 1, memory_order_release);
	p->loop(p);
	return NULL;
}

void bench_peer_start(struct bench_peer *p)
{
	uint32_t seen = atomic_load(&p->sync->done);

	p->got_policy = SCHED_OTHER;
	p->got_param.sched_priority = 0;
	atomic_store(&p->sync->stop, false);
	atomic_store(&p->sync->tid, 0);
	bench_thread_create(&p->thread, peer_main, p, p->cpus);
	bench_wait_done(p->sync, seen);		/* B is placed and about to wait */
	p->tid = atomic_load(&p->sync->tid);
}

void bench_peer_stop(struct bench_peer *p)
{
	atomic_store(&p->sync->stop, true);
	p->kick(p);
	pthread_join(p->thread, NULL);
}

/* ---- the machine ---- */

static void read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !p)
			continue;
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, len, "%s", p);
		break;
	}
	fclose(f);
}

void bench_loadavg(char *buf, size_t len)
{
	double a, b, c;
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
		snprintf(buf, len, "%.2f, %.2f, %.2f", a, b, c);
	fclose(f);
}

void bench_machine_read(struct bench_machine *m)
{
	cpu_set_t set;

	m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
	m->cpus_allowed = sched_getaffinity(0, sizeof(set), &set) ? (int)m->nproc
								   : CPU_COUNT(&set);
	cpu_model(m->model, sizeof(m->model));
	read_first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			m->clocksource, sizeof(m->clocksource));
	bench_loadavg(m->load, sizeof(m->load));
}

/* ---- the common figures JSON ---- */

void bench_report_init(struct bench_report *r)
{
	memset(r, 0, sizeof(*r));
}

static unsigned int report_series(struct bench_report *r, const char *id, const char *case_name,
				  const char *name, const struct hist *h)
{
	char key[sizeof(r->series[0].key)];
	unsigned int i;

	snprintf(key, sizeof(key), "%s/%s/%s", id, case_name, name);
	for (i = 0; i < r->nseries; i++)
		if (!strcmp(r->series[i].key, key))
			return i;
	if (r->nseries == BENCH_MAX_SERIES)
		bench_die("too many histograms for the report");
	snprintf(r->series[i].key, sizeof(r->series[i].key), "%s", key);
	r->series[i].h = h;
	r->nseries++;
	return i;
}

void bench_report_add(struct bench_report *r, const char *id, const char *case_name,
		      const char *value_name, const struct hist *value,
		      const char *baseline_name, const struct hist *baseline)
{
	unsigned int g = r->ngroups;

	if (g == BENCH_MAX_GROUPS)
		bench_die("too many figures for the report");
	snprintf(r->groups[g].id, sizeof(r->groups[g].id), "%s", id);
	snprintf(r->groups[g].case_name, sizeof(r->groups[g].case_name), "%s", case_name);
	snprintf(r->groups[g].baseline, sizeof(r->groups[g].baseline), "%s", baseline_name);
	r->groups[g].value = report_series(r, id, case_name, value_name, value);
	r->groups[g].base = report_series(r, id, case_name, baseline_name, baseline);
	r->ngroups++;
}

void bench_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void bench_json_open(FILE *f, const char *tool, const struct bench_machine *m,
		     void (*machine_extra)(FILE *f))
{
	char load_end[64];

	bench_loadavg(load_end, sizeof(load_end));
	fprintf(f, "{\n  \"tool\": ");
	bench_json_string(f, tool);
	fprintf(f, ",\n  \"machine\": {\n    \"cpus\": %ld,\n    \"cpus_allowed\": %d,\n"
		"    \"model\": ", m->nproc, m->cpus_allowed);
	bench_json_string(f, m->model);
	fprintf(f, ",\n    \"clocksource\": ");
	bench_json_string(f, m->clocksource);
	fprintf(f, ",\n    \"load\": ");
	bench_json_string(f, m->load);
	fprintf(f, ",\n    \"load_end\": ");
	bench_json_string(f, load_end);
	if (machine_extra)
		machine_extra(f);
	fprintf(f, "\n  }");
}

static const struct { const char *key; double p; } metrics[] = {
	{ "p50", 50.0 }, { "p99", 99.0 }, { "p99.9", 99.9 }, { "max", 100.0 },
};

void bench_json_close(FILE *f, const struct bench_report *r)
{
	const char *sep = "";

	fprintf(f, ",\n  \"figures\": [");
	for (unsigned int g = 0; g < r->ngroups; g++) {
		const struct hist *v = r->series[r->groups[g].value].h;
		const struct hist *b = r->series[r->groups[g].base].h;

		for (size_t k = 0; k < sizeof(metrics) / sizeof(metrics[0]); k++) {
			uint64_t x = hist_percentile(v, metrics[k].p);
			uint64_t y = hist_percentile(b, metrics[k].p);

			fprintf(f, "%s\n    {\"id\": ", sep);
			bench_json_string(f, r->groups[g].id);
			fprintf(f, ", \"case\": ");
			bench_json_string(f, r->groups[g].case_name);
			fprintf(f, ", \"metric\": \"%s\", \"unit\": \"ns\", \"value\": %" PRIu64
				", \"baseline\": ", metrics[k].key, x);
			bench_json_string(f, r->groups[g].baseline);
			fprintf(f, ", \"baseline_value\": %" PRIu64 ", \"ratio\": ", y);
			if (y)
				fprintf(f, "%.4f", (double)x / (double)y);
			else
				fprintf(f, "null");
			fprintf(f, ", \"higher_is_better\": false, \"samples\": %" PRIu64
				", \"baseline_samples\": %" PRIu64 ", \"histogram\": ",
				hist_count(v), hist_count(b));
			bench_json_string(f, r->series[r->groups[g].value].key);
			fprintf(f, ", \"baseline_histogram\": ");
			bench_json_string(f, r->series[r->groups[g].base].key);
			fprintf(f, "}");
			sep = ",";
		}
	}
	fprintf(f, "\n  ],\n  \"histograms\": {");
	for (unsigned int i = 0; i < r->nseries; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		bench_json_string(f, r->series[i].key);
		fprintf(f, ": ");
		hist_write_json(f, r->series[i].h, 6);
	}
	fprintf(f, "\n  }\n}\n");
}
