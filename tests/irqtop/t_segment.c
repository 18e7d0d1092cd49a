/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_segment — irqtop's reader (tools/irqtop/segment.c, view.c) against
 * synthetic segments: valid ones, and every way a segment can be wrong
 * (zeros, random bytes, truncated, foreign, wrong version, absurd counts,
 * offsets out of range, unterminated names, shrinking or rewritten while
 * read, the process going away). Each case must give its error code and a
 * message, never a crash. Also: deltas paired by IRQ number, sorting,
 * filters, CPU lists, --list and --clean.
 *
 * Segments live in a temporary directory named by IRQTOP_SHM_DIR (each test
 * runs in its own process, see tests/harness.h).
 */
#include "harness.h"
#include "irqtop.h"
#include "segment.h"
#include "synth.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* helpers */

static char tmpdir[256];

static void use_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/t_segment.XXXXXX");
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	setenv(IRQTOP_DIR_ENV, tmpdir, 1);
}

static void rm_tmpdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ASSERT_EQ(system(cmd), 0);
}

static void seg_path(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/irqcore.%d", tmpdir, (int)pid);
}

/* A valid segment in memory: lines 0..nr_irqs-1, every third active. */
static void *valid_buf(uint32_t cpus, uint32_t irqs, bool lat, pid_t pid,
		       size_t *size)
{
	struct synth_params p = { cpus, irqs, lat, pid, "tproc" };
	void *buf = synth_build(&p, size);
	struct synth s;

	ASSERT_TRUE(buf != NULL);
	synth_attach(&s, buf, *size);
	for (uint32_t i = 0; i < irqs; i += 3) {
		char name[32];

		snprintf(name, sizeof(name), "dev%u", i);
		synth_set_line(&s, i, name, "chipA", "edge",
			       IRQC_EXP_S_ACTIVE, (int32_t)(i % cpus), 100 + i,
			       1ull << (i % cpus));
		for (uint32_t c = 0; c < cpus; c++)
			s.handled[synth_cell(&s, c, i)] = (uint64_t)i * 10 + c;
	}
	return buf;
}

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		ASSERT_GT(w, 0);
		p += w;
		n -= (size_t)w;
	}
}

static void write_seg(pid_t pid, const void *buf, size_t size)
{
	char path[300];
	int fd;

	seg_path(pid, path, sizeof(path));
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT_GE(fd, 0);
	write_all(fd, buf, size);
	close(fd);
}

static int memfd_of(const void *buf, size_t size)
{
	int fd = memfd_create("seg", MFD_CLOEXEC);

	ASSERT_GE(fd, 0);
	if (size)
		write_all(fd, buf, size);
	return fd;
}

/* seg_open_fd over a copy of buf; returns the status, e filled */
static int open_buf(struct seg *s, const void *buf, size_t size,
		    struct seg_error *e)
{
	memset(e, 0, sizeof(*e));
	return seg_open_fd(s, memfd_of(buf, size), 0, SEG_O_NOLIVENESS, e);
}

static enum seg_status status_of(const void *buf, size_t size, char *msg,
				 size_t len)
{
	struct seg s;
	struct seg_error e;
	int rc = open_buf(&s, buf, size, &e);

	if (rc == 0) {
		seg_close(&s);
		return SEG_OK;
	}
	ASSERT_EQ(rc, -(int)e.code);
	ASSERT_TRUE(e.msg[0] != '\0');
	if (msg)
		snprintf(msg, len, "%s", e.msg);
	return e.code;
}

static struct irqc_exp_header *hdr(void *buf)
{
	return buf;
}

/* ------------------------------------------------------------------ */
/* valid segments */

TEST(valid_segment_reads)
{
	size_t size;
	void *buf = valid_buf(4, 10, true, getpid(), &size);
	struct synth w;
	struct seg s;
	struct seg_error e;
	uint32_t irqs[] = { 3, 6 };
	uint64_t percpu[2 * 4];

	use_tmpdir();
	synth_attach(&w, buf, size);
	w.lat[3 * IRQC_EXP_LAT_BUCKETS + 10] = 99;
	w.lat[3 * IRQC_EXP_LAT_BUCKETS + 14] = 1;
	w.unhandled[synth_cell(&w, 1, 3)] = 5;
	w.hard_max[synth_cell(&w, 2, 3)] = 777;
	/* TIME% comes from the line's total, not from the per-CPU cells */
	w.hard_ns[synth_cell(&w, 1, 3)] = 1;
	w.hard_total[3] = 5555;
	w.coalesced[3] = 42;
	write_seg(getpid(), buf, size);

	ASSERT_EQ(seg_open(&s, getpid(), &e), 0);
	ASSERT_EQ(s.nr_cpus, 4);
	ASSERT_EQ(s.nr_irqs, 10);
	ASSERT_TRUE(s.latency);
	ASSERT_STR_EQ(s.comm, "tproc");
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(s.total[3], 30 * 4 + 0 + 1 + 2 + 3);
	ASSERT_EQ(s.total[1], 0);
	ASSERT_EQ(s.delta[3], 0);
	ASSERT_EQ(s.interval_ns, 0);
	ASSERT_TRUE(s.meta[3].valid);
	ASSERT_STR_EQ(s.meta[3].actions, "dev3");
	ASSERT_STR_EQ(s.meta[3].chip, "chipA");
	ASSERT_EQ(s.meta[3].effective_cpu, 3);
	/* a never-published record (seq 0) reads as an unused line */
	ASSERT_TRUE(s.meta[1].valid);
	ASSERT_STR_EQ(s.meta[1].chip, "irqcore");
	ASSERT_EQ(s.meta[1].effective_cpu, -1);
	ASSERT_EQ(s.cpus[1].events, (0 + 30 + 60 + 90) + 4);

	ASSERT_EQ(seg_read_details(&s, irqs, 2, true, &e), 0);
	ASSERT_EQ(seg_read_percpu(&s, irqs, 2, percpu, &e), 0);
	ASSERT_EQ(s.det[3].unhandled, 5);
	ASSERT_EQ(s.det[3].hard_max_ns, 777);
	ASSERT_EQ(s.det[3].hard_ns, 5555);
	ASSERT_EQ(s.det[3].coalesced, 42);
	ASSERT_EQ(s.det[3].lat_count, 100);
	ASSERT_EQ(s.det[3].lat_p99_ns, 2048);
	ASSERT_EQ(s.det[3].lat_max_ns, 32768);
	ASSERT_EQ(percpu[0], 30);
	ASSERT_EQ(percpu[3], 33);
	ASSERT_EQ(percpu[4 + 2], 62);
	seg_close(&s);
	rm_tmpdir();
	free(buf);
}

TEST(deltas_rates_and_time)
{
	struct synth_params p = { 2, 8, false, 0, "live" };
	struct synth w;
	struct seg s;
	struct seg_error e;
	char path[300];
	uint32_t irq = 4;

	use_tmpdir();
	seg_path(getpid(), path, sizeof(path));
	ASSERT_EQ(synth_create(&w, path, &p), 0);
	synth_set_line(&w, 4, "busy", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	ASSERT_EQ(seg_open(&s, getpid(), &e), 0);
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(seg_read_details(&s, &irq, 1, true, &e), 0);
	ASSERT_TRUE(seg_time_pct(&s, 4) < 0);	/* one sample: unknown */
	for (int k = 0; k < 10; k++)
		synth_event(&w, k & 1, 4, 1000000);	/* 10 ms of handler */
	usleep(50000);
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(seg_read_details(&s, &irq, 1, true, &e), 0);
	ASSERT_EQ(s.delta[4], 10);
	ASSERT_EQ(s.d_events, 10);
	ASSERT_GT(s.interval_ns, 40000000);
	{
		double want = 1e7 * 100.0 / (double)s.interval_ns;
		double got = seg_time_pct(&s, 4);

		ASSERT_TRUE(got > want * 0.999 && got < want * 1.001);
		ASSERT_TRUE(view_rate(&s, s.delta[4]) > 0);
	}
	ASSERT_EQ(s.cpus[0].d_events, 5);
	ASSERT_EQ(s.cpus[1].d_busy_ns, 5000000);
	/* no event: 0 % even without reading the line */
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	ASSERT_TRUE(seg_time_pct(&s, 4) == 0.0);
	/* SEG_S_TIME reads hard_total of the changed lines */
	synth_event(&w, 0, 4, 2000000);
	usleep(20000);
	ASSERT_EQ(seg_sample(&s, SEG_S_TIME, &e), 0);
	ASSERT_GT(seg_time_pct(&s, 4), 0);
	seg_close(&s);
	synth_close(&w);
	rm_tmpdir();
}

TEST(non_printable_names_replaced)
{
	size_t size;
	void *buf = valid_buf(1, 4, false, 1234, &size);
	struct synth w;
	struct seg s;
	struct seg_error e;

	synth_attach(&w, buf, size);
	synth_set_line(&w, 0, "ab\x01\x7f\xff" "c", "ch\tip", "fl", 1, 0, 0, 1);
	memcpy(hdr(buf)->comm, "pr\x1b[2Jx", 8);
	ASSERT_EQ(open_buf(&s, buf, size, &e), 0);
	ASSERT_STR_EQ(s.meta[0].actions, "ab???c");
	ASSERT_STR_EQ(s.meta[0].chip, "ch?ip");
	ASSERT_STR_EQ(s.comm, "pr?[2Jx");
	seg_close(&s);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* bad segments */

TEST(zeros)
{
	static char zero[65536];
	char msg[320];

	ASSERT_EQ(status_of(zero, sizeof(zero), msg, sizeof(msg)), SEG_EMAGIC);
	ASSERT_CONTAINS(msg, "all zeros");
	ASSERT_EQ(status_of(zero, 0, msg, sizeof(msg)), SEG_ESHORT);
	ASSERT_EQ(status_of(zero, 17, msg, sizeof(msg)), SEG_ESHORT);
	ASSERT_CONTAINS(msg, "truncated");
}

TEST(zeros_by_pid_retries_then_fails)
{
	static char zero[4096];
	struct seg s;
	struct seg_error e;
	double t0;

	use_tmpdir();
	write_seg(getpid(), zero, sizeof(zero));
	t0 = th_now();
	ASSERT_NE(seg_open(&s, getpid(), &e), 0);
	ASSERT_EQ(e.code, SEG_EMAGIC);
	ASSERT_CONTAINS(e.msg, tmpdir);	/* the message names the file */
	ASSERT_LT(th_now() - t0, 3.0);
	seg_close(&s);
	rm_tmpdir();
}

TEST(random_bytes)
{
	unsigned seed = 12345;
	size_t size;
	void *valid = valid_buf(2, 16, true, 99, &size);
	char *buf = malloc(size);

	for (int it = 0; it < 400; it++) {
		size_t n = (size_t)rand_r(&seed) % (size + 1);

		for (size_t k = 0; k < n; k++)
			buf[k] = (char)rand_r(&seed);
		if (it % 2) {	/* a valid prefix: gets further in */
			size_t keep = (size_t)rand_r(&seed) % 64;

			memcpy(buf, valid, keep < n ? keep : n);
		}
		ASSERT_NE(status_of(buf, n, NULL, 0), SEG_OK);
	}
	free(buf);
	free(valid);
}

TEST(truncated_at_many_sizes)
{
	size_t size;
	void *buf = valid_buf(3, 20, true, 99, &size);
	char msg[320];

	ASSERT_EQ(status_of(buf, size, NULL, 0), SEG_OK);
	for (size_t n = 0; n < size; n += (n < 512 ? 1 : 97)) {
		enum seg_status st = status_of(buf, n, msg, sizeof(msg));

		if (st != SEG_ESHORT)
			th_fail(__FILE__, __LINE__, "size %zu: status %d (%s)",
				n, st, msg);
	}
	ASSERT_EQ(status_of(buf, size - 1, msg, sizeof(msg)), SEG_ESHORT);
	ASSERT_CONTAINS(msg, "truncated");
	free(buf);
}

TEST(wrong_magic_version_sizes)
{
	size_t size;
	void *buf = valid_buf(2, 8, false, 99, &size);
	char msg[320];
	struct irqc_exp_header save = *hdr(buf);

	hdr(buf)->magic = 0x464c457f;	/* an ELF file */
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_EMAGIC);
	ASSERT_CONTAINS(msg, "not an irqcore segment");
	*hdr(buf) = save;
	/* version 1: the layout before hard_total, refused by name */
	hdr(buf)->version = 1;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_EVERSION);
	ASSERT_CONTAINS(msg, "segment layout version 1; this irqtop reads version 2");
	*hdr(buf) = save;
	hdr(buf)->version = IRQC_EXP_VERSION + 1;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_EVERSION);
	ASSERT_CONTAINS(msg, "version 3");
	*hdr(buf) = save;
	hdr(buf)->header_size += 8;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ELAYOUT);
	*hdr(buf) = save;
	hdr(buf)->cpu_size = 0;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ELAYOUT);
	*hdr(buf) = save;
	hdr(buf)->line_size = 1u << 31;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ELAYOUT);
	*hdr(buf) = save;
	hdr(buf)->lat_buckets = 63;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ELAYOUT);
	*hdr(buf) = save;
	hdr(buf)->flags |= IRQC_EXP_F_LATENCY;	/* no buckets */
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ELAYOUT);
	*hdr(buf) = save;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_OK);
	free(buf);
}

TEST(absurd_counts)
{
	static const uint32_t cpus[] = { 0, 1025, 1u << 31, UINT32_MAX };
	static const uint32_t irqs[] = { 0, 65537, 1u << 20, UINT32_MAX };
	size_t size;
	void *buf = valid_buf(2, 8, false, 99, &size);
	struct irqc_exp_header save = *hdr(buf);
	char msg[320];

	for (size_t k = 0; k < 4; k++) {
		*hdr(buf) = save;
		hdr(buf)->nr_cpus = cpus[k];
		ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ECOUNT);
		ASSERT_CONTAINS(msg, "CPU count");
		*hdr(buf) = save;
		hdr(buf)->nr_irqs = irqs[k];
		ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ECOUNT);
		ASSERT_CONTAINS(msg, "line count");
	}
	/* plausible counts that the file is far too small for */
	*hdr(buf) = save;
	hdr(buf)->nr_cpus = 1024;
	hdr(buf)->nr_irqs = 65536;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ERANGE);
	free(buf);
}

TEST(offsets_out_of_range)
{
	size_t size;
	void *buf = valid_buf(2, 8, true, 99, &size);
	struct irqc_exp_header save = *hdr(buf);
	size_t fields[] = {
		offsetof(struct irqc_exp_header, cpu_off),
		offsetof(struct irqc_exp_header, line_off),
		offsetof(struct irqc_exp_header, handled_off),
		offsetof(struct irqc_exp_header, unhandled_off),
		offsetof(struct irqc_exp_header, hard_ns_off),
		offsetof(struct irqc_exp_header, hard_max_off),
		offsetof(struct irqc_exp_header, hard_total_off),
		offsetof(struct irqc_exp_header, thread_ns_off),
		offsetof(struct irqc_exp_header, coalesced_off),
		offsetof(struct irqc_exp_header, lat_off),
	};
	uint64_t bad[] = { 0, 8, 4, (uint64_t)size - 8, (uint64_t)size,
			   UINT64_MAX & ~7ull, UINT64_MAX - 3, 1ull << 62 };
	char msg[320];

	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			enum seg_status st;

			*hdr(buf) = save;
			memcpy((char *)buf + fields[f], &bad[b], 8);
			st = status_of(buf, size, msg, sizeof(msg));
			if (st != SEG_ERANGE)
				th_fail(__FILE__, __LINE__, "field %zu = %llu: "
					"status %d (%s)", fields[f],
					(unsigned long long)bad[b], st, msg);
		}
	/* two regions on top of each other */
	*hdr(buf) = save;
	hdr(buf)->unhandled_off = hdr(buf)->handled_off;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ERANGE);
	ASSERT_CONTAINS(msg, "overlap");
	/* the line totals: out of range, misaligned, on another region */
	*hdr(buf) = save;
	hdr(buf)->hard_total_off = size - 8;	/* 8 lines need 64 bytes */
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ERANGE);
	ASSERT_CONTAINS(msg, "hard_total at offset");
	ASSERT_CONTAINS(msg, "outside");
	*hdr(buf) = save;
	hdr(buf)->hard_total_off += 4;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ERANGE);
	ASSERT_CONTAINS(msg, "misaligned");
	*hdr(buf) = save;
	hdr(buf)->hard_total_off = hdr(buf)->hard_max_off + 8;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ERANGE);
	ASSERT_CONTAINS(msg, "overlap");
	*hdr(buf) = save;
	hdr(buf)->hard_total_off = hdr(buf)->thread_ns_off;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ERANGE);
	ASSERT_CONTAINS(msg, "overlap");
	/* total_size beyond the file, or below the header */
	*hdr(buf) = save;
	hdr(buf)->total_size = size + 4096;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ESHORT);
	*hdr(buf) = save;
	hdr(buf)->total_size = 16;
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ERANGE);
	free(buf);
}

TEST(unterminated_names)
{
	size_t size;
	void *buf = valid_buf(2, 8, false, 99, &size);
	struct synth w;
	char msg[320];
	struct irqc_exp_header save = *hdr(buf);

	memset(hdr(buf)->comm, 'A', sizeof(hdr(buf)->comm));
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ESTRING);
	ASSERT_CONTAINS(msg, "process name");
	*hdr(buf) = save;
	synth_attach(&w, buf, size);
	memset(w.lines[3].chip, 'c', IRQC_EXP_NAME_LEN);
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ESTRING);
	ASSERT_CONTAINS(msg, "line 3: chip");
	synth_set_line(&w, 3, "ok", "c", "f", 1, 0, 0, 1);
	memset(w.lines[6].actions, 'x', IRQC_EXP_ACTIONS_LEN);
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ESTRING);
	ASSERT_CONTAINS(msg, "line 6: action");
	synth_set_line(&w, 6, "ok", "c", "f", 1, 0, 0, 1);
	memset(w.lines[0].flow, 'f', IRQC_EXP_NAME_LEN);
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_ESTRING);
	synth_set_line(&w, 0, "ok", "c", "f", 1, 0, 0, 1);
	ASSERT_EQ(status_of(buf, size, msg, sizeof(msg)), SEG_OK);
	free(buf);
}

TEST(pid_checks)
{
	size_t size;
	void *buf = valid_buf(1, 4, false, 4242, &size);
	struct seg s;
	struct seg_error e;

	use_tmpdir();
	write_seg(getpid(), buf, size);		/* names PID 4242 */
	ASSERT_NE(seg_open(&s, getpid(), &e), 0);
	ASSERT_EQ(e.code, SEG_EPID);
	ASSERT_CONTAINS(e.msg, "4242");
	hdr(buf)->pid = -1;
	ASSERT_EQ(status_of(buf, size, NULL, 0), SEG_EPID);
	/* no segment; no process */
	ASSERT_NE(seg_open(&s, getppid(), &e), 0);
	ASSERT_EQ(e.code, SEG_ENOENT);
	ASSERT_CONTAINS(e.msg, "not an irqcore process");
	seg_close(&s);
	rm_tmpdir();
	free(buf);
}

TEST(symlink_and_directory_refused)
{
	struct seg s;
	struct seg_error e;
	char path[300];

	use_tmpdir();
	seg_path(getpid(), path, sizeof(path));
	ASSERT_EQ(symlink("/etc/passwd", path), 0);
	ASSERT_NE(seg_open(&s, getpid(), &e), 0);
	ASSERT_EQ(e.code, SEG_ENOTREG);
	unlink(path);
	ASSERT_EQ(mkdir(path, 0700), 0);
	ASSERT_NE(seg_open(&s, getpid(), &e), 0);
	ASSERT_TRUE(e.code == SEG_ENOTREG || e.code == SEG_EOPEN);
	rmdir(path);
	rm_tmpdir();
}

/* ------------------------------------------------------------------ */
/* changes while watched */

static void open_live(struct seg *s, struct synth *w, char *path, size_t len)
{
	struct synth_params p = { 2, 64, false, 0, "watched" };
	struct seg_error e;

	use_tmpdir();
	seg_path(getpid(), path, len);
	ASSERT_EQ(synth_create(w, path, &p), 0);
	synth_set_line(w, 1, "one", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	ASSERT_EQ(seg_open(s, getpid(), &e), 0);
	ASSERT_EQ(seg_sample(s, 0, &e), 0);
}

TEST(shrinks_between_reads)
{
	struct seg s;
	struct synth w;
	struct seg_error e;
	char path[300];

	open_live(&s, &w, path, sizeof(path));
	ASSERT_EQ(truncate(path, (off_t)(w.size / 2)), 0);
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_ESHRUNK);
	ASSERT_CONTAINS(e.msg, "shrank");
	ASSERT_EQ(truncate(path, 0), 0);
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_ESHRUNK);
	seg_close(&s);
	rm_tmpdir();
}

static char *shrink_path;

static void shrink_now(struct seg *s)
{
	(void)s;
	ASSERT_EQ(truncate(shrink_path, 0), 0);
}

/* The file shrinks after the size check: the pass takes SIGBUS, and the
 * guard turns it into SEG_ESHRUNK. */
TEST(shrinks_during_a_pass_sigbus_guarded)
{
	struct seg s;
	struct synth w;
	struct seg_error e;
	char path[300];
	uint32_t irq = 1;

#if defined(__SANITIZE_THREAD__)
	/* ThreadSanitizer's signal interception kills the process on this
	 * SIGBUS before the guard's handler can leave it; irqtop is
	 * single-threaded and not shipped with TSan */
	printf("  skipped under ThreadSanitizer\n");
	return;
#endif
	open_live(&s, &w, path, sizeof(path));
	shrink_path = path;
	seg_test_after_fstat = shrink_now;
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_ESHRUNK);
	seg_test_after_fstat = NULL;
	/* details too, and again: the guard is re-armed each time */
	ASSERT_NE(seg_read_details(&s, &irq, 1, false, &e), 0);
	ASSERT_EQ(e.code, SEG_ESHRUNK);
	ASSERT_NE(seg_read_details(&s, &irq, 1, false, &e), 0);
	ASSERT_EQ(e.code, SEG_ESHRUNK);
	{
		uint64_t pc[2];

		ASSERT_NE(seg_read_percpu(&s, &irq, 1, pc, &e), 0);
		ASSERT_EQ(e.code, SEG_ESHRUNK);
	}
	seg_close(&s);
	rm_tmpdir();
}

TEST(rewritten_header_detected)
{
	struct seg s;
	struct synth w;
	struct seg_error e;
	char path[300];

	open_live(&s, &w, path, sizeof(path));
	w.h->nr_irqs = 32;
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_ECHANGED);
	w.h->nr_irqs = 64;
	w.h->handled_off += 64;
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_ECHANGED);
	w.h->handled_off -= 64;
	w.h->hard_total_off += 64;
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_ECHANGED);
	w.h->hard_total_off -= 64;
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	seg_close(&s);
	rm_tmpdir();
}

TEST(removed_or_closed_is_gone)
{
	struct seg s;
	struct synth w;
	struct seg_error e;
	char path[300];

	open_live(&s, &w, path, sizeof(path));
	w.h->flags |= IRQC_EXP_F_CLOSED;
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_EGONE);
	ASSERT_CONTAINS(e.msg, "shut down");
	w.h->flags &= ~IRQC_EXP_F_CLOSED;
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	unlink(path);
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_EGONE);
	ASSERT_CONTAINS(e.msg, "removed");
	seg_close(&s);
	rm_tmpdir();
}

TEST(process_exit_is_gone)
{
	struct seg s;
	struct seg_error e;
	int ready[2], st;
	pid_t child;
	char c;

	use_tmpdir();
	ASSERT_EQ(pipe(ready), 0);
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		size_t size;
		void *buf = valid_buf(1, 4, false, getpid(), &size);

		write_seg(getpid(), buf, size);
		ASSERT_EQ(write(ready[1], "x", 1), 1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	ASSERT_EQ(seg_open(&s, child, &e), 0);
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	ASSERT_NE(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(e.code, SEG_EGONE);
	ASSERT_CONTAINS(e.msg, "exited");
	seg_close(&s);
	/* and opening the dead PID's segment says so */
	ASSERT_NE(seg_open(&s, child, &e), 0);
	ASSERT_EQ(e.code, SEG_ENOENT);
	ASSERT_CONTAINS(e.msg, "not running");
	rm_tmpdir();
}

TEST(seq_protocol)
{
	size_t size;
	void *buf = valid_buf(1, 8, false, 99, &size);
	struct synth w;
	struct seg s;
	struct seg_error e;
	uint32_t irq = 3;
	int fd;

	synth_attach(&w, buf, size);
	w.lines[3].seq = 7;	/* a writer is inside: never consistent */
	fd = memfd_of(buf, size);
	ASSERT_EQ(seg_open_fd(&s, fd, 0, SEG_O_NOLIVENESS, &e), 0);
	s.meta_rescan_ns = 0;	/* every meta_gen move: see meta_rescan_limit */
	ASSERT_FALSE(s.meta[3].valid);
	ASSERT_GT(s.meta_unstable, 0);
	ASSERT_TRUE(s.meta[0].valid);
	{
		/* the writer finishes: new name, even seq, meta_gen bumped */
		struct irqc_exp_line *L = mmap(NULL, size, PROT_READ | PROT_WRITE,
					       MAP_SHARED, fd, 0);
		struct synth lw;

		ASSERT_TRUE(L != MAP_FAILED);
		synth_attach(&lw, L, size);
		lw.lines[3].seq = 6;
		synth_set_line(&lw, 3, "renamed", "c", "f", 1, 0, 0, 1);
		ASSERT_EQ(seg_sample(&s, 0, &e), 0);
		ASSERT_TRUE(s.meta[3].valid);
		ASSERT_STR_EQ(s.meta[3].actions, "renamed");
		/* changed without a meta_gen bump: seen when shown */
		lw.lines[0].seq += 2;
		strcpy(lw.lines[0].actions, "quiet");
		lw.h->meta_gen = s.meta_gen_seen;
		ASSERT_EQ(seg_sample(&s, 0, &e), 0);
		ASSERT_STR_EQ(s.meta[0].actions, "dev0");
		irq = 0;
		ASSERT_EQ(seg_read_details(&s, &irq, 1, false, &e), 0);
		ASSERT_STR_EQ(s.meta[0].actions, "quiet");
		/* odd again: the previous good copy stays */
		lw.lines[0].seq++;
		lw.h->meta_gen++;
		ASSERT_EQ(seg_sample(&s, 0, &e), 0);
		ASSERT_TRUE(s.meta[0].valid);
		ASSERT_STR_EQ(s.meta[0].actions, "quiet");
		munmap(L, size);
	}
	seg_close(&s);
	free(buf);
}

static struct synth *attach_rw(struct seg *s, int fd, struct synth *w);

/* The records of every line are scanned at most once a second; the lines
 * shown are re-read on every refresh. */
TEST(meta_rescan_limit)
{
	struct synth_params p = { 1, 8, false, 99, "limit" };
	size_t size;
	void *buf = synth_build(&p, &size);
	struct synth w;
	struct seg s;
	struct seg_error e;
	uint32_t irq = 5;
	int fd = memfd_of(buf, size);

	ASSERT_EQ(seg_open_fd(&s, fd, 0, SEG_O_NOLIVENESS, &e), 0);
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	attach_rw(&s, fd, &w);
	synth_set_line(&w, 5, "new", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(s.active[5], 0);		/* not scanned yet */
	ASSERT_EQ(seg_read_details(&s, &irq, 1, false, &e), 0);
	ASSERT_EQ(s.active[5], 1);		/* shown: read at once */
	ASSERT_STR_EQ(s.meta[5].actions, "new");
	synth_set_line(&w, 6, "later", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	s.meta_rescan_at -= IRQTOP_META_RESCAN_NS;	/* a second later */
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	ASSERT_EQ(s.active[6], 1);
	munmap(w.map, w.size);
	seg_close(&s);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* selection and order */

static void ctl_init(struct irqtop_ctl *ctl)
{
	memset(ctl, 0, sizeof(*ctl));
	memset(ctl->cpus, 0xff, sizeof(ctl->cpus));
	ctl->sort = SORT_IRQ;
}

static struct synth *attach_rw(struct seg *s, int fd, struct synth *w)
{
	void *m = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);

	ASSERT_TRUE(m != MAP_FAILED);
	synth_attach(w, m, s->map_len);
	return w;
}

TEST(deltas_paired_by_irq_number)
{
	struct synth_params p = { 2, 16, false, 99, "pair" };
	size_t size;
	void *buf = synth_build(&p, &size);
	struct irqtop_ctl ctl;
	struct synth b, w;
	struct seg_error e;
	int fd;

	synth_attach(&b, buf, size);
	synth_set_line(&b, 3, "three", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	synth_set_line(&b, 9, "nine", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	b.handled[synth_cell(&b, 0, 9)] = 50;
	fd = memfd_of(buf, size);
	ctl_init(&ctl);
	ASSERT_EQ(seg_open_fd(&ctl.seg, fd, 0, SEG_O_NOLIVENESS, &e), 0);
	ctl.seg.meta_rescan_ns = 0;
	ASSERT_EQ(seg_sample(&ctl.seg, 0, &e), 0);
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.norder, 2);
	ASSERT_EQ(ctl.order[0], 3);
	ASSERT_EQ(ctl.order[1], 9);

	/* line 3 goes away, lines 5 and 7 appear in front of 9, 9 moves on */
	attach_rw(&ctl.seg, fd, &w);
	synth_set_line(&w, 3, "", "c", "f", 0, -1, 0, 0);
	synth_set_line(&w, 5, "five", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	synth_set_line(&w, 7, "seven", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	w.handled[synth_cell(&w, 1, 5)] = 100;
	w.handled[synth_cell(&w, 0, 9)] = 57;
	ASSERT_EQ(seg_sample(&ctl.seg, 0, &e), 0);
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.norder, 3);
	ASSERT_EQ(ctl.order[0], 5);
	ASSERT_EQ(ctl.order[1], 7);
	ASSERT_EQ(ctl.order[2], 9);
	ASSERT_EQ(ctl.seg.delta[5], 100);
	ASSERT_EQ(ctl.seg.delta[7], 0);
	ASSERT_EQ(ctl.seg.delta[9], 7);
	ctl.sort = SORT_DELTA;
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.order[0], 5);
	ASSERT_EQ(ctl.order[1], 9);
	ASSERT_EQ(ctl.order[2], 7);
	/* a counter that goes back was reset: its whole value is new */
	w.handled[synth_cell(&w, 0, 9)] = 3;
	ASSERT_EQ(seg_sample(&ctl.seg, 0, &e), 0);
	ASSERT_EQ(ctl.seg.delta[9], 3);
	ASSERT_EQ(ctl.seg.delta[5], 0);
	munmap(w.map, w.size);
	seg_close(&ctl.seg);
	free(ctl.order);
	free(buf);
}

static int cmp_ref_desc(const void *a, const void *b, void *keys)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	const uint64_t *k = keys;

	if (k[x] != k[y])
		return k[x] > k[y] ? -1 : 1;
	return x < y ? -1 : 1;
}

TEST(sort_filter_threshold)
{
	struct synth_params p = { 3, 5000, false, 99, "sort" };
	size_t size;
	void *buf = synth_build(&p, &size);
	struct irqtop_ctl ctl;
	struct synth b, w;
	struct seg_error e;
	unsigned seed = 7;
	uint32_t *ref;
	size_t nref = 0;
	int fd;

	synth_attach(&b, buf, size);
	for (uint32_t i = 0; i < 5000; i++) {
		char n[32];

		snprintf(n, sizeof(n), i % 2 ? "Eth%u" : "disk%u", i);
		synth_set_line(&b, i, n, "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
		/* wide spread, many ties */
		b.handled[synth_cell(&b, i % 3, i)] =
			rand_r(&seed) % 4 ? (uint64_t)(rand_r(&seed) % 50) :
			(uint64_t)rand_r(&seed) << 20;
	}
	fd = memfd_of(buf, size);
	ctl_init(&ctl);
	ASSERT_EQ(seg_open_fd(&ctl.seg, fd, 0, SEG_O_NOLIVENESS, &e), 0);
	ASSERT_EQ(seg_sample(&ctl.seg, 0, &e), 0);
	attach_rw(&ctl.seg, fd, &w);
	for (uint32_t i = 0; i < 5000; i += 2)
		w.handled[synth_cell(&w, 0, i)] += (uint64_t)(rand_r(&seed) % 1000);
	ASSERT_EQ(seg_sample(&ctl.seg, 0, &e), 0);

	ref = malloc(5000 * sizeof(*ref));
	for (uint32_t i = 0; i < 5000; i++)
		ref[nref++] = i;
	ctl.sort = SORT_TOTAL;
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.norder, 5000);
	qsort_r(ref, nref, sizeof(*ref), cmp_ref_desc, ctl.seg.total);
	for (size_t k = 0; k < nref; k++)
		ASSERT_EQ(ctl.order[k], ref[k]);
	ctl.sort = SORT_RATE;
	ASSERT_EQ(view_select(&ctl), 0);
	qsort_r(ref, nref, sizeof(*ref), cmp_ref_desc, ctl.seg.delta);
	for (size_t k = 0; k < nref; k++)
		ASSERT_EQ(ctl.order[k], ref[k]);
	ctl.reverse = true;
	ASSERT_EQ(view_select(&ctl), 0);
	for (size_t k = 0; k < nref; k++)
		ASSERT_EQ(ctl.order[k], ref[nref - 1 - k]);
	ctl.reverse = false;

	ctl.sort = SORT_NAME;
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_STR_EQ(ctl.seg.meta[ctl.order[0]].actions, "Eth1");
	for (size_t k = 1; k < ctl.norder; k++)
		ASSERT_LE(strcmp(ctl.seg.meta[ctl.order[k - 1]].actions,
				 ctl.seg.meta[ctl.order[k]].actions), 0);

	/* filter (case-insensitive substring), active only, threshold */
	strcpy(ctl.filter, "eth49");
	ctl.sort = SORT_IRQ;
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.norder, 56);	/* 49, 491 ... 499, 4901 ... 4999 */
	ctl.filter[0] = '\0';
	ctl.active_only = true;
	ASSERT_EQ(view_select(&ctl), 0);
	for (size_t k = 0; k < ctl.norder; k++) {
		ASSERT_EQ(ctl.order[k] % 2, 0);
		ASSERT_GT(ctl.seg.delta[ctl.order[k]], 0);
	}
	ctl.active_only = false;
	ctl.threshold = 1000;
	ASSERT_EQ(view_select(&ctl), 0);
	for (size_t k = 0; k < ctl.norder; k++)
		ASSERT_GE(ctl.seg.total[ctl.order[k]], 1000);
	free(ref);
	munmap(w.map, w.size);
	seg_close(&ctl.seg);
	free(ctl.order);
	free(buf);
}

/* Garbage handler times give absurd TIME% values: sorted, not undefined
 * (the fuzzer found the overflowing conversion). */
TEST(time_sort_with_garbage_times)
{
	size_t size;
	void *buf = valid_buf(2, 8, false, 99, &size);
	struct irqtop_ctl ctl;
	struct synth w;
	struct seg_error e;
	int fd = memfd_of(buf, size);

	ctl_init(&ctl);
	ctl.sort = SORT_TIME;
	ASSERT_EQ(seg_open_fd(&ctl.seg, fd, 0, SEG_O_NOLIVENESS, &e), 0);
	ASSERT_EQ(seg_sample(&ctl.seg, SEG_S_TIME, &e), 0);
	attach_rw(&ctl.seg, fd, &w);
	/* the first read of a changed line sets its base, the next one
	 * gives a percentage */
	w.handled[synth_cell(&w, 0, 3)]++;
	w.handled[synth_cell(&w, 1, 6)]++;
	ASSERT_EQ(seg_sample(&ctl.seg, SEG_S_TIME, &e), 0);
	w.handled[synth_cell(&w, 0, 3)]++;
	w.hard_total[3] = UINT64_MAX - 5;
	w.handled[synth_cell(&w, 1, 6)]++;
	w.hard_total[6] = 1000;
	ASSERT_EQ(seg_sample(&ctl.seg, SEG_S_TIME, &e), 0);
	ASSERT_GT(seg_time_pct(&ctl.seg, 3), 1e12);
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.order[0], 3);
	ASSERT_EQ(ctl.order[1], 6);
	munmap(w.map, w.size);
	seg_close(&ctl.seg);
	free(ctl.order);
	free(buf);
}

/* Two samples in a row by time: TIME% of every line, from the line totals
 * (hard_total) alone, over the same interval, and the order follows it. */
TEST(time_of_every_line_from_line_totals)
{
	size_t size;
	void *buf = valid_buf(2, 8, false, 99, &size);
	struct irqtop_ctl ctl;
	struct synth w;
	struct seg_error e;
	int fd = memfd_of(buf, size);
	double iv;

	ctl_init(&ctl);
	ctl.sort = SORT_TIME;
	ASSERT_EQ(seg_open_fd(&ctl.seg, fd, 0, SEG_O_NOLIVENESS, &e), 0);
	attach_rw(&ctl.seg, fd, &w);
	ASSERT_EQ(seg_sample(&ctl.seg, SEG_S_TIME, &e), 0);
	ASSERT_FALSE(ctl.seg.hard_base_ok);	/* the first: no base yet */
	synth_event(&w, 0, 3, 1000000);
	synth_event(&w, 1, 6, 3000000);		/* 3 ms on two CPUs */
	synth_event(&w, 0, 6, 1000000);
	synth_event(&w, 1, 0, 2000000);		/* line 0: 2 ms */
	/* per-CPU cells alone (no total): not what TIME% reads */
	w.handled[synth_cell(&w, 1, 3)]++;
	w.hard_ns[synth_cell(&w, 1, 3)] += 50000000;
	usleep(10000);
	ASSERT_EQ(seg_sample(&ctl.seg, SEG_S_TIME, &e), 0);
	ASSERT_TRUE(ctl.seg.hard_base_ok);
	ASSERT_GT(ctl.seg.interval_ns, 0);
	iv = (double)ctl.seg.interval_ns;
	/* no seg_read_details(): known for every line */
	ASSERT_TRUE(seg_time_pct(&ctl.seg, 6) == 4e6 * 100.0 / iv);
	ASSERT_TRUE(seg_time_pct(&ctl.seg, 0) == 2e6 * 100.0 / iv);
	ASSERT_TRUE(seg_time_pct(&ctl.seg, 3) == 1e6 * 100.0 / iv);
	ASSERT_TRUE(seg_time_pct(&ctl.seg, 5) == 0.0);
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.order[0], 6);
	ASSERT_EQ(ctl.order[1], 0);
	ASSERT_EQ(ctl.order[2], 3);
	/* the next interval: only what came since */
	synth_event(&w, 0, 3, 5000000);
	usleep(10000);
	ASSERT_EQ(seg_sample(&ctl.seg, SEG_S_TIME, &e), 0);
	iv = (double)ctl.seg.interval_ns;
	ASSERT_TRUE(seg_time_pct(&ctl.seg, 3) == 5e6 * 100.0 / iv);
	ASSERT_TRUE(seg_time_pct(&ctl.seg, 6) == 0.0);
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.order[0], 3);
	/* a sample not by time: the next one by time has no base */
	ASSERT_EQ(seg_sample(&ctl.seg, 0, &e), 0);
	ASSERT_EQ(seg_sample(&ctl.seg, SEG_S_TIME, &e), 0);
	ASSERT_FALSE(ctl.seg.hard_base_ok);
	munmap(w.map, w.size);
	seg_close(&ctl.seg);
	free(ctl.order);
	free(buf);
}

TEST(inactive_lines_with_counts_are_shown)
{
	size_t size;
	void *buf = valid_buf(1, 8, false, 99, &size);
	struct irqtop_ctl ctl;
	struct synth b;
	struct seg_error e;

	synth_attach(&b, buf, size);
	b.handled[synth_cell(&b, 0, 4)] = 5;	/* no action, counts */
	synth_set_line(&b, 0, "x", "c", "f", IRQC_EXP_S_ACTIVE, 0, 0, 1);
	ctl_init(&ctl);
	ASSERT_EQ(open_buf(&ctl.seg, buf, size, &e), 0);
	ASSERT_EQ(seg_sample(&ctl.seg, 0, &e), 0);
	ASSERT_EQ(view_select(&ctl), 0);
	/* 0 (active, count 0), 3, 6 (active), 4 (counts) */
	ASSERT_EQ(ctl.norder, 4);
	ASSERT_EQ(ctl.order[2], 4);
	seg_close(&ctl.seg);
	free(ctl.order);
	free(buf);
}

TEST(cpulist_and_formats)
{
	uint64_t m[16];
	char b[64];

	ASSERT_EQ(view_parse_cpulist("0-3,6", m, 1024), 0);
	view_cpulist(m, 1024, b, sizeof(b));
	ASSERT_STR_EQ(b, "0-3,6");
	ASSERT_EQ(view_parse_cpulist("1023", m, 1024), 0);
	view_cpulist(m, 1024, b, sizeof(b));
	ASSERT_STR_EQ(b, "1023");
	view_cpulist(m, 1000, b, sizeof(b));	/* beyond nr_cpus: none */
	ASSERT_STR_EQ(b, "-");
	ASSERT_NE(view_parse_cpulist("", m, 1024), 0);
	ASSERT_NE(view_parse_cpulist("1024", m, 1024), 0);
	ASSERT_NE(view_parse_cpulist("3-1", m, 1024), 0);
	ASSERT_NE(view_parse_cpulist("1,", m, 1024), 0);
	ASSERT_NE(view_parse_cpulist("a", m, 1024), 0);
	ASSERT_NE(view_parse_cpulist("-1", m, 1024), 0);
	/* every other CPU of 1024: cut with "..." */
	memset(m, 0x55, sizeof(m));
	view_cpulist(m, 1024, b, sizeof(b));
	ASSERT_LT(strlen(b), sizeof(b));
	ASSERT_CONTAINS(b, "...");
	view_prio(50, IRQC_EXP_S_THREADED, b, sizeof(b));
	ASSERT_STR_EQ(b, "FF50");
	view_prio(0, IRQC_EXP_S_THREADED, b, sizeof(b));
	ASSERT_STR_EQ(b, "TS");
	view_prio(0, IRQC_EXP_S_THREADED | IRQC_EXP_S_PRIO_REFUSED, b, sizeof(b));
	ASSERT_STR_EQ(b, "TS!");
	view_prio(-1, 0, b, sizeof(b));
	ASSERT_STR_EQ(b, "");
	view_prio(INT32_MAX, 0, b, sizeof(b));	/* garbage: shown, not trusted */
	ASSERT_STR_EQ(b, "FF2147483647");
	view_state(IRQC_EXP_S_ACTIVE, b, sizeof(b));
	ASSERT_STR_EQ(b, "-");
	view_state(IRQC_EXP_S_DISABLED | IRQC_EXP_S_ONESHOT |
		   IRQC_EXP_S_ONESHOT_PENDING | IRQC_EXP_S_MASKED, b, sizeof(b));
	ASSERT_STR_EQ(b, "DMOP");
	view_ns(999, b, sizeof(b));
	ASSERT_STR_EQ(b, "999ns");
	view_ns(12345, b, sizeof(b));
	ASSERT_STR_EQ(b, "12.3us");
	view_duration(90061000000000ull, b, sizeof(b));
	ASSERT_STR_EQ(b, "1d 01:01:01");
}

TEST(affinity_bits_past_nr_cpus_dropped)
{
	size_t size;
	void *buf = valid_buf(3, 4, false, 99, &size);
	struct synth b;
	struct seg s;
	struct seg_error e;
	char out[64];

	synth_attach(&b, buf, size);
	synth_set_line(&b, 0, "a", "c", "f", 1, 77, 0, ~0ull);
	b.lines[0].seq += 2;
	b.lines[0].affinity[5] = ~0ull;
	ASSERT_EQ(open_buf(&s, buf, size, &e), 0);
	view_cpulist(s.meta[0].affinity, s.nr_cpus, out, sizeof(out));
	ASSERT_STR_EQ(out, "0-2");
	ASSERT_EQ(s.meta[0].affinity[5], 0);
	ASSERT_EQ(s.meta[0].effective_cpu, 77);	/* range-checked when shown */
	seg_close(&s);
	free(buf);
}

/* A6: a CPU's offline word (a reserved word in older writers: 0) */
TEST(cpu_offline_flag)
{
	size_t size;
	void *buf = valid_buf(3, 4, false, 99, &size);
	struct synth b;
	struct seg s;
	struct seg_error e;

	synth_attach(&b, buf, size);
	b.cpus[1].offline = 1;
	b.cpus[2].offline = 0x80000000u;	/* any value is a flag */
	ASSERT_EQ(open_buf(&s, buf, size, &e), 0);
	ASSERT_EQ(seg_sample(&s, 0, &e), 0);
	ASSERT_FALSE(s.cpus[0].offline);
	ASSERT_TRUE(s.cpus[1].offline);
	ASSERT_TRUE(s.cpus[2].offline);
	seg_close(&s);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* --list and --clean */

static pid_t dead_pid(void)
{
	pid_t c = fork();
	int st;

	ASSERT_GE(c, 0);
	if (c == 0)
		_exit(0);
	waitpid(c, &st, 0);
	return c;
}

static struct seg_info *find_info(struct seg_info *v, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == pid)
			return &v[i];
	return NULL;
}

TEST(list_and_clean)
{
	struct synth_params p = { 1, 4, false, 0, "me" };
	pid_t dead = dead_pid(), dead2 = dead_pid();
	struct seg_info *v, *i;
	struct seg_error e;
	struct synth live;
	char path[300], msg[600];
	size_t n, size;
	void *buf;

	use_tmpdir();
	seg_path(getpid(), path, sizeof(path));
	ASSERT_EQ(synth_create(&live, path, &p), 0);	/* live, mapped */
	buf = valid_buf(1, 4, false, dead, &size);
	write_seg(dead, buf, size);			/* stale: gone */
	free(buf);
	write_seg(dead2, "garbage", 7);			/* invalid, gone */
	snprintf(path, sizeof(path), "%s/irqcore.abc", tmpdir);
	write_seg(0, "x", 1);				/* irqcore.0 */
	{
		char other[300];

		snprintf(other, sizeof(other), "%s/irqcore.0", tmpdir);
		ASSERT_EQ(rename(other, path), 0);	/* irqcore.abc */
		snprintf(other, sizeof(other), "%s/irqcore.0123", tmpdir);
		ASSERT_EQ(symlink("x", other), 0);
	}

	ASSERT_EQ(seg_scan(&v, &n, &e), 0);
	ASSERT_EQ(n, 3);
	i = find_info(v, n, getpid());
	ASSERT_TRUE(i && i->state == SEG_LIVE);
	ASSERT_STR_EQ(i->comm, "me");
	i = find_info(v, n, dead);
	ASSERT_TRUE(i && i->state == SEG_STALE);
	ASSERT_CONTAINS(i->why, "process gone");
	i = find_info(v, n, dead2);
	ASSERT_TRUE(i && i->state == SEG_INVALID);

	/* stale heartbeat of a live, mapping process: kept */
	live.h->heartbeat_mono_ns -= 60ull * 1000000000ull;
	free(v);
	ASSERT_EQ(seg_scan(&v, &n, &e), 0);
	i = find_info(v, n, getpid());
	ASSERT_TRUE(i && i->state == SEG_STALE);
	ASSERT_CONTAINS(i->why, "heartbeat");
	for (size_t k = 0; k < n; k++) {
		int r = seg_clean_one(&v[k], msg, sizeof(msg));

		if (v[k].pid == getpid()) {
			ASSERT_EQ(r, 0);
			ASSERT_CONTAINS(msg, "kept");
		} else {
			ASSERT_EQ(r, 1);
			ASSERT_CONTAINS(msg, "removed");
		}
	}
	free(v);
	ASSERT_EQ(seg_scan(&v, &n, &e), 0);
	ASSERT_EQ(n, 1);
	free(v);

	/* the same stale segment no longer mapped: PID reused, removed */
	synth_close(&live);
	ASSERT_EQ(seg_scan(&v, &n, &e), 0);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(seg_clean_one(&v[0], msg, sizeof(msg)), 1);
	ASSERT_CONTAINS(msg, "does not map it");
	free(v);
	ASSERT_EQ(seg_scan(&v, &n, &e), 0);
	ASSERT_EQ(n, 0);
	free(v);
	rm_tmpdir();
}

TEST(big_segment_65536_lines)
{
	struct synth_params p = { 2, 65536, false, 99, "big" };
	size_t size;
	void *buf = synth_build(&p, &size);
	struct irqtop_ctl ctl;
	struct synth b;
	struct seg_error e;

	synth_attach(&b, buf, size);
	for (uint32_t i = 0; i < 65536; i += 7)
		b.handled[synth_cell(&b, 1, i)] = i;
	ctl_init(&ctl);
	ctl.sort = SORT_TOTAL;
	ASSERT_EQ(open_buf(&ctl.seg, buf, size, &e), 0);
	ASSERT_EQ(seg_sample(&ctl.seg, SEG_S_TIME, &e), 0);
	ASSERT_EQ(view_select(&ctl), 0);
	ASSERT_EQ(ctl.norder, 65536 / 7);	/* line 0 has total 0 */
	ASSERT_EQ(ctl.order[0], 65534);
	ASSERT_EQ(seg_read_details(&ctl.seg, ctl.order, ctl.norder, true, &e),
		  0);
	seg_close(&ctl.seg);
	free(ctl.order);
	free(buf);
}
