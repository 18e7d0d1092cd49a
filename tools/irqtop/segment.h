/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * segment.h — irqtop's reader of the statistics segment
 * /dev/shm/irqcore.<pid> (layout: src/stats/export_abi.h).
 *
 * Pure data collection: no curses, no libsmartcols, no output. Every call
 * that can fail fills a struct seg_error with a code and a sentence saying
 * why (the caller prefixes "PID n: "). Nothing read from the segment is
 * trusted: see the correctness argument at the top of segment.c.
 *
 * Not thread-safe: irqtop is single-threaded, and the SIGBUS guard of
 * segment.c is one per process.
 */
#ifndef IRQTOP_SEGMENT_H
#define IRQTOP_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../src/stats/export_abi.h"

#define IRQTOP_MAX_CPUS		1024u
#define IRQTOP_MAX_IRQS		65536u
#define IRQTOP_STALE_NS		(5ull * 1000000000ull)	/* heartbeat age */
#define IRQTOP_META_RESCAN_NS	(1000000000ull)	/* see seg_sample() */
#define IRQTOP_DEFAULT_DIR	"/dev/shm"
#define IRQTOP_DIR_ENV		"IRQTOP_SHM_DIR"	/* tests point it elsewhere */

enum seg_status {
	SEG_OK = 0,
	SEG_ENOENT,	/* no segment for that PID */
	SEG_EOPEN,	/* open/fstat/mmap/read failed (errno in the message) */
	SEG_ENOTREG,	/* not a regular file */
	SEG_ESHORT,	/* smaller than its header or than total_size */
	SEG_EMAGIC,	/* foreign (or not yet initialised) */
	SEG_EVERSION,
	SEG_ELAYOUT,	/* header/cpu/line size or lat_buckets differ */
	SEG_ECOUNT,	/* nr_cpus or nr_irqs out of range */
	SEG_ERANGE,	/* a region out of range, misaligned or overlapping */
	SEG_EPID,	/* the header names another PID */
	SEG_ESTRING,	/* a string field without its NUL */
	SEG_ESHRUNK,	/* the file shrank while watched */
	SEG_ECHANGED,	/* the header's layout was rewritten while watched */
	SEG_EGONE,	/* the process exited or removed its segment */
	SEG_ENOMEM,
};

struct seg_error {
	enum seg_status code;
	char msg[320];
};

/* The directory holding the segments: $IRQTOP_SHM_DIR or /dev/shm. */
const char *seg_dir(void);

/* One dispatcher CPU, as of the last sample. */
struct seg_cpu {
	int32_t os_cpu;		/* -1 unknown */
	uint32_t external;
	bool offline;		/* irqcore_cpu_offline: no line placed there */
	uint64_t busy_ns, passes;
	uint64_t events;	/* sum of handled[cpu][*] */
	uint64_t d_events, d_busy_ns;	/* over the last interval */
};

/* Per-line metadata: the last copy accepted under the seq protocol, with
 * every string checked and made printable. */
struct seg_meta {
	bool valid;		/* false: no consistent copy read yet */
	uint32_t seq;
	uint32_t state;		/* IRQC_EXP_S_* */
	int32_t effective_cpu;	/* as published; may be out of range */
	int32_t thread_prio;
	uint32_t source_kind, nr_actions;
	uint64_t hwirq;
	uint64_t affinity[IRQC_EXP_AFF_WORDS];	/* bits >= nr_cpus cleared */
	char chip[IRQC_EXP_NAME_LEN];
	char flow[IRQC_EXP_NAME_LEN];
	char actions[IRQC_EXP_ACTIONS_LEN];
};

/* Per-line counters other than `handled`, read only for the lines shown
 * (and `hard_ns`, the line's hard_total, for the lines that changed when
 * sorting by time). */
struct seg_detail {
	uint64_t t_ns;		/* CLOCK_MONOTONIC of the last read, 0 never */
	uint64_t base_t_ns;	/* time base of the percentages */
	uint64_t base_hard_ns, base_thread_ns;
	uint64_t unhandled, coalesced, hard_ns, hard_max_ns, thread_ns;
	uint64_t lat_count, lat_p99_ns, lat_max_ns;	/* bucket upper bounds */
	double time_pct, thread_pct;
	uint64_t pct_sample;	/* the sample the percentages belong to */
};

struct seg {
	int fd;
	pid_t pid;
	bool check_liveness;	/* kill(pid, 0) and the path on each sample */
	char path[256];
	dev_t dev;
	ino_t ino;

	const unsigned char *map;
	size_t map_len;
	struct irqc_exp_header hdr;	/* the validated copy at open */
	char comm[IRQC_EXP_NAME_LEN];	/* printable */
	uint32_t nr_cpus, nr_irqs;
	bool latency;

	/* live header fields, as of the last sample */
	uint64_t heartbeat_ns, meta_gen, err;
	uint64_t meta_gen_seen;
	uint64_t meta_rescan_ns;	/* least time between two scans of every
					   record (IRQTOP_META_RESCAN_NS) */
	uint64_t meta_rescan_at;
	unsigned meta_unstable;	/* records kept from an older copy */

	/* samples */
	uint64_t nsamples;	/* 0 before the first */
	uint64_t now_ns, prev_now_ns, interval_ns;	/* interval 0: first */
	uint64_t events, d_events;	/* sum over all lines */
	struct seg_cpu *cpus;
	uint64_t *total, *prev_total, *delta;	/* per line, by IRQ number */
	struct seg_meta *meta;
	uint8_t *active;	/* meta valid and IRQC_EXP_S_ACTIVE (compact,
				   for the selection over every line) */
	struct seg_detail *det;
	uint64_t *scratch;	/* 2 * nr_irqs, for streamed detail reads */
	uint64_t *rowsum;	/* nr_cpus, scratch of seg_sample() */

	/* SEG_S_TIME: every line's hard_total at the last sample that read
	 * them (sample number hard_at), and its growth since the one before;
	 * hard_base_ok: that one read them too, d_hard is over interval_ns */
	uint64_t *hard_prev, *d_hard;
	uint64_t hard_at;
	bool hard_base_ok;
};

/* seg_open_fd() flags */
#define SEG_O_NOLIVENESS	0x1u	/* no kill(pid, 0) / path checks */

/*
 * Opens the segment of `pid` in seg_dir(), validates it and reads every
 * line's metadata once. On error *s is left closed (seg_close() is then a
 * no-op) and e says why.
 */
int seg_open(struct seg *s, pid_t pid, struct seg_error *e);
/* The same over an open descriptor (owned by *s afterwards, even on error);
 * expect_pid 0: any PID. */
int seg_open_fd(struct seg *s, int fd, pid_t expect_pid, unsigned flags,
		struct seg_error *e);
void seg_close(struct seg *s);

/*
 * Checks a header against the layout this irqtop knows and the file size.
 * Pure; exposed for the tests and the listing.
 */
int seg_check_header(const struct irqc_exp_header *h, uint64_t file_size,
		     pid_t expect_pid, struct seg_error *e);

/* seg_sample() flags */
#define SEG_S_TIME	0x1u	/* also read every line's hard_total */

/*
 * One refresh: checks that the process and its segment are still there
 * (SEG_EGONE otherwise) and that the file did not shrink (SEG_ESHRUNK) nor
 * its header change (SEG_ECHANGED); reads the live header fields, every
 * CPU record, the `handled` array of every line (totals and deltas paired
 * by IRQ number) and, when meta_gen moved (at most every meta_rescan_ns,
 * 1 s after seg_open()), the metadata records whose seq changed. Other
 * counters are left to seg_read_details(), which also re-reads the
 * metadata of the lines shown.
 */
int seg_sample(struct seg *s, unsigned flags, struct seg_error *e);

/*
 * Reads the metadata and the other counters of the n lines irqs[] (the
 * lines shown). from_sample: this read belongs to the sample just taken
 * (percentages are computed over the interval since the line's previous
 * such read); otherwise only counters are refreshed.
 */
int seg_read_details(struct seg *s, const uint32_t *irqs, size_t n,
		     bool from_sample, struct seg_error *e);

/* handled[cpu][irqs[k]] into percpu[k * nr_cpus + cpu], for the per-CPU
 * columns of the lines shown. */
int seg_read_percpu(struct seg *s, const uint32_t *irqs, size_t n,
		    uint64_t *percpu, struct seg_error *e);

/* TIME% and THREAD% of a line for the last interval; < 0: not known.
 * After two samples in a row with SEG_S_TIME, TIME% of every line is known,
 * over the same interval; otherwise that of the lines read by
 * seg_read_details() (over the time since their previous read) or without
 * events (0). */
double seg_time_pct(const struct seg *s, uint32_t irq);
double seg_thread_pct(const struct seg *s, uint32_t irq);
/* A sort key: lines in descending key order are in descending TIME% order
 * (for one sample; keys of two samples do not compare). */
uint64_t seg_time_key(const struct seg *s, uint32_t irq);

/* Uptime and heartbeat age relative to the last sample. */
uint64_t seg_uptime_ns(const struct seg *s);
int64_t seg_heartbeat_age_ns(const struct seg *s);

/* Test hook: called by seg_sample() after its file-size check and before
 * it reads the mapping (t_segment shrinks the file there). */
extern void (*seg_test_after_fstat)(struct seg *s);

/* ------------------------------------------------------------------ */
/* Listing and cleaning */

enum seg_state { SEG_LIVE, SEG_STALE, SEG_INVALID };

struct seg_info {
	pid_t pid;			/* from the file name */
	char name[32];			/* "irqcore.<pid>" */
	enum seg_state state;
	char why[160];			/* stale/invalid: the reason */
	char comm[IRQC_EXP_NAME_LEN];
	uint32_t nr_cpus, nr_irqs;
	uint64_t uptime_ns;
	int64_t heartbeat_age_ns;
	uid_t uid;
	bool pid_alive;		/* kill(pid, 0) did not say ESRCH */
	bool header_ok;
};

/*
 * Lists seg_dir()'s files named irqcore.<decimal pid> (regular files only,
 * no links), sorted by PID. *out is malloc()ed. Returns 0, or -1 with e set
 * when the directory cannot be read.
 */
int seg_scan(struct seg_info **out, size_t *n, struct seg_error *e);

/*
 * --clean: removes the segment if it is stale or invalid, owned by the
 * caller's uid, and its process is gone — or alive under that PID without
 * the segment mapped (a reused PID). Returns 1 removed, 0 kept, -1 the
 * removal failed; msg says what was done and why.
 */
int seg_clean_one(const struct seg_info *i, char *msg, size_t len);

/* CLOCK_MONOTONIC in ns */
uint64_t seg_now_ns(void);

#endif /* IRQTOP_SEGMENT_H */
