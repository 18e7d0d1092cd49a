/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_reader — what one irqtop refresh costs on a big segment.
 *
 * Builds a synthetic segment (default 65536 lines x 64 CPUs, every line
 * active) in a temporary file of $IRQTOP_SHM_DIR or /dev/shm, then for each
 * scenario runs N refreshes of the screen's data path: seg_sample() (the
 * `handled` array of every line, the CPU records, metadata when meta_gen
 * moved), view_select() (filter and sort every line) and
 * seg_read_details() for one screen of rows; then, separately, the
 * libsmartcols rendering of those rows (table_render). Between refreshes a
 * writer changes counters (not timed). CPU time is the process's
 * (CLOCK_PROCESS_CPUTIME_ID) around the timed calls only.
 *
 *   bench_reader [-c CPUS] [-i IRQS] [-n REFRESHES] [-r ROWS] [-s TEXT]
 *
 * -s runs only the scenarios whose name contains TEXT (for a profiler).
 *
 * Prints, per scenario, the mean CPU time per refresh and what it is as a
 * share of one CPU at one refresh per 100 ms.
 */
#include "irqtop.h"
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct scenario {
	const char *name;
	double changed;		/* share of lines with new events per refresh */
	unsigned meta;		/* records republished per refresh */
	enum irqtop_sort sort;
};

static unsigned long long rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

int main(int argc, char **argv)
{
	static const struct scenario sc[] = {
		{ "idle (no counter moves)", 0, 0, SORT_RATE },
		{ "1% of lines change", 0.01, 0, SORT_RATE },
		{ "1% change + 100 records republished", 0.01, 100, SORT_RATE },
		{ "10% of lines change", 0.10, 0, SORT_RATE },
		{ "every line changes", 1.0, 0, SORT_RATE },
		{ "1% change, sorted by TIME%", 0.01, 0, SORT_TIME },
		{ "every line changes, sorted by TIME%", 1.0, 0, SORT_TIME },
	};
	struct synth_params p = { 64, 65536, false, 0, "bench" };
	const char *dir = getenv(IRQTOP_DIR_ENV), *only = NULL;
	unsigned refreshes = 50, rows = 50;
	struct irqtop_ctl ctl;
	struct seg_error e;
	struct synth w;
	char path[512];
	int c;

	while ((c = getopt(argc, argv, "c:i:n:r:s:")) != -1) {
		switch (c) {
		case 'c': p.nr_cpus = (uint32_t)atoi(optarg); break;
		case 'i': p.nr_irqs = (uint32_t)atoi(optarg); break;
		case 'n': refreshes = (unsigned)atoi(optarg); break;
		case 'r': rows = (unsigned)atoi(optarg); break;
		case 's': only = optarg; break;
		default:
			fprintf(stderr, "usage: bench_reader [-c CPUS] [-i IRQS] "
				"[-n REFRESHES] [-r ROWS] [-s TEXT]\n");
			return 2;
		}
	}
	if (!dir || !*dir)
		dir = "/dev/shm";
	p.pid = getpid();
	snprintf(path, sizeof(path), "%s/irqcore.%d", dir, (int)getpid());
	if (synth_create(&w, path, &p)) {
		perror(path);
		return 1;
	}
	for (uint32_t i = 0; i < p.nr_irqs; i++) {
		char name[32];

		snprintf(name, sizeof(name), "dev%u-q%u", i / 8, i % 8);
		synth_set_line(&w, i, name, "bench", "edge", IRQC_EXP_S_ACTIVE,
			       (int32_t)(i % p.nr_cpus), i, 1ull << (i % 64));
		for (uint32_t k = 0; k < 4; k++)
			synth_event(&w, rnd(p.nr_cpus), i, 500 + rnd(2000));
	}
	synth_heartbeat(&w);
	/* every page written once: the process has touched its counters,
	 * and no page is allocated while measuring */
	for (size_t off = 0; off < w.size; off += 4096) {
		volatile unsigned char *b = w.map + off;

		*b = *b;
	}

	memset(&ctl, 0, sizeof(ctl));
	memset(ctl.cpus, 0xff, sizeof(ctl.cpus));
	table_default_columns(&ctl);
	ctl.cpustat = CPUSTAT_AUTO;
	if (seg_open(&ctl.seg, getpid(), &e)) {
		fprintf(stderr, "bench_reader: %s\n", e.msg);
		unlink(path);
		return 1;
	}
	/* both sides hold it mapped: no 150 MiB file left behind if we die */
	unlink(path);
	ctl.seg.path[0] = '\0';

	printf("bench_reader: %u lines x %u CPUs, segment %.1f MiB in %s, "
	       "%u refreshes per scenario, %u rows shown\n",
	       p.nr_irqs, p.nr_cpus, (double)w.size / 1048576.0, dir,
	       refreshes, rows);
	printf("%-40s %12s %12s %12s %10s\n", "scenario", "reader us",
	       "render us", "total us", "% CPU@100ms");
	for (size_t s = 0; s < sizeof(sc) / sizeof(sc[0]); s++) {
		double reader = 0, render = 0;
		unsigned warm = 3;

		if (only && !strstr(sc[s].name, only))
			continue;
		ctl.sort = sc[s].sort;
		for (unsigned r = 0; r < refreshes + warm; r++) {
			uint32_t nchg = (uint32_t)(sc[s].changed * p.nr_irqs);
			double t0, t1, t2;
			bool with_cpus;
			size_t n;
			char *str;

			/* the process at work (not timed) */
			for (uint32_t k = 0; k < nchg; k++) {
				uint32_t irq = sc[s].changed >= 1.0 ? k :
					       rnd(p.nr_irqs);

				synth_event(&w, rnd(p.nr_cpus), irq,
					    500 + rnd(2000));
			}
			for (unsigned k = 0; k < sc[s].meta; k++) {
				uint32_t irq = rnd(p.nr_irqs);

				synth_set_line(&w, irq, "renamed", "bench",
					       "edge", IRQC_EXP_S_ACTIVE, 0,
					       irq, 1);
			}
			synth_heartbeat(&w);

			t0 = cpu_us();
			if (seg_sample(&ctl.seg, view_sample_flags(&ctl), &e) ||
			    view_select(&ctl)) {
				fprintf(stderr, "bench_reader: %s\n", e.msg);
				return 1;
			}
			n = ctl.norder < rows ? ctl.norder : rows;
			if (seg_read_details(&ctl.seg, ctl.order, n, true, &e)) {
				fprintf(stderr, "bench_reader: %s\n", e.msg);
				return 1;
			}
			t1 = cpu_us();
			str = table_render(&ctl, 0, n, 200, &with_cpus, &e);
			free(str);
			t2 = cpu_us();
			if (r >= warm) {
				reader += t1 - t0;
				render += t2 - t1;
			}
		}
		reader /= refreshes;
		render /= refreshes;
		printf("%-40s %12.0f %12.0f %12.0f %10.2f\n", sc[s].name, reader,
		       render, reader + render,
		       (reader + render) / 100000.0 * 100.0);
	}
	seg_close(&ctl.seg);
	free(ctl.order);
	synth_close(&w);
	return 0;
}
