/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * export_abi.h — the layout of the statistics segment /dev/shm/irqcore.<pid>
 * that an initialised process publishes (unless IRQCORE_F_NO_EXPORT) and
 * that tools/irqtop reads. Shared by the library (src/stats/export.c) and
 * irqtop; nothing else includes it. Plain C types only (no ck or library
 * types), fixed-size fields, little-endian host order, all offsets from the
 * start of the segment.
 *
 * A reader trusts nothing in here: it checks magic, version, every size,
 * count and offset against the file size, and every string for a NUL within
 * its field, before using them; the segment may shrink, vanish or be
 * rewritten while it reads.
 *
 * Layout (each region starts on a 64-byte boundary):
 *
 *   struct irqc_exp_header                       at 0
 *   struct irqc_exp_cpu      cpus[nr_cpus]       at cpu_off
 *   struct irqc_exp_line     lines[nr_irqs]      at line_off
 *   uint64_t handled  [nr_cpus][nr_irqs]         at handled_off
 *   uint64_t unhandled[nr_cpus][nr_irqs]         at unhandled_off
 *   uint64_t hard_ns  [nr_cpus][nr_irqs]         at hard_ns_off
 *   uint64_t hard_max_ns[nr_cpus][nr_irqs]       at hard_max_off
 *   uint64_t hard_total[nr_irqs]                 at hard_total_off
 *   uint64_t thread_ns[nr_irqs]                  at thread_ns_off
 *   uint64_t coalesced[nr_irqs]                  at coalesced_off
 *   uint64_t lat[nr_irqs][IRQC_EXP_LAT_BUCKETS]  at lat_off (0 when latency
 *                                                tracking is off)
 *
 * Counter arrays are structure-of-arrays so that a reader refreshing a big
 * table reads only `handled` for every line and the other fields only for
 * the lines it shows. Each per-CPU cell is written by its CPU alone
 * (relaxed 64-bit stores, so a reader never sees a torn value on a 64-bit
 * machine); readers use relaxed loads. The per-line arrays (hard_total,
 * thread_ns, coalesced, lat) are written with relaxed atomic adds or
 * stores, read the same way.
 *
 * Per-line metadata (names, affinity, state) is published under a sequence
 * count (seq; odd while being written, as ck_sequence): a reader copies the
 * record, then accepts the copy only if seq was even and unchanged.
 *
 * Version 2 (a version-1 reader refuses it, and a version-2 reader refuses
 * version 1: the layout of the header changed):
 *
 *  - hard_total[irq]: the line's sampled hard-handler time over all CPUs,
 *    the sum of hard_ns[*][irq], kept by the library beside the per-CPU
 *    cells (one relaxed atomic add per timed run). A reader that wants
 *    TIME% of every line reads 8 bytes a line instead of 8 x nr_cpus. The
 *    two are separate stores: a reader may find the total a timed run
 *    ahead of or behind the cells' sum; they agree when the line is quiet.
 *  - thread_prio is what the line's threads run at, as they applied it
 *    (not the priority asked for), and the state bit IRQC_EXP_S_PRIO_REFUSED
 *    says that SCHED_FIFO was asked for and refused (no RT privilege): the
 *    threads run SCHED_OTHER, thread_prio 0.
 *  - Nested lines (handle_nested_irq) get latency samples like the others.
 *  - header_size stays 248: hard_total_off took one reserved word.
 *  - cpus[c].offline took half a reserved word of struct irqc_exp_cpu (its
 *    size stays 64): 1 while dispatcher c is offline (irqcore_cpu_offline);
 *    a writer that predates it leaves 0 there, which reads "online", so the
 *    version did not change.
 *
 * Why coalesced[] is per line, not per CPU: a raise coalesces in the thread
 * that raises (its bit was already pending, or the line was masked or
 * running), not on a CPU; the engine counts coalescing in per-raiser-thread
 * rows, so no CPU owns such a count. The housekeeping thread sums the rows
 * into coalesced[irq] every IRQC_EXP_REFRESH_MS: the figure lags by up to
 * that much, and has no per-CPU breakdown because there is none to give.
 *
 * Notes that hold for both versions:
 *
 *  - Creation: the segment is created zero-filled and sized, then the header
 *    is filled, and magic is stored last (a release store). A reader that
 *    finds magic 0 in the segment of a live PID may retry for a moment.
 *  - A line record whose seq is 0 was never published: the line was never
 *    requested nor configured (no action, the soft chip "irqcore", flow
 *    "edge"); show it as an inactive line. Every published record has an
 *    even seq >= 2. The library writes the record body in 64-bit words
 *    (seq and state in 32-bit ones); a reader may copy it in any way.
 *  - When records are written: at once by request/free, enable/disable
 *    (depth 0 <-> 1), affinity, chip/flow/type, status flags and thread
 *    priority changes (an irq thread publishes its line's record when it
 *    has applied its priority at start). The bits DISABLED, MASKED,
 *    SPURIOUS, ONESHOT_PENDING and ACTIVE, and effective_cpu, also change
 *    on hot paths: those are refreshed by the process every
 *    IRQC_EXP_REFRESH_MS at the latest.
 *    header.err, header.heartbeat_mono_ns and coalesced[] are refreshed every
 *    IRQC_EXP_REFRESH_MS too (coalesced[] for lines with an action or a
 *    published record).
 *  - handled holds the engine's own 64-bit per-CPU counts: kstat_irqs_cpu()
 *    and /proc/interrupts read the same cells (truncated). unhandled counts
 *    the events the spurious detector judged IRQ_NONE (threaded results
 *    judged as there: at the next event), per CPU, cumulative.
 *  - hard_ns / busy_ns: with IRQC_EXP_F_TIME_SAMPLED one event in
 *    time_sample_every (of those the thread driving a CPU runs) is timed
 *    (CLOCK_MONOTONIC around the line's hard handlers) and counted
 *    time_sample_every times: an estimate with the right mean. busy_ns also
 *    counts the tasklets a CPU runs (every pass that runs some is timed,
 *    unsampled). Without it (latency tracking on) every event is
 *    timed and time_sample_every is 1. A handler that runs another line's
 *    flow inline (generic_handle_irq) includes that line's time in its own
 *    hard_ns; busy_ns counts it once. hard_max_ns is the largest timed run
 *    (one run of the line's chain, unscaled).
 *  - thread_ns: wall-clock time of the line's thread_fn runs (all threads
 *    of the line), including time they slept.
 *  - lat[irq][b]: one sample per handled event (as handled) whose raise was
 *    time-stamped: the time from the line's most recent raise (irq_raise,
 *    irq_set_line, generic_handle_irq), as seen by the CPU when it starts
 *    the event's flow, to that moment. Raises that coalesce overwrite the
 *    stamp: a burst is measured from its last raise, so the figure is a
 *    lower bound of the wait of the burst's first event. Version 1 had no
 *    latency sample for events of nested lines (handle_nested_irq); version
 *    2 takes one when the child's handlers start. The raise being
 *    handle_nested_irq's own, the figure is the time from that call to the
 *    child's handlers; the parent's own wait is in the parent's histogram.
 */
#ifndef IRQCORE_EXPORT_ABI_H
#define IRQCORE_EXPORT_ABI_H

#include <stdint.h>

#define IRQC_EXP_MAGIC		0x43515249u	/* "IRQC" in memory order */
#define IRQC_EXP_VERSION	2u
#define IRQC_EXP_PATH_FMT	"/dev/shm/irqcore.%d"	/* pid */
#define IRQC_EXP_SHM_FMT	"/irqcore.%d"		/* shm_open name */

#define IRQC_EXP_NAME_LEN	16	/* chip, flow, process names */
#define IRQC_EXP_ACTIONS_LEN	128	/* action names joined with ", " */
#define IRQC_EXP_AFF_WORDS	16	/* 1024 CPUs */
#define IRQC_EXP_LAT_BUCKETS	64	/* log2 buckets: [b] counts latencies in
					   [2^b, 2^(b+1)) ns; [0] also counts 0 */

/* header.flags */
#define IRQC_EXP_F_LATENCY	0x1u	/* lat[] is filled */
#define IRQC_EXP_F_TIME_SAMPLED	0x2u	/* hard_ns is sampled (one event in
					   time_sample_every, scaled) */
#define IRQC_EXP_F_CLOSED	0x4u	/* irqcore shut down: the segment is
					   being removed; counters are final */

#define IRQC_EXP_REFRESH_MS	250	/* heartbeat, err, coalesced, state bits */

/* line.state bits */
#define IRQC_EXP_S_ACTIVE	0x001u	/* has an action */
#define IRQC_EXP_S_DISABLED	0x002u
#define IRQC_EXP_S_MASKED	0x004u
#define IRQC_EXP_S_SPURIOUS	0x008u	/* disabled by "nobody cared" */
#define IRQC_EXP_S_ONESHOT	0x010u	/* ONESHOT line */
#define IRQC_EXP_S_ONESHOT_PENDING 0x020u /* a ONESHOT thread run pending */
#define IRQC_EXP_S_THREADED	0x040u	/* an action has a thread_fn */
#define IRQC_EXP_S_NESTED	0x080u
#define IRQC_EXP_S_PERCPU	0x100u
#define IRQC_EXP_S_NOBALANCING	0x200u
#define IRQC_EXP_S_AFFINITY_SET	0x400u	/* the caller chose the affinity */
#define IRQC_EXP_S_PRIO_REFUSED	0x800u	/* SCHED_FIFO asked for, refused: the
					   threads run SCHED_OTHER (version 2) */

struct irqc_exp_header {
	uint32_t magic;			/* IRQC_EXP_MAGIC */
	uint32_t version;		/* IRQC_EXP_VERSION */
	uint32_t header_size;		/* sizeof(struct irqc_exp_header) */
	uint32_t cpu_size;		/* sizeof(struct irqc_exp_cpu) */
	uint32_t line_size;		/* sizeof(struct irqc_exp_line) */
	uint32_t lat_buckets;		/* IRQC_EXP_LAT_BUCKETS, or 0 */
	uint32_t nr_cpus;
	uint32_t nr_irqs;
	uint32_t flags;			/* IRQC_EXP_F_* */
	uint32_t time_sample_every;	/* with IRQC_EXP_F_TIME_SAMPLED */
	uint64_t total_size;		/* bytes of the whole segment */
	uint64_t cpu_off, line_off;
	uint64_t handled_off, unhandled_off, hard_ns_off, hard_max_off;
	uint64_t thread_ns_off, coalesced_off, lat_off;
	uint64_t hard_total_off;	/* version 2 */
	int32_t pid;
	uint32_t reserved0;
	uint64_t start_realtime_ns;	/* CLOCK_REALTIME at init */
	uint64_t start_mono_ns;		/* CLOCK_MONOTONIC at init */
	uint64_t heartbeat_mono_ns;	/* CLOCK_MONOTONIC, refreshed at least
					   every second while the process lives */
	uint64_t meta_gen;		/* bumped after any line's metadata changes */
	uint64_t err;			/* the ERR total of /proc/interrupts */
	char comm[IRQC_EXP_NAME_LEN];	/* the process's name */
	uint64_t reserved[7];
};

struct irqc_exp_cpu {			/* one dispatcher CPU */
	int32_t os_cpu;			/* OS processing unit, -1 unknown */
	uint32_t external;		/* 1: driven by a caller (external CPU) */
	uint64_t busy_ns;		/* time in handlers and tasklets (as hard_ns) */
	uint64_t passes;		/* drain passes */
	uint32_t offline;		/* 1: irqcore_cpu_offline, it gets no
					   line (A6; a reserved word before,
					   so 0 in older writers: online) */
	uint32_t reserved0;
	uint64_t reserved[4];
};

struct irqc_exp_line {
	uint32_t seq;			/* sequence count: odd while written */
	uint32_t state;			/* IRQC_EXP_S_* */
	int32_t effective_cpu;		/* -1 none */
	int32_t thread_prio;		/* what its threads run at: 1..99
					   SCHED_FIFO at that priority, 0
					   SCHED_OTHER, -1 no thread */
	uint32_t source_kind;		/* 0 none (fd sources come later) */
	uint32_t nr_actions;
	uint64_t hwirq;
	uint64_t affinity[IRQC_EXP_AFF_WORDS];	/* dispatcher CPUs, bit c */
	char chip[IRQC_EXP_NAME_LEN];
	char flow[IRQC_EXP_NAME_LEN];
	char actions[IRQC_EXP_ACTIONS_LEN];	/* "a, b" (cut with "..." if long) */
};

/* The layout: fills every offset and total_size of h for nr_cpus CPUs and
 * nr_irqs lines (lat_off 0 without latency), each region on a 64-byte
 * boundary. The one definition of where things are, for the library and
 * for whoever writes a segment (irqtop's tests). */
static inline uint64_t irqc_exp_align64(uint64_t x)
{
	return (x + 63) & ~(uint64_t)63;
}

static inline void irqc_exp_layout(struct irqc_exp_header *h, uint32_t nr_cpus,
				   uint32_t nr_irqs, int latency)
{
	uint64_t irqs = nr_irqs, cells = (uint64_t)nr_cpus * nr_irqs * 8;
	uint64_t off = irqc_exp_align64(sizeof(*h));

	h->cpu_off = off;
	off = irqc_exp_align64(off + (uint64_t)nr_cpus * sizeof(struct irqc_exp_cpu));
	h->line_off = off;
	off = irqc_exp_align64(off + irqs * sizeof(struct irqc_exp_line));
	h->handled_off = off;
	off = irqc_exp_align64(off + cells);
	h->unhandled_off = off;
	off = irqc_exp_align64(off + cells);
	h->hard_ns_off = off;
	off = irqc_exp_align64(off + cells);
	h->hard_max_off = off;
	off = irqc_exp_align64(off + cells);
	h->hard_total_off = off;
	off = irqc_exp_align64(off + irqs * 8);
	h->thread_ns_off = off;
	off = irqc_exp_align64(off + irqs * 8);
	h->coalesced_off = off;
	off = irqc_exp_align64(off + irqs * 8);
	h->lat_off = 0;
	if (latency) {
		h->lat_off = off;
		off = irqc_exp_align64(off + irqs * IRQC_EXP_LAT_BUCKETS * 8);
	}
	h->total_size = off;
}

#endif /* IRQCORE_EXPORT_ABI_H */
