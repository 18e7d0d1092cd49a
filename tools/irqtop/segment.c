/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * segment.c — reading an irqcore statistics segment without trusting it.
 *
 * Why a corrupt, foreign, truncated or shrinking segment cannot crash us:
 *
 *  - The header is copied with pread() and checked before anything else is
 *    used: magic, version, the three record sizes (exact match: this irqtop
 *    reads layout version 2 as defined by export_abi.h, nothing larger),
 *    nr_cpus in 1..1024, nr_irqs in 1..65536, and every region (offset and
 *    length computed in 64 bits from the checked counts) 8-byte aligned,
 *    after the header, inside total_size and not overlapping another;
 *    total_size must not exceed the file size from fstat(). Only then is
 *    the file mapped, read-only, for total_size bytes.
 *  - All later accesses go through the pointers computed from that one
 *    validated copy. The live header is re-read each sample only to detect
 *    a rewrite (any layout field differing: SEG_ECHANGED) and for its
 *    free-running fields (heartbeat, meta_gen, err), which index nothing.
 *  - The file can shrink under the mapping, and touching a page past EOF
 *    raises SIGBUS. Each sample re-checks the size with fstat() first
 *    (SEG_ESHRUNK), and every pass over the mapping runs under a guard: a
 *    SIGBUS whose address lies inside the guarded mapping siglongjmp()s
 *    out of the pass, which then fails with SEG_ESHRUNK. The handler is
 *    installed with SA_NODEFER so that leaving it by siglongjmp() does not
 *    leave SIGBUS blocked; a SIGBUS elsewhere is handed to the previous
 *    disposition. The passes call nothing but loads and stores to our own
 *    buffers, so abandoning one half-way is safe; its results are dropped.
 *  - Metadata records are copied under the seq protocol (odd while being
 *    written): copy, then accept only if seq was even and unchanged; a few
 *    retries, else the previous good copy stays. Every string of an
 *    accepted copy must hold a NUL within its field (SEG_ESTRING) and is
 *    made printable ('?' for any byte outside 0x20..0x7e) before use.
 *  - Values (counts, CPUs, affinity bits) are data, never indices: the
 *    effective CPU is range-checked where it is printed, affinity bits past
 *    nr_cpus are dropped, counters that go backwards read as a reset.
 *
 * Counters are read with plain loads: each cell is an aligned 64-bit word
 * written by one CPU with relaxed stores (export_abi.h), so a load sees an
 * old or a new value, never a torn one; nothing orders one cell against
 * another and nothing needs to.
 */
#include "segment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

void (*seg_test_after_fstat)(struct seg *s);

#define META_TRIES	8

static int fail(struct seg_error *e, enum seg_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct seg_error *e, enum seg_status code, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		e->code = code;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -(int)code;
}

uint64_t seg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *seg_dir(void)
{
	const char *d = getenv(IRQTOP_DIR_ENV);

	return d && *d ? d : IRQTOP_DEFAULT_DIR;
}

/* ------------------------------------------------------------------ */
/* The SIGBUS guard */

static struct {
	sigjmp_buf env;
	const unsigned char *lo, *hi;
	volatile sig_atomic_t armed;
	bool installed;
	struct sigaction old;
} bus;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	const unsigned char *a = si ? (const unsigned char *)si->si_addr : NULL;

	if (bus.armed && a >= bus.lo && a < bus.hi) {
		bus.armed = 0;
		siglongjmp(bus.env, 1);
	}
	/* Not ours: restore the previous disposition; the faulting access
	 * repeats on return and meets it. */
	sigaction(SIGBUS, &bus.old, NULL);
	(void)sig;
	(void)uc;
}

static void install_sigbus(void)
{
	struct sigaction sa;

	if (bus.installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &bus.old) == 0)
		bus.installed = true;
}

typedef int (*pass_fn)(struct seg *s, void *arg, struct seg_error *e);

/* Runs fn over the mapping; a SIGBUS inside it ends the pass. */
static int guarded(struct seg *s, pass_fn fn, void *arg, struct seg_error *e)
{
	int rc;

	if (sigsetjmp(bus.env, 0)) {
		struct stat st;
		long long sz = fstat(s->fd, &st) == 0 ? (long long)st.st_size : -1;

		return fail(e, SEG_ESHRUNK,
			    "segment %s shrank while being read (now %lld bytes, "
			    "%zu expected)", s->path[0] ? s->path : "(fd)", sz,
			    s->map_len);
	}
	bus.lo = s->map;
	bus.hi = s->map + s->map_len;
	bus.armed = 1;
	rc = fn(s, arg, e);
	bus.armed = 0;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Header validation */

struct region {
	const char *name;
	uint64_t off, len;
};

static int cmp_region(const void *a, const void *b)
{
	const struct region *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static bool has_nul(const char *f, size_t n)
{
	return memchr(f, 0, n) != NULL;
}

/* Copies a NUL-terminated field, replacing every non-printable byte. */
static void printable(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
	}
	dst[i] = '\0';
}

int seg_check_header(const struct irqc_exp_header *h, uint64_t file_size,
		     pid_t expect_pid, struct seg_error *e)
{
	uint64_t cells, total = h->total_size;
	struct region r[10];
	size_t nr = 0;

	if (h->magic != IRQC_EXP_MAGIC) {
		if (all_zero(h, sizeof(*h)))
			return fail(e, SEG_EMAGIC, "the segment header is all "
				    "zeros (not an initialised irqcore segment)");
		return fail(e, SEG_EMAGIC, "not an irqcore segment (magic "
			    "0x%08x, expected 0x%08x)", h->magic, IRQC_EXP_MAGIC);
	}
	if (h->version != IRQC_EXP_VERSION)
		return fail(e, SEG_EVERSION, "segment layout version %u; this "
			    "irqtop reads version %u", h->version,
			    IRQC_EXP_VERSION);
	if (h->header_size != sizeof(struct irqc_exp_header) ||
	    h->cpu_size != sizeof(struct irqc_exp_cpu) ||
	    h->line_size != sizeof(struct irqc_exp_line))
		return fail(e, SEG_ELAYOUT, "record sizes header/cpu/line "
			    "%u/%u/%u, expected %zu/%zu/%zu", h->header_size,
			    h->cpu_size, h->line_size,
			    sizeof(struct irqc_exp_header),
			    sizeof(struct irqc_exp_cpu),
			    sizeof(struct irqc_exp_line));
	if (h->nr_cpus < 1 || h->nr_cpus > IRQTOP_MAX_CPUS)
		return fail(e, SEG_ECOUNT, "absurd CPU count %u (1..%u)",
			    h->nr_cpus, IRQTOP_MAX_CPUS);
	if (h->nr_irqs < 1 || h->nr_irqs > IRQTOP_MAX_IRQS)
		return fail(e, SEG_ECOUNT, "absurd line count %u (1..%u)",
			    h->nr_irqs, IRQTOP_MAX_IRQS);
	if (h->lat_buckets != 0 && h->lat_buckets != IRQC_EXP_LAT_BUCKETS)
		return fail(e, SEG_ELAYOUT, "%u latency buckets, expected %u",
			    h->lat_buckets, IRQC_EXP_LAT_BUCKETS);
	if ((h->flags & IRQC_EXP_F_LATENCY) &&
	    h->lat_buckets != IRQC_EXP_LAT_BUCKETS)
		return fail(e, SEG_ELAYOUT, "latency flag set with %u buckets",
			    h->lat_buckets);
	if (h->pid <= 0)
		return fail(e, SEG_EPID, "invalid PID %d in the segment header",
			    (int)h->pid);
	if (expect_pid > 0 && h->pid != expect_pid)
		return fail(e, SEG_EPID, "the segment header names PID %d",
			    (int)h->pid);
	if (!has_nul(h->comm, sizeof(h->comm)))
		return fail(e, SEG_ESTRING, "the process name in the segment "
			    "header is not terminated");
	if (total < sizeof(*h))
		return fail(e, SEG_ERANGE, "total_size %llu is smaller than "
			    "the header", (unsigned long long)total);
	if (total > file_size)
		return fail(e, SEG_ESHORT, "the segment is %llu bytes but its "
			    "header says %llu (truncated)",
			    (unsigned long long)file_size,
			    (unsigned long long)total);

	cells = (uint64_t)h->nr_cpus * h->nr_irqs * sizeof(uint64_t);
	r[nr++] = (struct region){ "CPU records", h->cpu_off,
				   (uint64_t)h->nr_cpus * h->cpu_size };
	r[nr++] = (struct region){ "line records", h->line_off,
				   (uint64_t)h->nr_irqs * h->line_size };
	r[nr++] = (struct region){ "handled", h->handled_off, cells };
	r[nr++] = (struct region){ "unhandled", h->unhandled_off, cells };
	r[nr++] = (struct region){ "hard_ns", h->hard_ns_off, cells };
	r[nr++] = (struct region){ "hard_max_ns", h->hard_max_off, cells };
	r[nr++] = (struct region){ "hard_total", h->hard_total_off,
				   (uint64_t)h->nr_irqs * sizeof(uint64_t) };
	r[nr++] = (struct region){ "thread_ns", h->thread_ns_off,
				   (uint64_t)h->nr_irqs * sizeof(uint64_t) };
	r[nr++] = (struct region){ "coalesced", h->coalesced_off,
				   (uint64_t)h->nr_irqs * sizeof(uint64_t) };
	if (h->flags & IRQC_EXP_F_LATENCY)
		r[nr++] = (struct region){ "latency histograms", h->lat_off,
			(uint64_t)h->nr_irqs * IRQC_EXP_LAT_BUCKETS *
			sizeof(uint64_t) };

	for (size_t i = 0; i < nr; i++) {
		if (r[i].off % 8)
			return fail(e, SEG_ERANGE, "%s at offset %llu are "
				    "misaligned", r[i].name,
				    (unsigned long long)r[i].off);
		if (r[i].off < sizeof(*h) || r[i].off > total ||
		    r[i].len > total - r[i].off)
			return fail(e, SEG_ERANGE, "%s at offset %llu (+%llu "
				    "bytes) lie outside the segment's %llu "
				    "bytes", r[i].name,
				    (unsigned long long)r[i].off,
				    (unsigned long long)r[i].len,
				    (unsigned long long)total);
	}
	qsort(r, nr, sizeof(r[0]), cmp_region);
	for (size_t i = 0; i + 1 < nr; i++)
		if (r[i].off + r[i].len > r[i + 1].off)
			return fail(e, SEG_ERANGE, "%s (offset %llu) overlap %s "
				    "(offset %llu)", r[i].name,
				    (unsigned long long)r[i].off, r[i + 1].name,
				    (unsigned long long)r[i + 1].off);
	return 0;
}

/* The fields that fix the layout: a live header differing in any of them
 * was rewritten under us. */
static bool same_layout(const struct irqc_exp_header *a,
			const struct irqc_exp_header *b)
{
	return a->magic == b->magic && a->version == b->version &&
	       a->header_size == b->header_size && a->cpu_size == b->cpu_size &&
	       a->line_size == b->line_size &&
	       a->lat_buckets == b->lat_buckets && a->nr_cpus == b->nr_cpus &&
	       a->nr_irqs == b->nr_irqs &&
	       (a->flags & IRQC_EXP_F_LATENCY) ==
		       (b->flags & IRQC_EXP_F_LATENCY) &&
	       a->total_size == b->total_size && a->cpu_off == b->cpu_off &&
	       a->line_off == b->line_off &&
	       a->handled_off == b->handled_off &&
	       a->unhandled_off == b->unhandled_off &&
	       a->hard_ns_off == b->hard_ns_off &&
	       a->hard_max_off == b->hard_max_off &&
	       a->hard_total_off == b->hard_total_off &&
	       a->thread_ns_off == b->thread_ns_off &&
	       a->coalesced_off == b->coalesced_off &&
	       a->lat_off == b->lat_off && a->pid == b->pid &&
	       a->start_mono_ns == b->start_mono_ns;
}

/* ------------------------------------------------------------------ */
/* Accessors into the mapping (valid only after validation) */

static inline const uint64_t *arr(const struct seg *s, uint64_t off)
{
	return (const uint64_t *)(const void *)(s->map + off);
}

static inline const struct irqc_exp_line *line_rec(const struct seg *s,
						   uint32_t irq)
{
	return (const struct irqc_exp_line *)(const void *)
		(s->map + s->hdr.line_off + (uint64_t)irq * s->hdr.line_size);
}

static inline const struct irqc_exp_cpu *cpu_rec(const struct seg *s,
						 uint32_t cpu)
{
	return (const struct irqc_exp_cpu *)(const void *)
		(s->map + s->hdr.cpu_off + (uint64_t)cpu * s->hdr.cpu_size);
}

/* ------------------------------------------------------------------ */
/* Metadata under the seq protocol */

/*
 * Copies line irq's record; accepts it only if seq was even before the
 * copy and unchanged after it. The acquire load of seq orders the copy
 * after it, and the acquire fence orders the copy before the second load:
 * paired with the writer's seq increments (odd before its stores, even
 * after them, with release semantics, as ck_sequence). Returns 1 accepted,
 * 0 kept the previous copy, or a negative error for a bad string.
 */
static int read_meta(struct seg *s, uint32_t irq, struct seg_error *e)
{
	const struct irqc_exp_line *L = line_rec(s, irq);
	struct seg_meta *m = &s->meta[irq];
	struct irqc_exp_line c;
	uint32_t s1, s2;

	for (int t = 0; t < META_TRIES; t++) {
		s1 = __atomic_load_n(&L->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		memcpy(&c, L, sizeof(c));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&L->seq, __ATOMIC_RELAXED);
		if (s1 != s2)
			continue;
		if (!has_nul(c.chip, sizeof(c.chip)) ||
		    !has_nul(c.flow, sizeof(c.flow)) ||
		    !has_nul(c.actions, sizeof(c.actions)))
			return fail(e, SEG_ESTRING, "line %u: %s name is not "
				    "terminated within its field", irq,
				    !has_nul(c.chip, sizeof(c.chip)) ? "chip" :
				    !has_nul(c.flow, sizeof(c.flow)) ? "flow" :
				    "action");
		m->seq = s1;
		s->active[irq] = 0;
		if (s1 == 0) {
			/* never published: an unused line of the soft chip */
			memset(m, 0, sizeof(*m));
			m->effective_cpu = -1;
			m->thread_prio = -1;
			strcpy(m->chip, "irqcore");
			strcpy(m->flow, "edge");
			m->valid = true;
			return 1;
		}
		m->state = c.state;
		m->effective_cpu = c.effective_cpu;
		m->thread_prio = c.thread_prio;
		m->source_kind = c.source_kind;
		m->nr_actions = c.nr_actions;
		m->hwirq = c.hwirq;
		for (unsigned w = 0; w < IRQC_EXP_AFF_WORDS; w++) {
			uint64_t bits = c.affinity[w];
			unsigned lo = w * 64;

			if (lo >= s->nr_cpus)
				bits = 0;
			else if (s->nr_cpus - lo < 64)
				bits &= (1ull << (s->nr_cpus - lo)) - 1;
			m->affinity[w] = bits;
		}
		printable(m->chip, c.chip, sizeof(m->chip));
		printable(m->flow, c.flow, sizeof(m->flow));
		printable(m->actions, c.actions, sizeof(m->actions));
		m->valid = true;
		s->active[irq] = (c.state & IRQC_EXP_S_ACTIVE) != 0;
		return 1;
	}
	s->meta_unstable++;
	return 0;
}

/* Re-reads the records whose seq moved (or that never gave a good copy). */
static int rescan_meta(struct seg *s, struct seg_error *e)
{
	for (uint32_t i = 0; i < s->nr_irqs; i++) {
		const struct irqc_exp_line *L = line_rec(s, i);
		uint32_t q = __atomic_load_n(&L->seq, __ATOMIC_RELAXED);

		if (!s->meta[i].valid || q != s->meta[i].seq) {
			int rc = read_meta(s, i, e);

			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int pass_open(struct seg *s, void *arg, struct seg_error *e)
{
	(void)arg;
	s->meta_rescan_ns = IRQTOP_META_RESCAN_NS;
	s->meta_rescan_at = seg_now_ns();
	s->meta_gen_seen = __atomic_load_n(&((const struct irqc_exp_header *)
		(const void *)s->map)->meta_gen, __ATOMIC_ACQUIRE);
	s->meta_unstable = 0;
	return rescan_meta(s, e);
}

/* ------------------------------------------------------------------ */
/* Open and close */

static void seg_init(struct seg *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

void seg_close(struct seg *s)
{
	if (s->map)
		munmap((void *)s->map, s->map_len);
	if (s->fd >= 0)
		close(s->fd);
	free(s->cpus);
	free(s->total);
	free(s->prev_total);
	free(s->delta);
	free(s->meta);
	free(s->det);
	free(s->scratch);
	free(s->active);
	free(s->rowsum);
	free(s->hard_prev);
	free(s->d_hard);
	seg_init(s);
}

int seg_open_fd(struct seg *s, int fd, pid_t expect_pid, unsigned flags,
		struct seg_error *e)
{
	char path[sizeof(s->path)];
	struct stat st;
	ssize_t got;
	uint32_t nc, ni;
	int rc;

	/* keep the path a caller may have put there (seg_open) */
	memcpy(path, s->path, sizeof(path));
	seg_init(s);
	memcpy(s->path, path, sizeof(path));
	s->fd = fd;
	s->check_liveness = !(flags & SEG_O_NOLIVENESS);
	if (fstat(fd, &st) != 0) {
		rc = fail(e, SEG_EOPEN, "cannot stat the segment: %s",
			  strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fail(e, SEG_ENOTREG, "the segment is not a regular file");
		goto out;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if ((uint64_t)st.st_size < sizeof(s->hdr)) {
		rc = fail(e, SEG_ESHORT, "the segment is %lld bytes, shorter "
			  "than its %zu-byte header (truncated)",
			  (long long)st.st_size, sizeof(s->hdr));
		goto out;
	}
	got = pread(fd, &s->hdr, sizeof(s->hdr), 0);
	if (got != (ssize_t)sizeof(s->hdr)) {
		rc = fail(e, got < 0 ? SEG_EOPEN : SEG_ESHORT,
			  "cannot read the segment header: %s",
			  got < 0 ? strerror(errno) : "short read");
		goto out;
	}
	rc = seg_check_header(&s->hdr, (uint64_t)st.st_size, expect_pid, e);
	if (rc)
		goto out;

	s->pid = s->hdr.pid;
	nc = s->nr_cpus = s->hdr.nr_cpus;
	ni = s->nr_irqs = s->hdr.nr_irqs;
	s->latency = s->hdr.flags & IRQC_EXP_F_LATENCY;
	printable(s->comm, s->hdr.comm, sizeof(s->comm));
	s->map_len = (size_t)s->hdr.total_size;
	s->map = mmap(NULL, s->map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		rc = fail(e, SEG_EOPEN, "cannot map the segment: %s",
			  strerror(errno));
		goto out;
	}
	s->cpus = calloc(nc, sizeof(*s->cpus));
	s->total = calloc(ni, sizeof(uint64_t));
	s->prev_total = calloc(ni, sizeof(uint64_t));
	s->delta = calloc(ni, sizeof(uint64_t));
	s->meta = calloc(ni, sizeof(*s->meta));
	s->det = calloc(ni, sizeof(*s->det));
	s->scratch = calloc((size_t)ni * 2, sizeof(uint64_t));
	s->active = calloc(ni, 1);
	s->rowsum = calloc(nc, sizeof(uint64_t));
	s->hard_prev = calloc(ni, sizeof(uint64_t));
	s->d_hard = calloc(ni, sizeof(uint64_t));
	if (!s->cpus || !s->total || !s->prev_total || !s->delta || !s->meta ||
	    !s->det || !s->scratch || !s->active || !s->rowsum ||
	    !s->hard_prev || !s->d_hard) {
		rc = fail(e, SEG_ENOMEM, "out of memory for %u lines", ni);
		goto out;
	}
	install_sigbus();
	rc = guarded(s, pass_open, NULL, e);
	if (rc)
		goto out;
	return 0;
out:
	seg_close(s);
	return rc;
}

int seg_open(struct seg *s, pid_t pid, struct seg_error *e)
{
	char path[sizeof(s->path)];
	int fd;

	seg_init(s);
	if ((size_t)snprintf(path, sizeof(path), "%s/irqcore.%d", seg_dir(),
			     (int)pid) >= sizeof(path))
		return fail(e, SEG_EOPEN, "segment directory name too long");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT) {
			if (kill(pid, 0) != 0 && errno == ESRCH)
				return fail(e, SEG_ENOENT, "no such process");
			return fail(e, SEG_ENOENT, "no segment %s (not an "
				    "irqcore process, or it runs with "
				    "IRQCORE_F_NO_EXPORT)", path);
		}
		if (err == ELOOP)
			return fail(e, SEG_ENOTREG, "%s is a symbolic link",
				    path);
		return fail(e, SEG_EOPEN, "cannot open %s: %s", path,
			    strerror(err));
	}
	memcpy(s->path, path, sizeof(path));
	/* A segment being created is zero-filled first and gets its magic
	 * last: give a live process a moment (export_abi.h). */
	for (int t = 0; t < 25; t++) {
		struct irqc_exp_header h;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		struct stat st;

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
			break;
		if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
		    h.magic != 0)
			break;
		if (kill(pid, 0) != 0 && errno == ESRCH)
			break;
		nanosleep(&ts, NULL);
	}
	if (seg_open_fd(s, fd, pid, 0, e) != 0) {
		/* name the file in the reason */
		if (e && !strstr(e->msg, path)) {
			char why[sizeof(e->msg)];

			memcpy(why, e->msg, sizeof(why));
			snprintf(e->msg, sizeof(e->msg), "%s: %.*s", path,
				 (int)(sizeof(e->msg) - strlen(path) - 3), why);
		}
		return -(int)(e ? e->code : SEG_EOPEN);
	}
	if (kill(pid, 0) != 0 && errno == ESRCH) {
		seg_close(s);
		return fail(e, SEG_ENOENT, "process not running (stale "
			    "segment %s; irqtop --clean removes it)", path);
	}
	if (s->hdr.flags & IRQC_EXP_F_CLOSED) {
		seg_close(s);
		return fail(e, SEG_ENOENT, "irqcore was shut down in this "
			    "process (segment %s closed)", path);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sampling */

/*
 * The hot loop of a refresh: the totals of every line over the CPU rows of
 * `handled`, and each row's sum. Four rows at a time: four read streams
 * keep more loads in flight than one, and the totals (in cache) are read
 * and written once per four rows; with 16-byte vectors (GCC vector
 * extension: SSE2, NEON) this runs at about the machine's memory bandwidth,
 * twice as fast as the scalar row-by-row loop GCC makes at -O2. Each 8-byte
 * lane of a 16-byte load is aligned, so it reads a whole counter value, as
 * a plain load would.
 */
typedef uint64_t u64x2 __attribute__((vector_size(16)));

static inline u64x2 ld2(const uint64_t *p)
{
	u64x2 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* tot[i] (+)= r[0][i] + ... + r[3][i]; sums[k] = sum of r[k][] */
static void add_rows4(uint64_t *restrict tot, const uint64_t *const r[4],
		      uint32_t n, bool first, uint64_t sums[4])
{
	u64x2 s0 = { 0, 0 }, s1 = { 0, 0 }, s2 = { 0, 0 }, s3 = { 0, 0 };
	uint32_t i = 0;

	for (; i + 2 <= n; i += 2) {
		u64x2 a = ld2(r[0] + i), b = ld2(r[1] + i);
		u64x2 c = ld2(r[2] + i), d = ld2(r[3] + i);
		u64x2 t = first ? (u64x2){ 0, 0 } : ld2(tot + i);

		s0 += a;
		s1 += b;
		s2 += c;
		s3 += d;
		t += (a + b) + (c + d);
		memcpy(tot + i, &t, sizeof(t));
	}
	sums[0] = s0[0] + s0[1];
	sums[1] = s1[0] + s1[1];
	sums[2] = s2[0] + s2[1];
	sums[3] = s3[0] + s3[1];
	for (; i < n; i++) {
		uint64_t v = r[0][i] + r[1][i] + r[2][i] + r[3][i];

		tot[i] = first ? v : tot[i] + v;
		for (int k = 0; k < 4; k++)
			sums[k] += r[k][i];
	}
}

/* tot[i] (+)= row[i]; returns the sum of row[] */
static uint64_t add_row(uint64_t *restrict tot, const uint64_t *restrict row,
			uint32_t n, bool first)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		tot[i] = first ? row[i] : tot[i] + row[i];
		sum += row[i];
	}
	return sum;
}

/* Totals of every line into tot[], each CPU's sum into rowsum[]. */
static void sum_rows(uint64_t *restrict tot, const uint64_t *handled,
		     uint32_t nc, uint32_t ni, uint64_t *rowsum)
{
	uint32_t c = 0;

	for (; c + 4 <= nc; c += 4) {
		const uint64_t *r[4] = {
			handled + (size_t)c * ni, handled + (size_t)(c + 1) * ni,
			handled + (size_t)(c + 2) * ni,
			handled + (size_t)(c + 3) * ni,
		};

		add_rows4(tot, r, ni, c == 0, rowsum + c);
	}
	for (; c < nc; c++)
		rowsum[c] = add_row(tot, handled + (size_t)c * ni, ni, c == 0);
}

struct sample_arg {
	unsigned flags;
	uint64_t now;
};

static int pass_sample(struct seg *s, void *arg, struct seg_error *e)
{
	const struct irqc_exp_header *live =
		(const struct irqc_exp_header *)(const void *)s->map;
	const struct sample_arg *a = arg;
	const unsigned flags = a->flags;
	const uint32_t nc = s->nr_cpus, ni = s->nr_irqs;
	const uint64_t *handled = arr(s, s->hdr.handled_off);
	struct irqc_exp_header h;
	uint64_t *tot = s->total;
	uint64_t gen, sum = 0, dsum = 0;

	memcpy(&h, live, sizeof(h));
	if (!same_layout(&h, &s->hdr))
		return fail(e, SEG_ECHANGED, "the segment header was rewritten "
			    "while being watched (layout changed)");
	if (h.flags & IRQC_EXP_F_CLOSED)
		return fail(e, SEG_EGONE, "irqcore shut down (segment closed)");
	s->heartbeat_ns = h.heartbeat_mono_ns;
	s->err = h.err;
	gen = __atomic_load_n(&live->meta_gen, __ATOMIC_ACQUIRE);

	for (uint32_t c = 0; c < nc; c++) {
		const struct irqc_exp_cpu *cr = cpu_rec(s, c);
		struct seg_cpu *sc = &s->cpus[c];
		uint64_t busy = cr->busy_ns;

		sc->d_busy_ns = s->nsamples && busy >= sc->busy_ns ?
				busy - sc->busy_ns : 0;
		sc->os_cpu = cr->os_cpu;
		sc->external = cr->external;
		sc->offline = cr->offline != 0;	/* data: any value reads as a flag */
		sc->busy_ns = busy;
		sc->passes = cr->passes;
	}

	/* The one array read in full every sample: totals by IRQ number,
	 * and per-CPU sums on the way. The previous totals become
	 * prev_total (the buffers swap; a failed pass ends irqtop). */
	s->total = s->prev_total;
	s->prev_total = tot;
	tot = s->total;
	sum_rows(tot, handled, nc, ni, s->rowsum);
	for (uint32_t c = 0; c < nc; c++) {
		uint64_t rs = s->rowsum[c];

		s->cpus[c].d_events = s->nsamples && rs >= s->cpus[c].events ?
				      rs - s->cpus[c].events : 0;
		s->cpus[c].events = rs;
	}
	for (uint32_t i = 0; i < ni; i++) {
		uint64_t cur = tot[i], prev = s->prev_total[i];

		/* a counter that went back was reset: all of it is new */
		s->delta[i] = !s->nsamples ? 0 : cur >= prev ? cur - prev : cur;
		sum += cur;
		dsum += s->delta[i];
	}
	s->events = sum;
	s->d_events = dsum;

	/* Metadata moved: look at every record's seq (one cache line per
	 * line) at most every meta_rescan_ns; the lines shown are re-read by
	 * seg_read_details() on every refresh anyway. */
	if (gen != s->meta_gen_seen &&
	    a->now - s->meta_rescan_at >= s->meta_rescan_ns) {
		int rc;

		s->meta_unstable = 0;
		rc = rescan_meta(s, e);
		if (rc)
			return rc;
		s->meta_gen_seen = gen;
		s->meta_rescan_at = a->now;
	}

	if (flags & SEG_S_TIME) {
		/* TIME% of every line, for sorting: the growth of the line
		 * totals the library keeps (8 bytes a line, not nr_cpus
		 * cells) since the previous sample, if that one read them
		 * too. Compact arrays, read and written in order. */
		const uint64_t *hard = arr(s, s->hdr.hard_total_off);

		s->hard_base_ok = s->hard_at != 0 && s->hard_at == s->nsamples;
		for (uint32_t i = 0; i < ni; i++) {
			uint64_t cur = hard[i], prev = s->hard_prev[i];

			/* a counter that went back was reset */
			s->d_hard[i] = cur >= prev ? cur - prev : cur;
			s->hard_prev[i] = cur;
		}
		s->hard_at = s->nsamples + 1;	/* this sample, once counted */
		if (!s->hard_base_ok) {
			/* the first such sample: per line, since the line's
			 * last read, as seg_read_details() computes them */
			const uint64_t *thr = arr(s, s->hdr.thread_ns_off);

			for (uint32_t i = 0; i < ni; i++)
				if (s->delta[i]) {
					s->det[i].hard_ns = s->hard_prev[i];
					s->det[i].thread_ns = thr[i];
				}
		}
	}
	return 0;
}

/* Percentages of a line over the time since its previous sample read. */
static void detail_rebase(struct seg *s, struct seg_detail *d, uint64_t now)
{
	if (d->base_t_ns && now > d->base_t_ns) {
		double dt = (double)(now - d->base_t_ns);
		uint64_t dh = d->hard_ns >= d->base_hard_ns ?
			      d->hard_ns - d->base_hard_ns : d->hard_ns;
		uint64_t dth = d->thread_ns >= d->base_thread_ns ?
			       d->thread_ns - d->base_thread_ns : d->thread_ns;

		d->time_pct = (double)dh * 100.0 / dt;
		d->thread_pct = (double)dth * 100.0 / dt;
		d->pct_sample = s->nsamples;
	}
	d->base_t_ns = now;
	d->base_hard_ns = d->hard_ns;
	d->base_thread_ns = d->thread_ns;
}

int seg_sample(struct seg *s, unsigned flags, struct seg_error *e)
{
	struct stat st;
	uint64_t now;
	int rc;

	if (!s->map)
		return fail(e, SEG_EOPEN, "segment not open");
	if (s->check_liveness) {
		if (kill(s->pid, 0) != 0 && errno == ESRCH)
			return fail(e, SEG_EGONE, "process exited");
		if (s->path[0]) {
			struct stat pst;

			if (stat(s->path, &pst) != 0)
				return fail(e, SEG_EGONE, "process exited "
					    "(segment removed)");
			if (pst.st_ino != s->ino || pst.st_dev != s->dev)
				return fail(e, SEG_EGONE, "process exited "
					    "(segment replaced)");
		}
	}
	if (fstat(s->fd, &st) != 0)
		return fail(e, SEG_EOPEN, "cannot stat the segment: %s",
			    strerror(errno));
	if ((uint64_t)st.st_size < s->map_len)
		return fail(e, SEG_ESHRUNK, "segment %s shrank while being "
			    "read (now %lld bytes, %zu expected)",
			    s->path[0] ? s->path : "(fd)",
			    (long long)st.st_size, s->map_len);
	if (seg_test_after_fstat)
		seg_test_after_fstat(s);

	now = seg_now_ns();
	{
		struct sample_arg a = { flags, now };

		rc = guarded(s, pass_sample, &a, e);
	}
	if (rc)
		return rc;
	s->prev_now_ns = s->now_ns;
	s->now_ns = now;
	s->interval_ns = s->nsamples && now > s->prev_now_ns ?
			 now - s->prev_now_ns : 0;
	s->nsamples++;
	if ((flags & SEG_S_TIME) && !s->hard_base_ok)
		for (uint32_t i = 0; i < s->nr_irqs; i++)
			if (s->delta[i])
				detail_rebase(s, &s->det[i], now);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Details of the shown lines */

struct details_arg {
	const uint32_t *irqs;
	size_t n;
	uint64_t *percpu;
	uint64_t now;
};

static void lat_summary(const uint64_t *hist, struct seg_detail *d)
{
	uint64_t cnt = 0, acc = 0, target;
	int b, top = -1, p99 = -1;

	for (b = 0; b < (int)IRQC_EXP_LAT_BUCKETS; b++) {
		cnt += hist[b];
		if (hist[b])
			top = b;
	}
	d->lat_count = cnt;
	d->lat_p99_ns = d->lat_max_ns = 0;
	if (!cnt)
		return;
	/* the smallest bucket holding the 99th percentile: ceil(0.99 cnt) */
	target = cnt - cnt / 100;
	for (b = 0; b < (int)IRQC_EXP_LAT_BUCKETS; b++) {
		acc += hist[b];
		if (acc >= target) {
			p99 = b;
			break;
		}
	}
	if (p99 < 0)	/* the sum wrapped: garbage counts */
		p99 = top;
	/* upper bound of bucket b: 2^(b+1) ns */
	d->lat_p99_ns = p99 >= 63 ? UINT64_MAX : 1ull << (p99 + 1);
	d->lat_max_ns = top >= 63 ? UINT64_MAX : 1ull << (top + 1);
}

static int pass_details(struct seg *s, void *argp, struct seg_error *e)
{
	struct details_arg *a = argp;
	const uint32_t nc = s->nr_cpus, ni = s->nr_irqs;
	const uint64_t *unh = arr(s, s->hdr.unhandled_off);
	const uint64_t *hard = arr(s, s->hdr.hard_total_off);
	const uint64_t *hmax = arr(s, s->hdr.hard_max_off);
	const uint64_t *thr = arr(s, s->hdr.thread_ns_off);
	const uint64_t *coal = arr(s, s->hdr.coalesced_off);
	const uint64_t *lat = s->latency ? arr(s, s->hdr.lat_off) : NULL;
	bool stream = (uint64_t)a->n * 64 > ni;	/* as in pass_sample */
	uint64_t *su = s->scratch, *sm = su + ni;

	(void)e;
	if (stream) {
		/* many lines: walk the arrays in order, row by row */
		sum_rows(su, unh, nc, ni, s->rowsum);
		memset(sm, 0, (size_t)ni * sizeof(uint64_t));
		for (uint32_t c = 0; c < nc; c++) {
			const uint64_t *rm = hmax + (size_t)c * ni;

			for (uint32_t i = 0; i < ni; i++)
				if (rm[i] > sm[i])
					sm[i] = rm[i];
		}
	}
	for (size_t k = 0; k < a->n; k++) {
		uint32_t irq = a->irqs[k];
		struct seg_detail *d;
		uint64_t u = 0, m = 0;

		if (irq >= ni)
			continue;
		d = &s->det[irq];
		if (stream) {
			u = su[irq];
			m = sm[irq];
		} else {
			for (uint32_t c = 0; c < nc; c++) {
				size_t cell = (size_t)c * ni + irq;

				u += unh[cell];
				if (hmax[cell] > m)
					m = hmax[cell];
			}
		}
		d->unhandled = u;
		d->hard_ns = hard[irq];
		d->hard_max_ns = m;
		d->thread_ns = thr[irq];
		d->coalesced = coal[irq];
		if (lat)
			lat_summary(lat + (size_t)irq * IRQC_EXP_LAT_BUCKETS, d);
		d->t_ns = a->now;
	}
	/* and their metadata, in case a writer forgot to bump meta_gen */
	for (size_t k = 0; k < a->n; k++) {
		uint32_t irq = a->irqs[k];
		const struct irqc_exp_line *L;

		if (irq >= ni)
			continue;
		L = line_rec(s, irq);
		if (!s->meta[irq].valid ||
		    __atomic_load_n(&L->seq, __ATOMIC_RELAXED) !=
			    s->meta[irq].seq) {
			int rc = read_meta(s, irq, e);

			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int pass_percpu(struct seg *s, void *argp, struct seg_error *e)
{
	struct details_arg *a = argp;
	const uint32_t nc = s->nr_cpus, ni = s->nr_irqs;
	const uint64_t *handled = arr(s, s->hdr.handled_off);

	(void)e;
	for (uint32_t c = 0; c < nc; c++) {
		const uint64_t *row = handled + (size_t)c * ni;

		for (size_t k = 0; k < a->n; k++)
			a->percpu[k * nc + c] = a->irqs[k] < ni ?
						row[a->irqs[k]] : 0;
	}
	return 0;
}

int seg_read_percpu(struct seg *s, const uint32_t *irqs, size_t n,
		    uint64_t *percpu, struct seg_error *e)
{
	struct details_arg a = { irqs, n, percpu, 0 };

	if (!s->map)
		return fail(e, SEG_EOPEN, "segment not open");
	return guarded(s, pass_percpu, &a, e);
}

int seg_read_details(struct seg *s, const uint32_t *irqs, size_t n,
		     bool from_sample, struct seg_error *e)
{
	struct details_arg a = { irqs, n, NULL, 0 };
	int rc;

	if (!s->map)
		return fail(e, SEG_EOPEN, "segment not open");
	a.now = from_sample && s->now_ns ? s->now_ns : seg_now_ns();
	rc = guarded(s, pass_details, &a, e);
	if (rc)
		return rc;
	for (size_t k = 0; k < n; k++) {
		struct seg_detail *d;

		if (irqs[k] >= s->nr_irqs)
			continue;
		d = &s->det[irqs[k]];
		/* a line rebased by this sample already (SEG_S_TIME) keeps it */
		if (from_sample && d->pct_sample != s->nsamples)
			detail_rebase(s, d, a.now);
		else if (!d->base_t_ns)
			detail_rebase(s, d, a.now);
	}
	return 0;
}

static double pct(const struct seg *s, uint32_t irq, bool thread)
{
	const struct seg_detail *d;

	if (irq >= s->nr_irqs || s->nsamples < 2)
		return -1;
	/* this sample and the previous one read every line's hard time */
	if (!thread && s->hard_at == s->nsamples && s->hard_base_ok && s->interval_ns)
		return (double)s->d_hard[irq] * 100.0 / (double)s->interval_ns;
	d = &s->det[irq];
	if (d->pct_sample == s->nsamples)
		return thread ? d->thread_pct : d->time_pct;
	/* not read this sample: no event means no handler time */
	return s->delta[irq] == 0 ? 0.0 : -1;
}

double seg_time_pct(const struct seg *s, uint32_t irq)
{
	return pct(s, irq, false);
}

double seg_thread_pct(const struct seg *s, uint32_t irq)
{
	return pct(s, irq, true);
}

uint64_t seg_time_key(const struct seg *s, uint32_t irq)
{
	double p;

	/* one interval for every line: the time itself orders them */
	if (irq < s->nr_irqs && s->nsamples >= 2 && s->hard_at == s->nsamples &&
	    s->hard_base_ok && s->interval_ns)
		return s->d_hard[irq];
	/* fixed point; garbage times can be huge */
	p = seg_time_pct(s, irq) * 1e6;
	return !(p > 0) ? 0 : p >= 1.8e19 ? UINT64_MAX : (uint64_t)p;
}

uint64_t seg_uptime_ns(const struct seg *s)
{
	uint64_t now = s->now_ns ? s->now_ns : seg_now_ns();

	return now > s->hdr.start_mono_ns ? now - s->hdr.start_mono_ns : 0;
}

int64_t seg_heartbeat_age_ns(const struct seg *s)
{
	uint64_t now = s->now_ns ? s->now_ns : seg_now_ns();

	return (int64_t)(now - s->heartbeat_ns);
}

/* ------------------------------------------------------------------ */
/* Listing and cleaning */

/* "irqcore.<decimal>" with a PID in 1..INT_MAX, no sign, no leading 0 */
static pid_t name_pid(const char *name)
{
	const char *p;
	long long v = 0;

	if (strncmp(name, "irqcore.", 8))
		return 0;
	p = name + 8;
	if (*p < '1' || *p > '9')
		return 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return 0;
	}
	return (pid_t)v;
}

static int cmp_info(const void *a, const void *b)
{
	const struct seg_info *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void inspect(int dfd, struct seg_info *i)
{
	struct irqc_exp_header h;
	struct seg_error e;
	struct stat st;
	int fd;

	i->pid_alive = !(kill(i->pid, 0) != 0 && errno == ESRCH);
	fd = openat(dfd, i->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK);
	if (fd < 0) {
		i->state = SEG_INVALID;
		snprintf(i->why, sizeof(i->why), "cannot open: %s",
			 strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		i->state = SEG_INVALID;
		snprintf(i->why, sizeof(i->why), "not a regular file");
	} else if ((uint64_t)st.st_size < sizeof(h) ||
		   pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		i->state = SEG_INVALID;
		snprintf(i->why, sizeof(i->why), "truncated (%lld bytes)",
			 (long long)st.st_size);
	} else if (seg_check_header(&h, (uint64_t)st.st_size, i->pid, &e)) {
		i->state = SEG_INVALID;
		snprintf(i->why, sizeof(i->why), "%.*s",
			 (int)sizeof(i->why) - 1, e.msg);
	} else {
		uint64_t now = seg_now_ns();

		i->header_ok = true;
		printable(i->comm, h.comm, sizeof(i->comm));
		i->nr_cpus = h.nr_cpus;
		i->nr_irqs = h.nr_irqs;
		i->uptime_ns = now > h.start_mono_ns ? now - h.start_mono_ns : 0;
		i->heartbeat_age_ns = (int64_t)(now - h.heartbeat_mono_ns);
		if (!i->pid_alive) {
			i->state = SEG_STALE;
			snprintf(i->why, sizeof(i->why), "process gone");
		} else if (h.flags & IRQC_EXP_F_CLOSED) {
			i->state = SEG_STALE;
			snprintf(i->why, sizeof(i->why), "irqcore shut down");
		} else if (i->heartbeat_age_ns > (int64_t)IRQTOP_STALE_NS ||
			   i->heartbeat_age_ns < -(int64_t)IRQTOP_STALE_NS) {
			i->state = SEG_STALE;
			snprintf(i->why, sizeof(i->why), "heartbeat %.0f s old",
				 (double)i->heartbeat_age_ns / 1e9);
		} else {
			i->state = SEG_LIVE;
		}
	}
	close(fd);
}

int seg_scan(struct seg_info **out, size_t *n, struct seg_error *e)
{
	const char *dir = seg_dir();
	struct seg_info *v = NULL;
	size_t nv = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return fail(e, SEG_EOPEN, "cannot read %s: %s", dir,
			    strerror(errno));
	while ((de = readdir(d))) {
		pid_t pid = name_pid(de->d_name);
		struct seg_info *i;
		struct stat st;

		if (!pid)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (nv == cap) {
			struct seg_info *nvp;

			cap = cap ? cap * 2 : 16;
			nvp = realloc(v, cap * sizeof(*v));
			if (!nvp) {
				free(v);
				closedir(d);
				return fail(e, SEG_ENOMEM, "out of memory");
			}
			v = nvp;
		}
		i = &v[nv++];
		memset(i, 0, sizeof(*i));
		i->pid = pid;
		i->uid = st.st_uid;
		snprintf(i->name, sizeof(i->name), "irqcore.%d", (int)pid);
		inspect(dirfd(d), i);
	}
	closedir(d);
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_info);
	*out = v;
	*n = nv;
	return 0;
}

/* Does process pid map the file dev:ino? (/proc/<pid>/maps; false when it
 * cannot be read) */
static bool pid_maps(pid_t pid, dev_t dev, ino_t ino)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long inode;
		unsigned maj, min;

		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min,
			   &inode) == 3 &&
		    inode == (unsigned long long)ino &&
		    makedev(maj, min) == dev)
			found = true;
	}
	fclose(f);
	return found;
}

int seg_clean_one(const struct seg_info *i, char *msg, size_t len)
{
	const char *dir = seg_dir();
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, i->name);
	if (i->state == SEG_LIVE) {
		snprintf(msg, len, "kept %s: process %d is running", path,
			 (int)i->pid);
		return 0;
	}
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, len, "kept %s: no longer a regular file", path);
		return 0;
	}
	if (st.st_uid != getuid()) {
		snprintf(msg, len, "kept %s: owned by uid %u, not by you", path,
			 (unsigned)st.st_uid);
		return 0;
	}
	if (i->pid_alive && pid_maps(i->pid, st.st_dev, st.st_ino)) {
		snprintf(msg, len, "kept %s: process %d is alive and maps it "
			 "(%s; stopped?)", path, (int)i->pid, i->why);
		return 0;
	}
	if (i->pid_alive && i->state == SEG_INVALID) {
		snprintf(msg, len, "kept %s: process %d is running (%s)", path,
			 (int)i->pid, i->why);
		return 0;
	}
	if (unlink(path) != 0) {
		snprintf(msg, len, "cannot remove %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (i->state == SEG_INVALID)
		snprintf(msg, len, "removed %s (invalid, process %d gone: %s)",
			 path, (int)i->pid, i->why);
	else if (i->pid_alive)
		snprintf(msg, len, "removed %s (%s; PID %d now belongs to a "
			 "process that does not map it)", path, i->why,
			 (int)i->pid);
	else
		snprintf(msg, len, "removed %s (process %d gone)", path,
			 (int)i->pid);
	return 1;
}
