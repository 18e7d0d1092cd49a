/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_export — the statistics segment read while its records change.
 *
 * The main thread keeps changing one shared line: requests actions named
 * "a<k>" (k ascending, so a record's names are always ascending), frees
 * random ones, flips the affinity among the dispatchers, disables and
 * enables the line. A raiser thread fires the line meanwhile (the hot path
 * and the housekeeping thread, which republishes records whose state the
 * hot path changed, write too). A reader thread maps the segment as irqtop
 * does and reads the record under the sequence protocol, retrying while the
 * count is odd or moves. Every record the library writes is consistent, so
 * an accepted copy must be:
 *  - nr_actions == the number of names in actions, names "a<k>" ascending;
 *  - ACTIVE iff nr_actions > 0;
 *  - the effective CPU is one of the affinity's CPUs, no CPU beyond nr_cpus;
 *  - chip "irqcore", flow "edge", hwirq == the line, seq even.
 * Also: meta_gen and the line's handled counters never go back, and after
 * the run the record shows what the main thread left.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "irqcore.h"
#include "../harness.h"
#include "../../src/stats/export_abi.h"
#include "stress.h"

#include <fcntl.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE		20u
#define MAX_ACTIONS	6	/* "a<k>" names never fill the actions field */
#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 60)

static const char *base;		/* the segment, mapped read-only */
static const struct irqc_exp_header *hdr;
static unsigned int nr_cpus;
static atomic_bool done;

struct reader_stats {
	unsigned long long reads, retries, bad, backwards;
	char why[256];
};

static bool read_record(struct irqc_exp_line *out)
{
	const char *rec = base + hdr->line_off + (size_t)LINE * sizeof(*out);
	const uint32_t *seq = (const uint32_t *)rec;
	uint32_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);

	if (s1 & 1)
		return false;
	/* backwards, with a pause in the middle: a writer that overtakes the
	 * copy tears it (actions from one record, nr_actions from another) */
	for (size_t off = sizeof(*out) - 8; off >= 8; off -= 8) {
		uint64_t w = __atomic_load_n((const uint64_t *)(rec + off), __ATOMIC_ACQUIRE);

		memcpy((char *)out + off, &w, 8);
		if (off == offsetof(struct irqc_exp_line, actions))
			spin(50);
	}
	out->state = __atomic_load_n((const uint32_t *)(rec + 4), __ATOMIC_ACQUIRE);
	if (__atomic_load_n(seq, __ATOMIC_RELAXED) != s1)
		return false;
	out->seq = s1;
	return true;
}

/* NULL if the record is consistent, else why not. */
static const char *check_record(const struct irqc_exp_line *r)
{
	unsigned int n = 0;
	long last = -1;
	const char *p = r->actions;

	if (!memchr(r->actions, '\0', sizeof(r->actions)) ||
	    !memchr(r->chip, '\0', sizeof(r->chip)) || !memchr(r->flow, '\0', sizeof(r->flow)))
		return "unterminated string";
	if (r->seq & 1)
		return "odd seq";
	if (strcmp(r->chip, "irqcore") || strcmp(r->flow, "edge") || r->hwirq != LINE)
		return "chip/flow/hwirq";
	while (*p) {
		char *end;
		long k;

		if (n && strncmp(p, ", ", 2))
			return "separator";
		if (n)
			p += 2;
		if (*p != 'a')
			return "name";
		k = strtol(p + 1, &end, 10);
		if (end == p + 1 || k <= last)
			return "names not ascending";
		last = k;
		p = end;
		n++;
	}
	if (n != r->nr_actions)
		return "nr_actions != names";
	if (!!(r->state & IRQC_EXP_S_ACTIVE) != (n > 0))
		return "ACTIVE != has actions";
	if (r->effective_cpu < 0 || (unsigned int)r->effective_cpu >= nr_cpus ||
	    !(r->affinity[0] & (1ull << r->effective_cpu)))
		return "effective CPU outside the affinity";
	if (r->affinity[0] >> nr_cpus)
		return "affinity beyond nr_cpus";
	return NULL;
}

static void *reader_main(void *arg)
{
	struct reader_stats *st = arg;
	uint64_t last_gen = 0, last_handled[64] = { 0 };

	while (!atomic_load_explicit(&done, memory_order_acquire)) {
		struct irqc_exp_line r;
		const char *why;
		uint64_t gen = __atomic_load_n(&hdr->meta_gen, __ATOMIC_ACQUIRE);

		if (gen < last_gen)
			st->backwards++;
		last_gen = gen;
		for (unsigned int c = 0; c < nr_cpus && c < 64; c++) {
			uint64_t v = __atomic_load_n((const uint64_t *)(base + hdr->handled_off) +
						     (size_t)c * hdr->nr_irqs + LINE,
						     __ATOMIC_RELAXED);

			if (v < last_handled[c])
				st->backwards++;
			last_handled[c] = v;
		}
		if (!read_record(&r)) {
			st->retries++;
			continue;
		}
		st->reads++;
		why = r.seq ? check_record(&r) : NULL;	/* 0: not yet published */
		if (why) {
			if (!st->bad++)
				snprintf(st->why, sizeof(st->why),
					 "%s: seq %u state %#x nr %u actions \"%.60s\" eff %d aff %#llx",
					 why, r.seq, r.state, r.nr_actions, r.actions,
					 r.effective_cpu, (unsigned long long)r.affinity[0]);
		}
	}
	return NULL;
}

/* The actions on the line: dev_id is the slot, name "a<k>". */
struct act {
	bool used;
	unsigned int k;
	char name[16];
};

static atomic_ullong calls;

static irqreturn_t handler(int irq, void *dev_id)
{
	atomic_fetch_add(&calls, 1);
	return IRQ_HANDLED;
}

static void *raiser_main(void *arg)
{
	unsigned long long *failed = arg;

	while (!atomic_load_explicit(&done, memory_order_acquire)) {
		if (irq_raise(LINE))
			(*failed)++;
		spin(200);
	}
	return NULL;
}

TEST_T(records_never_torn, STRESS_TIMEOUT)
{
	struct irqcore_config cfg;
	struct reader_stats st = { 0 };
	struct act acts[MAX_ACTIONS] = { { 0 } };
	unsigned int next = 0, nr_present = 0, depth = 0;
	unsigned long long seed = 0x9e3779b97f4a7c15ull, ops = 0, raise_failed = 0;
	char path[64], expect[IRQC_EXP_ACTIONS_LEN] = "";
	struct stat sb;
	struct irqc_exp_line r;
	pthread_t reader, raiser;
	double end;
	int fd;

	irqcore_config_init(&cfg);
	nr_cpus = th_nr_threads(2) > 4 ? 4 : th_nr_threads(2);
	cfg.nr_cpus = nr_cpus;
	cfg.nr_irqs = 128;
	cfg.log = th_log;		/* export on: no IRQCORE_F_NO_EXPORT */
	ASSERT_EQ(irqcore_init(&cfg), 0);
	snprintf(path, sizeof(path), IRQC_EXP_PATH_FMT, (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fstat(fd, &sb), 0);
	base = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(base != MAP_FAILED);
	close(fd);
	hdr = (const struct irqc_exp_header *)base;
	ASSERT_EQ(__atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE), IRQC_EXP_MAGIC);
	ASSERT_EQ(hdr->nr_cpus, nr_cpus);

	atomic_store(&done, false);
	ASSERT_EQ(pthread_create(&reader, NULL, reader_main, &st), 0);
	ASSERT_EQ(pthread_create(&raiser, NULL, raiser_main, &raise_failed), 0);

	end = th_now() + th_stress_seconds() * 0.75;
	while (th_now() < end) {
		unsigned int op = (unsigned int)(xorshift(&seed) % 8);

		ops++;
		if (op < 3 && nr_present < MAX_ACTIONS) {
			struct act *a = acts;

			while (a->used)
				a++;
			a->used = true;
			a->k = next++;
			snprintf(a->name, sizeof(a->name), "a%u", a->k);
			ASSERT_EQ(request_irq(LINE, handler, IRQF_SHARED, a->name, a), 0);
			nr_present++;
		} else if (op < 6 && nr_present) {
			unsigned int i = (unsigned int)(xorshift(&seed) % MAX_ACTIONS);

			while (!acts[i].used)
				i = (i + 1) % MAX_ACTIONS;
			ASSERT_TRUE(free_irq(LINE, &acts[i]) == acts[i].name);
			acts[i].used = false;
			nr_present--;
		} else if (op == 6) {
			cpu_set_t m;

			CPU_ZERO(&m);
			for (unsigned int c = 0; c < nr_cpus; c++)
				if (xorshift(&seed) & 1)
					CPU_SET(c, &m);
			if (!CPU_COUNT(&m))
				CPU_SET(0, &m);
			ASSERT_EQ(irq_set_affinity(LINE, &m), 0);
		} else if (depth) {
			enable_irq(LINE);
			depth--;
		} else if (nr_present) {
			disable_irq_nosync(LINE);
			depth++;
		}
	}
	while (depth--)
		enable_irq(LINE);
	atomic_store_explicit(&done, true, memory_order_release);
	ASSERT_EQ(pthread_join(raiser, NULL), 0);
	ASSERT_EQ(pthread_join(reader, NULL), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);

	if (st.bad)
		fprintf(stderr, "  first bad record: %s\n", st.why);
	ASSERT_EQ(st.bad, 0);
	ASSERT_EQ(st.backwards, 0);
	ASSERT_EQ(raise_failed, 0);
	ASSERT_GT(st.reads, 100);
	ASSERT_GT(ops, 100);

	/* the last record is what the main thread left: registration order */
	for (unsigned int last = 0, n = 0; n < nr_present; n++) {
		struct act *min = NULL;

		for (unsigned int i = 0; i < MAX_ACTIONS; i++)
			if (acts[i].used && acts[i].k >= last && (!min || acts[i].k < min->k))
				min = &acts[i];
		snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect), "%s%s",
			 n ? ", " : "", min->name);
		last = min->k + 1;
	}
	ASSERT_TRUE(read_record(&r));
	ASSERT_TRUE(check_record(&r) == NULL);
	ASSERT_STR_EQ(r.actions, expect);
	ASSERT_EQ(r.nr_actions, nr_present);
	ASSERT_FALSE(r.state & IRQC_EXP_S_DISABLED && nr_present);
	printf("  %llu changes, %llu reads, %llu retries, meta_gen %llu\n", ops, st.reads,
	       st.retries, (unsigned long long)__atomic_load_n(&hdr->meta_gen, __ATOMIC_RELAXED));

	for (unsigned int i = 0; i < MAX_ACTIONS; i++)
		if (acts[i].used)
			ASSERT_TRUE(free_irq(LINE, &acts[i]) != NULL);
	ASSERT_GT(atomic_load(&calls), 0);
	munmap((void *)base, (size_t)sb.st_size);
	irqcore_shutdown();
}
