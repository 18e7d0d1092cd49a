/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_segment.c — libFuzzer target over irqtop's reader: segment.c (open,
 * validate, sample, details), view.c (selection, sorting, formats) and
 * table.c (the screen's table and the -J output).
 *
 * An input is either
 *   - raw: the bytes of a segment file, or
 *   - 'P' mode: "P" cpus irqs flags, then 5-byte patches (3-byte offset,
 *     1-byte value, 1-byte phase): a valid segment is built (synth.c), the
 *     phase-0 patches applied before it is opened and the phase-1 patches
 *     while it is watched (between two samples); flags bit 1 then shrinks
 *     the file, which the next sample must report as SEG_ESHRUNK.
 *
 * The segment lives in a memfd, mapped by the reader as a file would be.
 * Besides the sanitizers' checks, the target aborts if a shrunk segment is
 * not reported, or if an open succeeds on a segment whose header fails
 * seg_check_header().
 *
 * IRQTOP_FUZZ_WRITE_SEEDS=DIR: writes seed inputs into DIR and exits.
 */
#include "irqtop.h"
#include "synth.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static FILE *devnull;

static void put(const uint8_t *buf, size_t n)
{
	size_t off = 0;

	if (ftruncate(memfd, 0) != 0 || ftruncate(memfd, (off_t)n) != 0)
		abort();
	while (off < n) {
		ssize_t w = pwrite(memfd, buf + off, n - off, (off_t)off);

		if (w <= 0)
			abort();
		off += (size_t)w;
	}
}

static void patch(const uint8_t *p, size_t np, int phase, size_t size)
{
	for (size_t k = 0; k + 5 <= np; k += 5) {
		size_t off = ((size_t)p[k] | (size_t)p[k + 1] << 8 |
			      (size_t)p[k + 2] << 16) % size;

		if ((p[k + 4] & 1) != phase)
			continue;
		if (pwrite(memfd, &p[k + 3], 1, (off_t)off) != 1)
			abort();
	}
}

static void build_valid(uint32_t cpus, uint32_t irqs, bool lat,
			uint8_t **out, size_t *size)
{
	struct synth_params p = { cpus, irqs, lat, 4242, "fuzz" };
	struct synth s;
	uint8_t *buf = synth_build(&p, size);

	if (!buf)
		abort();
	synth_attach(&s, buf, *size);
	for (uint32_t i = 0; i < irqs; i += 2) {
		char name[32];

		snprintf(name, sizeof(name), "dev%u, dev%u", i, i + 1);
		synth_set_line(&s, i, name, "chip", "edge",
			       IRQC_EXP_S_ACTIVE | (i & 0x7fe),
			       (int32_t)(i % cpus), i, 1ull << (i % cpus));
		synth_event(&s, i % cpus, i, 100 + i);
	}
	*out = buf;
}

static void exercise(struct irqtop_ctl *ctl, uint8_t knobs)
{
	struct seg_error e;
	bool with_cpus;
	uint64_t *percpu;
	char *str;
	size_t n;

	ctl->sort = (enum irqtop_sort)(knobs % 6);
	ctl->reverse = knobs & 0x8;
	ctl->active_only = knobs & 0x10;
	strcpy(ctl->filter, knobs & 0x20 ? "dev1" : "");
	ctl->cpustat = knobs & 0x40 ? CPUSTAT_ALWAYS : CPUSTAT_AUTO;
	if (view_select(ctl))
		return;
	n = ctl->norder < 64 ? ctl->norder : 64;
	percpu = calloc(n * ctl->seg.nr_cpus + 1, sizeof(*percpu));
	if (!percpu)
		return;
	if (seg_read_details(&ctl->seg, ctl->order, n, true, &e) == 0 &&
	    seg_read_percpu(&ctl->seg, ctl->order, n, percpu, &e) == 0) {
		str = table_render(ctl, 0, n, knobs & 1 ? 80 : 1000, &with_cpus,
				   &e);
		free(str);
		ctl->mode = knobs & 0x80 ? MODE_JSON : MODE_PAIRS;
		ctl->norder = n;
		table_print(ctl, percpu, devnull);
	}
	free(percpu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irqtop_ctl ctl;
	struct seg_error e;
	const uint8_t *patches = NULL;
	size_t np = 0, segsize = size;
	uint8_t *built = NULL, flags = 0, knobs = 0;
	int fd;

	if (memfd < 0) {
		memfd = memfd_create("fuzz-seg", MFD_CLOEXEC);
		devnull = fopen("/dev/null", "w");
		if (memfd < 0 || !devnull)
			abort();
	}
	if (size >= 5 && data[0] == 'P') {
		build_valid(1 + data[1] % 4, 1 + data[2] % 64, data[3] & 1,
			    &built, &segsize);
		flags = data[3];
		knobs = data[4];
		patches = data + 5;
		np = size - 5;
		put(built, segsize);
		patch(patches, np, 0, segsize);
	} else {
		put(data, size);
		knobs = size ? data[size - 1] : 0;
	}

	memset(&ctl, 0, sizeof(ctl));
	memset(ctl.cpus, 0xff, sizeof(ctl.cpus));
	table_default_columns(&ctl);
	fd = dup(memfd);
	if (fd < 0)
		abort();
	if (seg_open_fd(&ctl.seg, fd, 0, SEG_O_NOLIVENESS, &e) == 0) {
		struct irqc_exp_header h;

		/* what was accepted must pass the checks on its own */
		if (pread(memfd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
		    seg_check_header(&h, segsize, 0, NULL) != 0)
			abort();
		if (seg_sample(&ctl.seg, view_sample_flags(&ctl), &e) == 0) {
			exercise(&ctl, knobs);
			if (patches)
				patch(patches, np, 1, segsize);
			if (seg_sample(&ctl.seg, SEG_S_TIME, &e) == 0)
				exercise(&ctl, (uint8_t)(knobs ^ 0x5a));
			if (flags & 2) {
				size_t shrunk = segsize / 2;

				if (ftruncate(memfd, (off_t)shrunk) != 0)
					abort();
				if (seg_sample(&ctl.seg, 0, &e) == 0 ||
				    (e.code != SEG_ESHRUNK &&
				     e.code != SEG_ECHANGED &&
				     e.code != SEG_EGONE &&
				     e.code != SEG_ESTRING))
					abort();
			}
		}
		seg_close(&ctl.seg);
	} else if (e.msg[0] == '\0') {
		abort();	/* every failure says why */
	}
	free(ctl.order);
	free(built);
	return 0;
}

static void write_seed(const char *dir, const char *name, const void *buf,
		       size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n)
		exit(1);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("IRQTOP_FUZZ_WRITE_SEEDS");
	static const struct { uint32_t c, i; bool lat; } shapes[] = {
		{ 1, 1, false }, { 2, 8, true }, { 4, 16, false }, { 3, 5, true },
	};
	uint8_t pmode[] = { 'P', 1, 7, 3, 0x42, 8, 0, 0, 0xff, 0,
			    0x40, 0, 0, 7, 1, 0x10, 1, 0, 0x01, 1 };

	(void)argc;
	(void)argv;
	if (!dir)
		return 0;
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		uint8_t *buf;
		size_t n;
		char name[32];

		build_valid(shapes[k].c, shapes[k].i, shapes[k].lat, &buf, &n);
		snprintf(name, sizeof(name), "valid-%u-%u%s", shapes[k].c,
			 shapes[k].i, shapes[k].lat ? "-lat" : "");
		write_seed(dir, name, buf, n);
		free(buf);
	}
	write_seed(dir, "patch-1", pmode, sizeof(pmode));
	pmode[3] = 0;
	pmode[2] = 63;
	write_seed(dir, "patch-2", pmode, sizeof(pmode));
	exit(0);
}
