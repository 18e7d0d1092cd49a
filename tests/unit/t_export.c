/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The statistics segment /dev/shm/irqcore.<pid> (issue 11), read as irqtop
 * reads it: through the public API and the ABI header only. Every test
 * builds its configuration by hand: ut_config() turns the export off.
 */
#include "util_thr.h"
#include "../../src/stats/export_abi.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- a reader of the segment ------------------------------------------ */

struct seg {
	char *base;
	size_t size;
	const struct irqc_exp_header *h;
};

static void seg_path(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, IRQC_EXP_PATH_FMT, (int)pid);
}

static bool seg_exists(pid_t pid)
{
	char path[64];
	struct stat st;

	seg_path(pid, path, sizeof(path));
	return stat(path, &st) == 0;
}

static void seg_map(pid_t pid, struct seg *s)
{
	char path[64];
	struct stat st;
	int fd;

	seg_path(pid, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	ASSERT_GE(st.st_size, (long long)sizeof(struct irqc_exp_header));
	s->size = (size_t)st.st_size;
	s->base = mmap(NULL, s->size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(s->base != MAP_FAILED);
	close(fd);
	s->h = (const struct irqc_exp_header *)s->base;
	ASSERT_EQ(__atomic_load_n(&s->h->magic, __ATOMIC_ACQUIRE), IRQC_EXP_MAGIC);
	ASSERT_EQ(s->h->total_size, s->size);
}

static void seg_unmap(struct seg *s)
{
	munmap(s->base, s->size);
}

static uint64_t ld64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static uint64_t cell(const struct seg *s, uint64_t off, unsigned int cpu, unsigned int irq)
{
	return ld64((const uint64_t *)(s->base + off) + (size_t)cpu * s->h->nr_irqs + irq);
}

static uint64_t line_cell(const struct seg *s, uint64_t off, unsigned int irq)
{
	return ld64((const uint64_t *)(s->base + off) + irq);
}

static const struct irqc_exp_cpu *seg_cpu(const struct seg *s, unsigned int c)
{
	return (const struct irqc_exp_cpu *)(s->base + s->h->cpu_off) + c;
}

/* The record of a line under the sequence protocol, as a reader in another
 * process: copy, accept if the count was even and did not move. Acquire
 * loads of the body: a word of a newer write orders the last load of the
 * count after that write's odd count (no fence, which TSan cannot see). */
static bool try_read_line(const struct seg *s, unsigned int irq, struct irqc_exp_line *out)
{
	const char *rec = s->base + s->h->line_off + (size_t)irq * sizeof(*out);
	const uint32_t *seq = (const uint32_t *)rec;
	uint32_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);

	if (s1 & 1)
		return false;
	out->state = __atomic_load_n((const uint32_t *)(rec + 4), __ATOMIC_ACQUIRE);
	for (size_t off = 8; off < sizeof(*out); off += 8) {
		uint64_t w = __atomic_load_n((const uint64_t *)(rec + off), __ATOMIC_ACQUIRE);

		memcpy((char *)out + off, &w, 8);
	}
	if (__atomic_load_n(seq, __ATOMIC_RELAXED) != s1)
		return false;
	out->seq = s1;
	return true;
}

static struct irqc_exp_line read_line(const struct seg *s, unsigned int irq)
{
	struct irqc_exp_line r;

	for (int i = 0; i < 1000000; i++)
		if (try_read_line(s, irq, &r))
			return r;
	th_fail(__FILE__, __LINE__, "line %u: no stable read", irq);
}

/* Wait (at most 2 s, a few refreshes) until cond(line record) holds. */
#define WAIT_LINE(s, irq, r, cond) do {                                       \
	double wl_end_ = th_now() + 2.0;                                      \
	for (;;) {                                                            \
		(r) = read_line((s), (irq));                                  \
		if (cond)                                                     \
			break;                                                \
		if (th_now() > wl_end_)                                       \
			th_fail(__FILE__, __LINE__, "timeout: %s", #cond);    \
		ut_sleep_ms(10);                                              \
	}                                                                     \
} while (0)

/* ---- configuration ------------------------------------------------------ */

static void exp_config(struct irqcore_config *c, unsigned int nr_cpus, unsigned int flags)
{
	irqcore_config_init(c);
	c->nr_cpus = nr_cpus;
	c->nr_irqs = 256;
	c->flags = flags;		/* no IRQCORE_F_NO_EXPORT: see above */
	c->log = th_log;
	c->thread_priority = -1;	/* SCHED_OTHER: no warning, prio 0 */
}

static void exp_start(unsigned int nr_cpus, unsigned int flags)
{
	struct irqcore_config c;

	exp_config(&c, nr_cpus, flags);
	ASSERT_EQ(irqcore_init(&c), 0);
	if (flags & IRQCORE_F_EXTERNAL_CPUS)
		ASSERT_EQ(irqcore_cpu_attach(0), 0);
	th_log_reset();
}

static irqreturn_t spin_handler(int irq, void *dev_id)
{
	struct ut_dev *d = dev_id;
	double end = th_now() + 2e-6;

	while (th_now() < end)
		;
	atomic_fetch_add(&d->calls, 1);
	return (irqreturn_t)atomic_load(&d->ret);
}

/* ---- the segment ---------------------------------------------------------- */

TEST_T(segment_created_at_init, 20)
{
	struct stat st;
	struct seg s;
	char path[64];
	struct irqc_exp_line r;
	uint64_t hb;
	bool found;

	exp_start(2, 0);
	seg_path(getpid(), path, sizeof(path));
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_EQ(st.st_uid, getuid());
	seg_map(getpid(), &s);
	ASSERT_EQ(s.h->version, IRQC_EXP_VERSION);
	ASSERT_EQ(s.h->header_size, sizeof(struct irqc_exp_header));
	ASSERT_EQ(s.h->cpu_size, sizeof(struct irqc_exp_cpu));
	ASSERT_EQ(s.h->line_size, sizeof(struct irqc_exp_line));
	ASSERT_EQ(s.h->nr_cpus, 2);
	ASSERT_EQ(s.h->nr_irqs, 256);
	ASSERT_EQ(s.h->pid, getpid());
	ASSERT_EQ(s.h->lat_buckets, 0);
	ASSERT_EQ(s.h->lat_off, 0);
	ASSERT_EQ(s.h->flags, IRQC_EXP_F_TIME_SAMPLED);
	ASSERT_EQ(s.h->time_sample_every, 512);
	ASSERT_GT(s.h->start_realtime_ns, 0);
	ASSERT_GT(s.h->start_mono_ns, 0);
	/* regions: 64-byte aligned, in order, inside the segment */
	{
		const uint64_t offs[] = { s.h->cpu_off, s.h->line_off, s.h->handled_off,
					  s.h->unhandled_off, s.h->hard_ns_off,
					  s.h->hard_max_off, s.h->hard_total_off,
					  s.h->thread_ns_off, s.h->coalesced_off };
		const uint64_t lens[] = { 2 * sizeof(struct irqc_exp_cpu),
					  256 * sizeof(struct irqc_exp_line), 2 * 256 * 8,
					  2 * 256 * 8, 2 * 256 * 8, 2 * 256 * 8, 256 * 8,
					  256 * 8, 256 * 8 };
		uint64_t end = s.h->header_size;

		for (size_t i = 0; i < UT_ARRAY_SIZE(offs); i++) {
			ASSERT_EQ(offs[i] % 64, 0);
			ASSERT_GE(offs[i], end);
			end = offs[i] + lens[i];
			ASSERT_LE(end, s.h->total_size);
		}
	}
	/* the process's name, NUL-terminated */
	ASSERT_TRUE(memchr(s.h->comm, '\0', sizeof(s.h->comm)) != NULL);
	ASSERT_TRUE(strlen(s.h->comm) > 0);
	for (unsigned int c = 0; c < 2; c++) {
		ASSERT_EQ(seg_cpu(&s, c)->external, 0);
		ASSERT_GE(seg_cpu(&s, c)->os_cpu, -1);
	}
	/* a line nobody touched was never published */
	r = read_line(&s, 17);
	ASSERT_EQ(r.seq, 0);
	ASSERT_EQ(r.state, 0);
	/* the housekeeping thread keeps the heartbeat */
	ASSERT_EQ(ut_count_threads("irqcore-export", "irqcore-export", &found), 1);
	ASSERT_TRUE(found);
	hb = ld64(&s.h->heartbeat_mono_ns);
	ut_sleep_ms(700);
	ASSERT_GT(ld64(&s.h->heartbeat_mono_ns), hb);
	ASSERT_EQ(s.h->flags & IRQC_EXP_F_CLOSED, 0);

	irqcore_shutdown();
	/* gone from /dev/shm; our mapping says why */
	ASSERT_FALSE(seg_exists(getpid()));
	ASSERT_TRUE(__atomic_load_n(&s.h->flags, __ATOMIC_ACQUIRE) & IRQC_EXP_F_CLOSED);
	ASSERT_EQ(ut_count_threads("irqcore-export", NULL, NULL), 0);
	seg_unmap(&s);
	ASSERT_EQ(th_log_count("statistics export"), 0);
}

TEST_T(external_cpus_marked, 20)
{
	struct seg s;

	exp_start(2, IRQCORE_F_EXTERNAL_CPUS);
	seg_map(getpid(), &s);
	for (unsigned int c = 0; c < 2; c++) {
		ASSERT_EQ(seg_cpu(&s, c)->external, 1);
		ASSERT_EQ(seg_cpu(&s, c)->os_cpu, -1);
	}
	seg_unmap(&s);
	irqcore_shutdown();
}

TEST_T(no_export_creates_none, 20)
{
	struct irqcore_config c;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	exp_config(&c, 2, IRQCORE_F_NO_EXPORT | IRQCORE_F_EXTERNAL_CPUS);
	ASSERT_FALSE(seg_exists(getpid()));
	ASSERT_EQ(irqcore_init(&c), 0);
	ASSERT_EQ(irqcore_cpu_attach(0), 0);
	ASSERT_FALSE(seg_exists(getpid()));
	ASSERT_EQ(ut_count_threads("irqcore-export", NULL, NULL), 0);
	/* the same counters, in private memory */
	ASSERT_EQ(request_irq(5, ut_handler, 0, "p", &a), 0);
	{
		cpu_set_t m0 = ut_mask1(0);

		ASSERT_EQ(irq_set_affinity(5, &m0), 0);	/* our CPU */
	}
	ut_fire(5);
	ut_fire(5);
	ASSERT_EQ(kstat_irqs_cpu(5, 0), 2);
	ASSERT_EQ(kstat_irqs_usr(5), 2);
	free_irq(5, &a);
	irqcore_shutdown();
	ASSERT_FALSE(seg_exists(getpid()));
}

TEST_T(reinit_reuses_the_name, 20)
{
	char path[64];
	struct seg s;
	uint64_t start1;
	int fd;

	/* a stale segment of a dead process that had our PID */
	seg_path(getpid(), path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, "stale junk", 10), 10);
	close(fd);

	exp_start(1, 0);
	seg_map(getpid(), &s);		/* replaced: a valid header */
	start1 = s.h->start_mono_ns;
	seg_unmap(&s);
	irqcore_shutdown();
	ASSERT_FALSE(seg_exists(getpid()));

	exp_start(1, 0);
	seg_map(getpid(), &s);
	ASSERT_GT(s.h->start_mono_ns, start1);
	ASSERT_EQ(s.h->nr_cpus, 1);
	seg_unmap(&s);
	irqcore_shutdown();
	ASSERT_FALSE(seg_exists(getpid()));
}

TEST_T(removed_at_exit_by_its_process_only, 20)
{
	pid_t child;
	int status;

	/* a process that exits without irqcore_shutdown() */
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		struct irqcore_config c;

		exp_config(&c, 1, 0);
		c.log = NULL;
		if (irqcore_init(&c) || !seg_exists(getpid()))
			_exit(3);
		exit(0);		/* atexit handlers run */
	}
	ASSERT_EQ(waitpid(child, &status, 0), child);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_FALSE(seg_exists(child));

	/* a child of an initialized process exits: ours stays */
	exp_start(1, 0);
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
#if defined(__SANITIZE_ADDRESS__)
		/* LSan's check at exit would wait for allocator locks held by
		 * threads that did not fork with us */
		_exit(0);
#else
		exit(0);
#endif
	}
	ASSERT_EQ(waitpid(child, &status, 0), child);
	ASSERT_TRUE(seg_exists(getpid()));
	irqcore_shutdown();
	ASSERT_FALSE(seg_exists(getpid()));
}

TEST(unknown_flag_refused)
{
	struct irqcore_config c;

	ASSERT_EQ(IRQCORE_F_LATENCY, 0x40);
	ASSERT_EQ(IRQCORE_F_ALL, 0xff);
	exp_config(&c, 1, 0x100);
	ASSERT_EQ(irqcore_init(&c), -EINVAL);
	ASSERT_FALSE(seg_exists(getpid()));
}

/* ---- counters ------------------------------------------------------------- */

TEST_T(handled_is_kstat, 30)
{
	static const unsigned int lines[] = { 3, 70, 200 };
	struct ut_dev d[3];
	struct seg s;
	uint64_t total[3] = { 0 };

	exp_start(3, 0);
	seg_map(getpid(), &s);
	for (int i = 0; i < 3; i++) {
		ut_dev_init(&d[i], i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(lines[i], ut_handler, 0, "k", &d[i]), 0);
	}
	for (unsigned int cpu = 0; cpu < 3; cpu++) {
		for (int i = 0; i < 3; i++) {
			cpu_set_t m = ut_mask1((int)((cpu + (unsigned int)i) % 3));

			ASSERT_EQ(irq_set_affinity(lines[i], &m), 0);
			for (unsigned int n = 0; n <= cpu + (unsigned int)i; n++)
				ASSERT_EQ(irq_raise(lines[i]), 0);
		}
		ut_quiesce();
	}
	for (unsigned int irq = 0; irq < 256; irq++) {
		for (unsigned int c = 0; c < 3; c++) {
			uint64_t v = cell(&s, s.h->handled_off, c, irq);

			ASSERT_EQ(v, kstat_irqs_cpu(irq, (int)c));
			for (int i = 0; i < 3; i++)
				if (irq == lines[i])
					total[i] += v;
		}
	}
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(total[i], kstat_irqs_usr(lines[i]));
		ASSERT_EQ(total[i], (uint64_t)ut_calls(&d[i]));
		ASSERT_GT(total[i], 0);
		free_irq(lines[i], &d[i]);
	}
	seg_unmap(&s);
	irqcore_shutdown();
}

TEST_T(unhandled_counted_per_cpu, 20)
{
	struct ut_dev none, ok;
	struct seg s;
	cpu_set_t m0 = ut_mask1(0), m1 = ut_mask1(1);

	ut_dev_init(&none, 0, IRQ_NONE);
	ut_dev_init(&ok, 1, IRQ_HANDLED);
	exp_start(2, IRQCORE_F_EXTERNAL_CPUS);
	seg_map(getpid(), &s);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "none", &none), 0);
	ASSERT_EQ(request_irq(6, ut_handler, 0, "ok", &ok), 0);
	ASSERT_EQ(irq_set_affinity(5, &m0), 0);
	ASSERT_EQ(irq_set_affinity(6, &m0), 0);
	for (int i = 0; i < 3; i++) {
		ut_fire(5);
		ut_fire(6);
	}
	ASSERT_EQ(cell(&s, s.h->unhandled_off, 0, 5), 3);
	ASSERT_EQ(cell(&s, s.h->unhandled_off, 1, 5), 0);
	ASSERT_EQ(cell(&s, s.h->unhandled_off, 0, 6), 0);
	/* CPU 1: nobody drives it, quiesce drains it as CPU 1 */
	ASSERT_EQ(irq_set_affinity(5, &m1), 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(irq_raise(5), 0);
		ut_quiesce();
	}
	ASSERT_EQ(ut_calls(&none), 5);
	ASSERT_EQ(cell(&s, s.h->unhandled_off, 0, 5), 3);
	ASSERT_EQ(cell(&s, s.h->unhandled_off, 1, 5), 2);
	ASSERT_EQ(cell(&s, s.h->handled_off, 1, 5), 2);
	free_irq(5, &none);
	free_irq(6, &ok);
	seg_unmap(&s);
	irqcore_shutdown();
}

TEST_T(hard_time_sampled, 20)
{
	struct ut_dev a;
	struct seg s;
	uint64_t ns, max, p;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	exp_start(1, IRQCORE_F_EXTERNAL_CPUS);
	seg_map(getpid(), &s);
	ASSERT_EQ(request_irq(9, spin_handler, 0, "spin", &a), 0);
	/* one event in p is timed, whatever the phase: 3 in 3 p */
	p = s.h->time_sample_every;
	ASSERT_GT(p, 1);
	for (uint64_t i = 0; i < 3 * p; i++)
		ut_fire(9);
	ns = cell(&s, s.h->hard_ns_off, 0, 9);
	max = cell(&s, s.h->hard_max_off, 0, 9);
	ASSERT_GT(max, 1500);			/* the handler spins 2 us */
	ASSERT_EQ(ns % p, 0);			/* scaled samples */
	ASSERT_GE(ns, 3 * p * 1500ull);		/* three samples */
	ASSERT_LE(p * max, ns);
	ASSERT_EQ(ld64(&seg_cpu(&s, 0)->busy_ns), ns);
	/* the line's total is the sum of its cells (one CPU here) */
	ASSERT_EQ(line_cell(&s, s.h->hard_total_off, 9), ns);
	ASSERT_EQ(line_cell(&s, s.h->hard_total_off, 8), 0);
	free_irq(9, &a);
	seg_unmap(&s);
	irqcore_shutdown();
}

static irqreturn_t sleep_1ms_thread(int irq, void *dev_id)
{
	struct ut_dev *d = dev_id;

	ut_sleep_ms(1);
	atomic_fetch_add(&d->calls, 1);
	return IRQ_HANDLED;
}

TEST_T(thread_ns_grows, 20)
{
	struct ut_dev a;
	struct seg s;
	uint64_t ns;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	exp_start(1, 0);
	seg_map(getpid(), &s);
	ASSERT_EQ(request_threaded_irq(6, NULL, sleep_1ms_thread, IRQF_ONESHOT, "slow", &a), 0);
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(irq_raise(6), 0);
		ut_quiesce();
	}
	ASSERT_EQ(ut_calls(&a), 5);
	ns = line_cell(&s, s.h->thread_ns_off, 6);
	ASSERT_GE(ns, 5000000ull);
	ASSERT_LT(ns, 5000000000ull);
	ASSERT_EQ(line_cell(&s, s.h->thread_ns_off, 7), 0);
	free_irq(6, &a);
	seg_unmap(&s);
	irqcore_shutdown();
}

TEST_T(latency_one_sample_per_event, 30)
{
	struct ut_dev a;
	struct seg s;
	uint64_t handled = 0, samples = 0, hard = 0, busy = 0;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	exp_start(2, IRQCORE_F_LATENCY);
	seg_map(getpid(), &s);
	ASSERT_EQ(s.h->flags & (IRQC_EXP_F_LATENCY | IRQC_EXP_F_TIME_SAMPLED),
		  IRQC_EXP_F_LATENCY);
	ASSERT_EQ(s.h->time_sample_every, 1);
	ASSERT_EQ(s.h->lat_buckets, IRQC_EXP_LAT_BUCKETS);
	ASSERT_NE(s.h->lat_off, 0);
	ASSERT_EQ(s.h->lat_off % 64, 0);
	ASSERT_LE(s.h->lat_off + 256ull * IRQC_EXP_LAT_BUCKETS * 8, s.h->total_size);
	ASSERT_EQ(request_irq(4, ut_handler, 0, "lat", &a), 0);
	for (int round = 0; round < 20; round++) {
		cpu_set_t m = ut_mask1(round % 2);

		ASSERT_EQ(irq_set_affinity(4, &m), 0);
		for (int i = 0; i < 10; i++)	/* some coalesce */
			ASSERT_EQ(irq_raise(4), 0);
		ut_quiesce();
	}
	for (unsigned int c = 0; c < 2; c++) {
		handled += cell(&s, s.h->handled_off, c, 4);
		hard += cell(&s, s.h->hard_ns_off, c, 4);
		busy += ld64(&seg_cpu(&s, c)->busy_ns);
	}
	for (unsigned int b = 0; b < IRQC_EXP_LAT_BUCKETS; b++)
		samples += line_cell(&s, s.h->lat_off, 4 * IRQC_EXP_LAT_BUCKETS + b);
	ASSERT_GT(handled, 20);
	ASSERT_EQ(handled, kstat_irqs_usr(4));
	ASSERT_EQ(samples, handled);
	ASSERT_GT(hard, 0);		/* every run timed */
	ASSERT_EQ(busy, hard);
	/* the line's total: the sum of its per-CPU cells, on both CPUs */
	ASSERT_GT(cell(&s, s.h->hard_ns_off, 0, 4), 0);
	ASSERT_GT(cell(&s, s.h->hard_ns_off, 1, 4), 0);
	ASSERT_EQ(line_cell(&s, s.h->hard_total_off, 4), hard);
	ASSERT_EQ(line_cell(&s, s.h->hard_total_off, 5), 0);
	for (unsigned int b = 0; b < IRQC_EXP_LAT_BUCKETS; b++)	/* other lines: none */
		ASSERT_EQ(line_cell(&s, s.h->lat_off, 5 * IRQC_EXP_LAT_BUCKETS + b), 0);
	free_irq(4, &a);
	seg_unmap(&s);
	irqcore_shutdown();
}

/* A parent line's thread demultiplexes child NESTED_CHILD (handle_nested_irq,
 * as a GPIO expander's driver would). */
#define NESTED_PARENT	20
#define NESTED_CHILD	30

static irqreturn_t nested_parent_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	handle_nested_irq(NESTED_CHILD);
	return IRQ_HANDLED;
}

TEST_T(latency_of_nested_children, 30)
{
	const int n = 25;
	struct ut_dev child;
	struct seg s;
	uint64_t samples = 0, parent_samples = 0;
	int parent_tag;

	ut_dev_init(&child, 0, IRQ_HANDLED);
	exp_start(1, IRQCORE_F_LATENCY);
	seg_map(getpid(), &s);
	ASSERT_EQ(irq_set_nested_thread(NESTED_CHILD, true), 0);
	ASSERT_EQ(request_any_context_irq(NESTED_CHILD, ut_handler, 0, "child", &child),
		  IRQC_IS_NESTED);
	ASSERT_EQ(request_threaded_irq(NESTED_PARENT, NULL, nested_parent_thread, IRQF_ONESHOT,
				       "parent", &parent_tag), 0);
	for (int i = 0; i < n; i++) {		/* one at a time: none coalesce */
		ASSERT_EQ(irq_raise(NESTED_PARENT), 0);
		ut_quiesce();
	}
	ASSERT_EQ(ut_calls(&child), n);
	ASSERT_EQ(kstat_irqs_usr(NESTED_CHILD), n);
	for (unsigned int b = 0; b < IRQC_EXP_LAT_BUCKETS; b++) {
		samples += line_cell(&s, s.h->lat_off, NESTED_CHILD * IRQC_EXP_LAT_BUCKETS + b);
		parent_samples += line_cell(&s, s.h->lat_off,
					    NESTED_PARENT * IRQC_EXP_LAT_BUCKETS + b);
	}
	ASSERT_EQ(samples, n);			/* one per handled event */
	ASSERT_EQ(parent_samples, kstat_irqs_usr(NESTED_PARENT));
	free_irq(NESTED_PARENT, &parent_tag);
	free_irq(NESTED_CHILD, &child);
	seg_unmap(&s);
	irqcore_shutdown();
}

TEST_T(err_and_coalesced_refreshed, 20)
{
	struct ut_dev a;
	struct seg s;
	double end = th_now() + 2.0;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	exp_start(1, 0);
	seg_map(getpid(), &s);
	ASSERT_EQ(request_irq(8, ut_handler, 0, "co", &a), 0);
	disable_irq(8);
	for (int i = 0; i < 3; i++)	/* one latched, two coalesced */
		ASSERT_EQ(irq_raise(8), 0);
	ASSERT_EQ(irq_raise(9), 0);	/* no action: ERR */
	ut_quiesce();
	ASSERT_EQ(ut_status(8).coalesced, 2);
	while ((line_cell(&s, s.h->coalesced_off, 8) != 2 || ld64(&s.h->err) != 1) &&
	       th_now() < end)
		ut_sleep_ms(10);
	ASSERT_EQ(line_cell(&s, s.h->coalesced_off, 8), 2);
	ASSERT_EQ(ld64(&s.h->err), 1);
	enable_irq(8);
	ut_quiesce();
	ASSERT_EQ(ut_calls(&a), 1);
	free_irq(8, &a);
	seg_unmap(&s);
	irqcore_shutdown();
}

/* ---- line records ---------------------------------------------------------- */

TEST_T(record_of_a_shared_line, 20)
{
	struct ut_dev a, b, c;
	struct seg s;
	struct irqc_exp_line r;
	cpu_set_t m1 = ut_mask1(1), m0 = ut_mask1(0);
	uint64_t gen;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	exp_start(2, 0);
	seg_map(getpid(), &s);
	ASSERT_EQ(request_irq(9, ut_handler, IRQF_SHARED, "a", &a), 0);
	ASSERT_EQ(request_irq(9, ut_handler, IRQF_SHARED, "b", &b), 0);
	ASSERT_EQ(irq_set_affinity(9, &m1), 0);
	r = read_line(&s, 9);
	ASSERT_EQ(r.seq % 2, 0);
	ASSERT_GE(r.seq, 2);
	ASSERT_STR_EQ(r.chip, "irqcore");
	ASSERT_STR_EQ(r.flow, "edge");
	ASSERT_STR_EQ(r.actions, "a, b");
	ASSERT_EQ(r.nr_actions, 2);
	ASSERT_EQ(r.hwirq, 9);
	ASSERT_EQ(r.effective_cpu, 1);
	ASSERT_EQ(r.affinity[0], 0x2);
	for (int w = 1; w < IRQC_EXP_AFF_WORDS; w++)
		ASSERT_EQ(r.affinity[w], 0);
	ASSERT_EQ(r.state, IRQC_EXP_S_ACTIVE | IRQC_EXP_S_AFFINITY_SET);
	ASSERT_EQ(r.thread_prio, -1);
	ASSERT_EQ(r.source_kind, 0);

	/* a new action, then a new affinity */
	gen = ld64(&s.h->meta_gen);
	ASSERT_EQ(request_irq(9, ut_handler, IRQF_SHARED, "c", &c), 0);
	ASSERT_GT(ld64(&s.h->meta_gen), gen);
	r = read_line(&s, 9);
	ASSERT_STR_EQ(r.actions, "a, b, c");
	ASSERT_EQ(r.nr_actions, 3);
	ASSERT_EQ(irq_set_affinity(9, &m0), 0);
	r = read_line(&s, 9);
	ASSERT_EQ(r.effective_cpu, 0);
	ASSERT_EQ(r.affinity[0], 0x1);
	ASSERT_TRUE(free_irq(9, &a) != NULL);
	r = read_line(&s, 9);
	ASSERT_STR_EQ(r.actions, "b, c");
	ASSERT_EQ(r.nr_actions, 2);

	/* disable/enable, at once */
	disable_irq(9);
	r = read_line(&s, 9);
	ASSERT_TRUE(r.state & IRQC_EXP_S_DISABLED);
	enable_irq(9);
	r = read_line(&s, 9);
	ASSERT_FALSE(r.state & IRQC_EXP_S_DISABLED);

	/* a type change switches the flow */
	ASSERT_EQ(irq_set_irq_type(9, IRQ_TYPE_LEVEL_HIGH), 0);
	r = read_line(&s, 9);
	ASSERT_STR_EQ(r.flow, "level");
	ASSERT_EQ(irq_set_irq_type(9, IRQ_TYPE_EDGE_RISING), 0);

	/* the last action goes: an inactive, shut-down line */
	ASSERT_TRUE(free_irq(9, &b) != NULL);
	ASSERT_TRUE(free_irq(9, &c) != NULL);
	r = read_line(&s, 9);
	ASSERT_EQ(r.nr_actions, 0);
	ASSERT_STR_EQ(r.actions, "");
	ASSERT_FALSE(r.state & IRQC_EXP_S_ACTIVE);
	ASSERT_TRUE(r.state & IRQC_EXP_S_DISABLED);
	seg_unmap(&s);
	irqcore_shutdown();
}

static irqreturn_t hold_thread(int irq, void *dev_id)
{
	struct ut_dev *d = dev_id;

	atomic_fetch_add(&d->calls, 1);
	while (atomic_load(&d->ret) != IRQ_HANDLED)	/* until released */
		ut_sleep_ms(1);
	return IRQ_HANDLED;
}

TEST_T(record_of_threaded_and_long_lines, 20)
{
	struct ut_dev t, many[10];
	struct seg s;
	struct irqc_exp_line r;
	char names[10][32];

	ut_dev_init(&t, 0, IRQ_NONE);
	exp_start(1, 0);
	seg_map(getpid(), &s);
	ASSERT_EQ(request_threaded_irq(11, NULL, hold_thread, IRQF_ONESHOT, "thr", &t), 0);
	r = read_line(&s, 11);
	ASSERT_EQ(r.state & ~IRQC_EXP_S_MASKED,
		  IRQC_EXP_S_ACTIVE | IRQC_EXP_S_ONESHOT | IRQC_EXP_S_THREADED);
	ASSERT_EQ(r.thread_prio, 0);		/* thread_priority -1: SCHED_OTHER */
	ASSERT_STR_EQ(r.actions, "thr");

	/* a ONESHOT run pending: the hot path's state, seen within a refresh */
	ASSERT_EQ(irq_raise(11), 0);
	WAIT_LINE(&s, 11, r, (r.state & IRQC_EXP_S_ONESHOT_PENDING) &&
			     (r.state & IRQC_EXP_S_MASKED));
	atomic_store(&t.ret, IRQ_HANDLED);
	ut_quiesce();
	WAIT_LINE(&s, 11, r, !(r.state & (IRQC_EXP_S_ONESHOT_PENDING | IRQC_EXP_S_MASKED)));
	free_irq(11, &t);

	/* names that do not fit are cut with "..." */
	for (int i = 0; i < 10; i++) {
		ut_dev_init(&many[i], i, IRQ_HANDLED);
		snprintf(names[i], sizeof(names[i]), "device-number-%02d", i);
		ASSERT_EQ(request_irq(12, ut_handler, IRQF_SHARED, names[i], &many[i]), 0);
	}
	r = read_line(&s, 12);
	ASSERT_EQ(r.nr_actions, 10);
	ASSERT_EQ(strlen(r.actions), IRQC_EXP_ACTIONS_LEN - 1);
	ASSERT_EQ(strncmp(r.actions, "device-number-00, device-number-01, ", 36), 0);
	ASSERT_STR_EQ(r.actions + IRQC_EXP_ACTIONS_LEN - 4, "...");
	for (int i = 0; i < 10; i++)
		free_irq(12, &many[i]);
	seg_unmap(&s);
	irqcore_shutdown();
}

/* ---- thread priorities: what the threads run at --------------------------- */

static irqreturn_t quick_thread(int irq, void *dev_id)
{
	struct ut_dev *d = dev_id;

	(void)irq;
	atomic_fetch_add(&d->calls, 1);
	return IRQ_HANDLED;
}

/* irqcore with irq threads at the default priority (SCHED_FIFO 50). */
static void exp_start_fifo(void)
{
	struct irqcore_config c;

	exp_config(&c, 1, 0);
	c.thread_priority = 0;			/* the default: 50 */
	c.idle = IRQCORE_IDLE_SLEEP;		/* no RT thread spins */
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
}

#define PRIO_STATE(r)	((r).state & IRQC_EXP_S_PRIO_REFUSED)

/* Where SCHED_FIFO is allowed: the record shows the priority applied. */
TEST_T(thread_prio_fifo_applied, 30)
{
	struct ut_dev a;
	struct seg s;
	struct irqc_exp_line r;

	if (!tt_fifo_allowed()) {
		fprintf(stderr, "  (SCHED_FIFO not allowed here: not checked)\n");
		return;
	}
	ut_dev_init(&a, 0, IRQ_HANDLED);
	exp_start_fifo();
	seg_map(getpid(), &s);
	ASSERT_EQ(request_threaded_irq(7, NULL, quick_thread, IRQF_ONESHOT, "ff", &a), 0);
	WAIT_LINE(&s, 7, r, r.thread_prio == 50);
	ASSERT_EQ(PRIO_STATE(r), 0);
	ASSERT_EQ(irq_set_thread_priority(7, 20), 0);
	r = read_line(&s, 7);
	ASSERT_EQ(r.thread_prio, 20);
	ASSERT_EQ(irq_set_thread_priority(7, 0), 0);	/* SCHED_OTHER */
	r = read_line(&s, 7);
	ASSERT_EQ(r.thread_prio, 0);
	ASSERT_EQ(PRIO_STATE(r), 0);
	ASSERT_EQ(th_log_count("SCHED_FIFO"), 0);
	free_irq(7, &a);
	seg_unmap(&s);
	irqcore_shutdown();
}

/* Without the right: SCHED_OTHER with the refusal flag, never the priority
 * asked for, whether it came from the configuration or from
 * irq_set_thread_priority() before the line had a thread. */
TEST_T(thread_prio_after_fifo_refusal, 30)
{
	struct ut_dev a, b;
	struct seg s;
	struct irqc_exp_line r;

	if (!tt_drop_fifo_right()) {
		fprintf(stderr, "  (cannot drop the SCHED_FIFO right here: not checked)\n");
		return;
	}
	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	exp_start_fifo();
	seg_map(getpid(), &s);
	ASSERT_EQ(request_threaded_irq(7, NULL, quick_thread, IRQF_ONESHOT, "cfg", &a), 0);
	ASSERT_EQ(irq_set_thread_priority(8, 30), 0);	/* no thread yet: kept */
	ASSERT_EQ(request_threaded_irq(8, NULL, quick_thread, IRQF_ONESHOT, "set", &b), 0);
	/* each thread publishes its record once it has applied its priority */
	WAIT_LINE(&s, 7, r, PRIO_STATE(r) != 0);
	ASSERT_EQ(r.thread_prio, 0);
	WAIT_LINE(&s, 8, r, PRIO_STATE(r) != 0);
	ASSERT_EQ(r.thread_prio, 0);			/* not 30 */
	ASSERT_EQ(th_log_count("SCHED_FIFO"), 1);
	/* refused again: the threads and their records stay as they are */
	ASSERT_EQ(irq_set_thread_priority(7, 40), -EPERM);
	r = read_line(&s, 7);
	ASSERT_EQ(r.thread_prio, 0);
	ASSERT_NE(PRIO_STATE(r), 0);
	/* asking for SCHED_OTHER is granted: no refusal left to show */
	ASSERT_EQ(irq_set_thread_priority(7, 0), 0);
	r = read_line(&s, 7);
	ASSERT_EQ(r.thread_prio, 0);
	ASSERT_EQ(PRIO_STATE(r), 0);
	/* the threads work */
	ASSERT_EQ(irq_raise(7), 0);
	ASSERT_EQ(irq_raise(8), 0);
	ut_quiesce();
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(ut_calls(&b), 1);
	/* a line without a thread: -1 */
	ASSERT_EQ(request_irq(9, ut_handler, 0, "hard", &a), 0);
	r = read_line(&s, 9);
	ASSERT_EQ(r.thread_prio, -1);
	ASSERT_EQ(PRIO_STATE(r), 0);
	free_irq(9, &a);
	free_irq(8, &b);
	free_irq(7, &a);
	seg_unmap(&s);
	irqcore_shutdown();
}
