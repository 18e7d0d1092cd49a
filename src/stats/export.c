/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The statistics segment: /dev/shm/irqcore.<pid>, laid out as
 * stats/export_abi.h says, read by tools/irqtop in another process.
 *
 * The engine counts straight into it
 * ---------------------------------
 * The per-CPU counters the engine keeps are cells of the segment, not copies:
 * irqc__kstat_slot() (the handled count of kstat_irqs_cpu and
 * /proc/interrupts) points into handled[cpu][irq], the spurious detector
 * counts unhandled[cpu][irq], a timed chain adds to hard_ns/hard_max_ns, the
 * line's hard_total and the CPU's busy_ns, irq threads add to
 * thread_ns[irq]. Nothing copies them and no thread publishes them: a
 * reader sees each cell as its writer leaves it (relaxed 64-bit stores,
 * never torn on a 64-bit machine). With
 * IRQCORE_F_NO_EXPORT, or when /dev/shm cannot be used, the same layout lives
 * in private anonymous memory: one code path, only the backing differs.
 *
 * Hard-handler time costs one decrement per event: the thread that runs a
 * CPU's flows counts down from IRQC_EXP_SAMPLE_EVERY and times only the
 * event that reaches 0 (flow.c), adding its time scaled by the period;
 * without a segment (IRQCORE_F_NO_EXPORT) nobody reads handler time and no
 * event is timed. With IRQCORE_F_LATENCY every event is timed, and the raiser stamps the line
 * (irqc__lat_stamp, inside irqc__count_raised), so the flow's first event
 * also records how long after its raise it reached its handlers.
 *
 * Line records and the housekeeping thread
 * ----------------------------------------
 * A line's record (names, affinity, state) is rewritten whole, under the
 * line's sequence count, by irqc__exp_publish() with desc->lock held:
 * writers of one record are serialized by that lock, readers in any process
 * retry while the count is odd or moved (ck_sequence). The process-context
 * calls that change what a record shows publish it themselves. State that
 * the hot path changes (masked, a ONESHOT thread pending, the effective
 * CPU ...) is never published from there: the housekeeping thread
 * "irqcore-export" looks every IRQC_EXP_REFRESH_MS at the lines, republishes
 * the records that no longer match (taking desc->lock like any writer), and
 * refreshes the heartbeat, the ERR total and coalesced[] (the sum of the
 * engine's per-thread rows, stats/counters.c). It runs only when the segment
 * is shared, starts after init and stops before anything it reads is freed.
 *
 * Lifetime: created by irqcore_init() before any CPU exists, removed by
 * irqcore_shutdown() after the last writer (CPU, irq thread) is gone, and
 * at normal process exit by an atexit handler if still there. Creation
 * never fails init: without /dev/shm the counters stay private (one
 * warning per process).
 */
#include "stats.h"

#include <ck_sequence.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The ABI's fixed sizes (irqtop checks header_size etc. against its own). */
_Static_assert(sizeof(struct irqc_exp_header) == 248, "header layout");
_Static_assert(sizeof(struct irqc_exp_cpu) == 64, "cpu record layout");
_Static_assert(sizeof(struct irqc_exp_line) == 320, "line record layout");
_Static_assert(offsetof(struct irqc_exp_line, state) == 4 &&
	       offsetof(struct irqc_exp_line, effective_cpu) == 8 &&
	       sizeof(struct irqc_exp_line) % 8 == 0, "line record words");
_Static_assert(offsetof(struct irqc_exp_cpu, busy_ns) % 8 == 0 &&
	       offsetof(struct irqc_exp_cpu, passes) % 8 == 0, "cpu record words");
/* line.seq is a ck_sequence_t */
_Static_assert(sizeof(ck_sequence_t) == sizeof(uint32_t) &&
	       _Alignof(ck_sequence_t) <= _Alignof(uint32_t), "ck_sequence_t in seq");
_Static_assert((IRQC_EXP_SAMPLE_EVERY & (IRQC_EXP_SAMPLE_EVERY - 1)) == 0,
	       "sampling period: a power of two");
_Static_assert(IRQCORE_MAX_CPUS <= IRQC_EXP_AFF_WORDS * 64, "affinity words");

struct irqc_export irqc_exp;
_Thread_local int32_t irqc_exp_countdown;

/* The segment of this process while it exists, for the atexit handler. */
static _Atomic pid_t live_pid;
static char live_name[32];
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;
static _Atomic bool create_warned;	/* per process, not per init */

#define NS_PER_S	1000000000ull

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Plain-typed ABI fields shared with readers: GCC atomics on them. */
#define LD32(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define ST64(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* ---- layout ---- */

/* Offsets and total size (export_abi.h). */
static void layout(struct irqc_exp_header *h, bool latency)
{
	irqc_exp_layout(h, irqc.nr_cpus, irqc.nr_irqs, latency);
}

static void read_comm(char out[IRQC_EXP_NAME_LEN])
{
	FILE *f = fopen("/proc/self/comm", "re");
	char buf[64] = "";

	if (!f || !fgets(buf, sizeof(buf), f))
		snprintf(buf, sizeof(buf), "%s", program_invocation_short_name);
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	memset(out, 0, IRQC_EXP_NAME_LEN);
	memcpy(out, buf, strnlen(buf, IRQC_EXP_NAME_LEN - 1));
}

/* ---- the backing: /dev/shm or private memory ---- */

static void exp_atexit(void)
{
	/* only the process that created it: a forked child exits too */
	if (atomic_load(&live_pid) == getpid())
		shm_unlink(live_name);
}

static void register_atexit(void)
{
	atexit(exp_atexit);
}

static void warn_create(const char *name, int err)
{
	bool expected = false;

	if (atomic_compare_exchange_strong(&create_warned, &expected, true))
		irqc_warn("statistics export: cannot create /dev/shm%s (%s); statistics stay "
			  "private to the process", name, strerror(err));
}

/*
 * Create /dev/shm/irqcore.<pid> with size bytes and map it. The pages are
 * reserved now (posix_fallocate): a full /dev/shm fails here, with a
 * fallback, rather than with SIGBUS when a CPU first touches a counter.
 * NULL on failure (warned).
 */
static void *shm_create(size_t size, char name[32])
{
	void *p;
	int fd, err;

	snprintf(name, 32, IRQC_EXP_SHM_FMT, (int)getpid());
	(void)shm_unlink(name);		/* a stale one: a dead process had our PID */
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		warn_create(name, errno);
		return NULL;
	}
	err = fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)size) < 0 ? errno : 0;
	if (!err)
		err = posix_fallocate(fd, 0, (off_t)size);
	p = err ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED && !err)
		err = errno;
	close(fd);
	if (err) {
		shm_unlink(name);
		warn_create(name, err);
		return NULL;
	}
	return p;
}

int irqc__export_init(void)
{
	bool latency = irqc.cfg.flags & IRQCORE_F_LATENCY;
	struct irqc_exp_header h;
	char *base = NULL;
	char name[32] = "";

	memset(&irqc_exp, 0, sizeof(irqc_exp));
	memset(&h, 0, sizeof(h));
	layout(&h, latency);
	if (!(irqc.cfg.flags & IRQCORE_F_NO_EXPORT))
		base = shm_create(h.total_size, name);
	irqc_exp.shared = base != NULL;
	if (!base) {
		base = mmap(NULL, h.total_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			return -ENOMEM;
	}
	irqc_exp.base = base;
	irqc_exp.size = h.total_size;
	if (latency) {
		irqc_exp.raised_at = calloc(irqc.nr_irqs, sizeof(*irqc_exp.raised_at));
		if (!irqc_exp.raised_at)
			return -ENOMEM;		/* teardown calls irqc__export_fini */
	}
	/* handler time is read only from the segment: without one (and
	 * without latency tracking) no event is timed */
	irqc_exp.sample_every = latency ? 1 : irqc_exp.shared ? IRQC_EXP_SAMPLE_EVERY : 0;
	irqc_exp.stride = irqc.nr_irqs;
	irqc_exp.hdr = (struct irqc_exp_header *)base;
	irqc_exp.cpus = (struct irqc_exp_cpu *)(base + h.cpu_off);
	irqc_exp.lines = (struct irqc_exp_line *)(base + h.line_off);
	irqc_exp.handled = (_Atomic uint64_t *)(base + h.handled_off);
	irqc_exp.unhandled = (_Atomic uint64_t *)(base + h.unhandled_off);
	irqc_exp.hard_ns = (_Atomic uint64_t *)(base + h.hard_ns_off);
	irqc_exp.hard_max = (_Atomic uint64_t *)(base + h.hard_max_off);
	irqc_exp.hard_total = (_Atomic uint64_t *)(base + h.hard_total_off);
	irqc_exp.thread_ns = (_Atomic uint64_t *)(base + h.thread_ns_off);
	irqc_exp.coalesced = (_Atomic uint64_t *)(base + h.coalesced_off);
	irqc_exp.lat = latency ? (_Atomic uint64_t *)(base + h.lat_off) : NULL;

	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		bool external = irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS;

		irqc_exp.cpus[c].external = external;
		irqc_exp.cpus[c].os_cpu = external || irqc.cfg.no_pinning ? -1 :
					  irqc__topo_os_cpu(c);
	}
	h.version = IRQC_EXP_VERSION;
	h.header_size = sizeof(struct irqc_exp_header);
	h.cpu_size = sizeof(struct irqc_exp_cpu);
	h.line_size = sizeof(struct irqc_exp_line);
	h.lat_buckets = latency ? IRQC_EXP_LAT_BUCKETS : 0;
	h.nr_cpus = irqc.nr_cpus;
	h.nr_irqs = irqc.nr_irqs;
	h.flags = latency ? IRQC_EXP_F_LATENCY : IRQC_EXP_F_TIME_SAMPLED;
	h.time_sample_every = irqc_exp.sample_every;
	h.pid = (int32_t)getpid();
	h.start_realtime_ns = clock_ns(CLOCK_REALTIME);
	h.start_mono_ns = clock_ns(CLOCK_MONOTONIC);
	h.heartbeat_mono_ns = h.start_mono_ns;
	read_comm(h.comm);
	memcpy(base, &h, sizeof(h));	/* magic still 0 */
	/* release: a reader that sees the magic sees the header (ABI notes) */
	__atomic_store_n(&irqc_exp.hdr->magic, IRQC_EXP_MAGIC, __ATOMIC_RELEASE);

	if (irqc_exp.shared) {
		memcpy(live_name, name, sizeof(live_name));
		atomic_store(&live_pid, getpid());
		pthread_once(&atexit_once, register_atexit);
	}
	return 0;
}

void irqc__export_fini(void)
{
	if (irqc_exp.base) {
		if (irqc_exp.shared) {
			/* readers still mapping it: the counters are final */
			__atomic_fetch_or(&irqc_exp.hdr->flags, IRQC_EXP_F_CLOSED,
					  __ATOMIC_RELEASE);
			atomic_store(&live_pid, 0);
			shm_unlink(live_name);
		}
		munmap(irqc_exp.base, irqc_exp.size);
	}
	free(irqc_exp.raised_at);
	memset(&irqc_exp, 0, sizeof(irqc_exp));
}

/* ---- the counters' cold paths (hot-path helpers: internal.h) ---- */

void irqc__exp_stamp_now(unsigned int irq)
{
	/* relaxed: the raise that follows publishes it to the CPU (its
	 * seq_cst RMW on the bitmap or the line state, read by the CPU with
	 * acquire); raisers of one line overwrite each other (ABI notes) */
	atomic_store_explicit(&irqc_exp.raised_at[irq], irqc__mono_ns(), memory_order_relaxed);
}

/* The owner of line irq starts the flow of an event at `now`. */
void irqc__exp_latency(unsigned int irq, uint64_t now)
{
	uint64_t at, d;
	unsigned int b;

	if (!irqc_exp.lat)
		return;
	at = atomic_load_explicit(&irqc_exp.raised_at[irq], memory_order_relaxed);
	if (!at)
		return;			/* never stamped */
	d = now > at ? now - at : 0;	/* clocks of two PUs: never negative */
	b = d ? 63u - (unsigned int)__builtin_clzll(d) : 0;
	/* one writer: the line's owner (INPROGRESS) */
	irqc__inc_owned_n(&irqc_exp.lat[(size_t)irq * IRQC_EXP_LAT_BUCKETS + b], 1);
}

/*
 * A nested line's handled event: handle_nested_irq, the line's owner, in the
 * parent's thread, about to run the child's handlers. It counts the event in
 * the kstat cell of slot (the line's effective CPU) and, with latency
 * tracking, takes the sample that a flow takes in walk_chain_timed: from the
 * line's last raise (handle_nested_irq's own irqc__count_raised) to now. Not
 * a hot path: the parent thread talks to a slow bus.
 */
void irqc__exp_nested_event(struct irq_desc *desc, struct irqc_cpu *slot)
{
	irqc__kstat_inc(desc, slot);
	if (irqc_exp.lat)
		irqc__exp_latency(desc->irq, irqc__mono_ns());
}

/* A timed run of line irq's chain on CPU cpu took ns. Cells of CPU cpu,
 * written by it alone (as the line's owner for the line's cells), and the
 * line's total over all CPUs. */
void irqc__exp_hard_time(unsigned int irq, unsigned int cpu, uint64_t ns, bool outer)
{
	uint64_t scaled = ns * irqc_exp.sample_every;
	_Atomic uint64_t *max = irqc__exp_cell(irqc_exp.hard_max, cpu, irq);

	irqc__inc_owned_n(irqc__exp_cell(irqc_exp.hard_ns, cpu, irq), scaled);
	/* The line's total, for readers that want TIME% of every line without
	 * reading nr_cpus cells a line (irqtop). An RMW, so that its
	 * correctness does not rest on who owned the line last; relaxed: a
	 * counter that orders nothing, paired with the relaxed loads of
	 * readers (irqtop's segment.c, another process), which read it
	 * without reference to any other cell. Off the common path: one
	 * event in sample_every (every event with latency tracking, which
	 * reads the clock twice per event anyway). */
	atomic_fetch_add_explicit(&irqc_exp.hard_total[irq], scaled, memory_order_relaxed);
	if (ns > atomic_load_explicit(max, memory_order_relaxed))
		atomic_store_explicit(max, ns, memory_order_relaxed);
	if (outer)
		irqc__inc_owned_n((_Atomic uint64_t *)&irqc_exp.cpus[cpu].busy_ns, scaled);
}

/* ---- line records ---- */

/* Bits a record shows that change without desc->lock (hot paths, threads):
 * computed from atomics alone, so the housekeeping thread can compare them
 * without taking the lock. */
#define DYNAMIC_BITS	(IRQC_EXP_S_ACTIVE | IRQC_EXP_S_DISABLED | IRQC_EXP_S_MASKED |	\
			 IRQC_EXP_S_SPURIOUS | IRQC_EXP_S_ONESHOT |			\
			 IRQC_EXP_S_ONESHOT_PENDING | IRQC_EXP_S_NESTED |		\
			 IRQC_EXP_S_PERCPU | IRQC_EXP_S_NOBALANCING)

static uint32_t dynamic_state(struct irq_desc *desc)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_relaxed);
	unsigned int fl = atomic_load_explicit(&desc->status_flags, memory_order_relaxed);
	uint32_t st = 0;

	if (atomic_load_explicit(&desc->action, memory_order_relaxed))
		st |= IRQC_EXP_S_ACTIVE;
	if (s & IRQS_DISABLED)
		st |= IRQC_EXP_S_DISABLED;
	if (s & IRQS_MASKED)
		st |= IRQC_EXP_S_MASKED;
	if (s & IRQS_SPURIOUS)
		st |= IRQC_EXP_S_SPURIOUS;
	if (s & IRQS_ONESHOT)
		st |= IRQC_EXP_S_ONESHOT;
	if (atomic_load_explicit(&desc->threads_oneshot, memory_order_relaxed))
		st |= IRQC_EXP_S_ONESHOT_PENDING;
	if (fl & IRQ_NESTED_THREAD)
		st |= IRQC_EXP_S_NESTED;
	if (fl & IRQ_PER_CPU)
		st |= IRQC_EXP_S_PERCPU;
	if (fl & IRQ_NO_BALANCING)
		st |= IRQC_EXP_S_NOBALANCING;
	return st;
}

static void copy_name(char *dst, size_t len, const char *src)
{
	size_t n = src ? strnlen(src, len - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* Actions joined with ", ", cut with "..." when they do not fit. */
static void join_actions(struct irq_desc *desc, struct irqc_exp_line *r, bool *threaded)
{
	const size_t cap = IRQC_EXP_ACTIONS_LEN - 1;
	size_t len = 0, full = 0;

	for (struct irqaction *a = atomic_load(&desc->action); a; a = atomic_load(&a->next)) {
		const char *parts[2] = { r->nr_actions ? ", " : "", a->name ? a->name : "" };

		r->nr_actions++;
		*threaded |= a->thread_fn != NULL;
		for (int i = 0; i < 2; i++) {
			for (const char *c = parts[i]; *c; c++, full++)
				if (len < cap)
					r->actions[len++] = *c;
		}
	}
	if (full > cap)
		memcpy(&r->actions[cap - 3], "...", 3);
	r->actions[len] = '\0';
}

/* The record line desc should show. desc->lock held: the chain, the
 * affinity and the flags are stable. */
static void compose(struct irq_desc *desc, struct irqc_exp_line *r)
{
	const struct irq_chip *chip = atomic_load(&desc->chip);
	bool threaded = false, refused;

	memset(r, 0, sizeof(*r));
	join_actions(desc, r, &threaded);
	r->state = dynamic_state(desc);
	if (threaded)
		r->state |= IRQC_EXP_S_THREADED;
	/* what the threads run at, as they applied it (threaded/sched.c) */
	r->thread_prio = irqc__line_thread_prio(desc, &refused);
	if (refused)
		r->state |= IRQC_EXP_S_PRIO_REFUSED;
	if (desc->affinity_set)
		r->state |= IRQC_EXP_S_AFFINITY_SET;
	r->effective_cpu = atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);
	r->source_kind = 0;
	r->hwirq = desc->irq_data.hwirq;
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		if (CPU_ISSET(c, &desc->affinity))
			r->affinity[c / 64] |= 1ull << (c % 64);
	copy_name(r->chip, sizeof(r->chip), chip ? chip->name : NULL);
	copy_name(r->flow, sizeof(r->flow), atomic_load(&desc->flow_name));
}

/*
 * The sequence count around a record's rewrite: ck_sequence, whose writers
 * must be serialized (desc->lock). Under TSan the same protocol in C11
 * atomics that TSan models: ck_pr's stores are plain volatile ones to TSan,
 * which would see them race with the atomic loads of a reader in this
 * process (the stress test), and TSan does not model fences. There the
 * body's words are release stores instead of a fence after the odd count:
 * a reader whose acquire load reads one of them sees the odd count too.
 */
#if defined(__SANITIZE_THREAD__)
#define BODY_ORDER	__ATOMIC_RELEASE
#else
#define BODY_ORDER	__ATOMIC_RELAXED	/* ordered by ck_sequence's fences */
#endif

static void seq_write_begin(uint32_t *seq)
{
#if defined(__SANITIZE_THREAD__)
	__atomic_store_n(seq, LD32(seq) + 1, __ATOMIC_RELAXED);
#else
	ck_sequence_write_begin((ck_sequence_t *)seq);
#endif
}

static void seq_write_end(uint32_t *seq)
{
#if defined(__SANITIZE_THREAD__)
	/* release: the body before the even count */
	__atomic_store_n(seq, LD32(seq) + 1, __ATOMIC_RELEASE);
#else
	ck_sequence_write_end((ck_sequence_t *)seq);
#endif
}

static void record_store(struct irqc_exp_line *dst, const struct irqc_exp_line *src)
{
	seq_write_begin(&dst->seq);
	__atomic_store_n(&dst->state, src->state, BODY_ORDER);
	for (size_t off = offsetof(struct irqc_exp_line, effective_cpu); off < sizeof(*src);
	     off += 8) {
		uint64_t w;

		memcpy(&w, (const char *)src + off, 8);
		__atomic_store_n((uint64_t *)((char *)dst + off), w, BODY_ORDER);
	}
	seq_write_end(&dst->seq);
}

void irqc__exp_publish(struct irq_desc *desc)
{
	struct irqc_exp_line r;

	if (!irqc_exp.lines)
		return;
	compose(desc, &r);
	record_store(&irqc_exp.lines[desc->irq], &r);
	/* release: after the record's even count */
	__atomic_fetch_add(&irqc_exp.hdr->meta_gen, 1, __ATOMIC_RELEASE);
}

/* ---- housekeeping ---- */

/* Does the record still show what the hot paths left? Without the lock:
 * only the record's writers change it, and they hold desc->lock. */
static bool record_stale(struct irq_desc *desc, struct irqc_exp_line *rec)
{
	uint64_t w = __atomic_load_n((uint64_t *)&rec->effective_cpu, __ATOMIC_RELAXED);
	int32_t eff;

	memcpy(&eff, (char *)&w + offsetof(struct irqc_exp_line, effective_cpu) - 8, 4);
	if ((LD32(&rec->state) & DYNAMIC_BITS) != dynamic_state(desc))
		return true;
	/* thread priorities need no look: a thread publishes its line's
	 * record itself when it applies one (threaded/sched.c) */
	return eff != atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);
}

static uint64_t err_total(void)
{
	uint64_t sum = atomic_load_explicit(&irqc.err_other, memory_order_relaxed);

	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		sum += atomic_load_explicit(&irqc.cpus[c].err, memory_order_relaxed);
	return sum;
}

static void refresh(void)
{
	struct irq_desc *desc;

	ST64(&irqc_exp.hdr->err, err_total());
	irqc_for_each_desc(desc, it) {
		struct irqc_exp_line *rec = &irqc_exp.lines[desc->irq];
		uint64_t raised, coalesced;

		if (!atomic_load_explicit(&desc->action, memory_order_relaxed) && !LD32(&rec->seq))
			continue;	/* never shown */
		irqc__counts_read(desc->irq, &raised, &coalesced);
		atomic_store_explicit(&irqc_exp.coalesced[desc->irq], coalesced,
				      memory_order_relaxed);
		if (record_stale(desc, rec)) {
			pthread_mutex_lock(&desc->lock);
			irqc__exp_publish(desc);
			pthread_mutex_unlock(&desc->lock);
		}
	}
	ST64(&irqc_exp.hdr->heartbeat_mono_ns, clock_ns(CLOCK_MONOTONIC));
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC */
	pthread_t thread;
	bool started, stop;
} hk;
static pthread_once_t hk_once = PTHREAD_ONCE_INIT;

static void hk_once_init(void)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&hk.lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&hk.cond, &attr);
	pthread_condattr_destroy(&attr);
}

#define HK_NAME	"irqcore-export"	/* not "irqcore/...": those are the CPUs */

static void *hk_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), HK_NAME);
	pthread_mutex_lock(&hk.lock);
	while (!hk.stop) {
		uint64_t at;
		struct timespec ts;

		pthread_mutex_unlock(&hk.lock);
		refresh();
		pthread_mutex_lock(&hk.lock);
		at = clock_ns(CLOCK_MONOTONIC) + IRQC_EXP_REFRESH_MS * 1000000ull;
		ts.tv_sec = (time_t)(at / NS_PER_S);
		ts.tv_nsec = (long)(at % NS_PER_S);
		if (!hk.stop)
			pthread_cond_timedwait(&hk.cond, &hk.lock, &ts);
	}
	pthread_mutex_unlock(&hk.lock);
	return NULL;
}

void irqc__export_start(void)
{
	int ret;

	if (!irqc_exp.shared)
		return;		/* nobody reads private memory */
	pthread_once(&hk_once, hk_once_init);
	pthread_mutex_lock(&hk.lock);
	hk.stop = false;
	ret = pthread_create(&hk.thread, NULL, hk_main, NULL);
	if (ret == 0) {
		hk.started = true;
		pthread_setname_np(hk.thread, HK_NAME);
	} else {
		irqc_warn("statistics export: cannot start its thread (%s): no heartbeat",
			  strerror(ret));
	}
	pthread_mutex_unlock(&hk.lock);
}

void irqc__export_stop(void)
{
	pthread_once(&hk_once, hk_once_init);
	pthread_mutex_lock(&hk.lock);
	if (!hk.started) {
		pthread_mutex_unlock(&hk.lock);
		return;
	}
	hk.stop = true;
	pthread_cond_signal(&hk.cond);
	pthread_mutex_unlock(&hk.lock);
	pthread_join(hk.thread, NULL);
	hk.started = false;
}
