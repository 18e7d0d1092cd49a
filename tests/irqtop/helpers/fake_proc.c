/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fake_proc — a fake irqcore process for tests/irqtop/live.sh and
 * screen.sh: it publishes a valid statistics segment named after its own
 * PID (in $IRQTOP_SHM_DIR, default /dev/shm), keeps its heartbeat fresh
 * and its counters moving, and removes the segment on SIGTERM/SIGINT or
 * at the end of --exit-after. SIGKILL leaves a stale segment behind.
 *
 *   fake_proc [--cpus N] [--irqs N] [--latency] [--tick-ms MS] [--freeze]
 *             [--stale] [--exit-after SECS] [--late-line] [--comm NAME]
 *             [--ready FILE] [--totals FILE]
 *
 * Lines: 0 "timer"; 1 "uart, spi-bus" (shared, ONESHOT, threaded); every
 * i % 3 == 0 "eth0-rx-<i>"; i % 3 == 1 "nvme0q<i>"; i % 3 == 2 has no
 * action, and of those i % 6 == 5 still have counts (a freed line).
 * --freeze: only the heartbeat moves (totals stay as in --totals FILE:
 * "irq total" lines, then "events N"). --late-line: after 5 ticks line 2
 * gets the action "late-line". --ready FILE is written once the segment is
 * complete (its content: the PID).
 */
#include "synth.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool has_action(uint32_t i)
{
	return i < 2 || i % 3 != 2;
}

static bool has_counts(uint32_t i)
{
	return has_action(i) || i % 6 == 5;
}

static void line_name(uint32_t i, char *b, size_t n)
{
	if (i == 0)
		snprintf(b, n, "timer");
	else if (i == 1)
		snprintf(b, n, "uart, spi-bus");
	else if (i % 3 == 0)
		snprintf(b, n, "eth0-rx-%u", i);
	else if (i % 3 == 1)
		snprintf(b, n, "nvme0q%u", i);
	else
		b[0] = '\0';
}

static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		perror(tmp);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "irqs", required_argument, NULL, 'i' },
		{ "latency", no_argument, NULL, 'l' },
		{ "tick-ms", required_argument, NULL, 't' },
		{ "freeze", no_argument, NULL, 'f' },
		{ "stale", no_argument, NULL, 's' },
		{ "exit-after", required_argument, NULL, 'x' },
		{ "late-line", no_argument, NULL, 'L' },
		{ "comm", required_argument, NULL, 'n' },
		{ "ready", required_argument, NULL, 'r' },
		{ "totals", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct synth_params p = { .nr_cpus = 4, .nr_irqs = 32, .comm = "fakeirq" };
	const char *ready = NULL, *totals = NULL, *dir = getenv("IRQTOP_SHM_DIR");
	bool freeze = false, stale = false, late = false;
	double exit_after = 0;
	long tick_ms = 100;
	char path[512];
	struct synth s;
	uint64_t ticks = 0, t0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': p.nr_cpus = (uint32_t)atoi(optarg); break;
		case 'i': p.nr_irqs = (uint32_t)atoi(optarg); break;
		case 'l': p.latency = true; break;
		case 't': tick_ms = atol(optarg); break;
		case 'f': freeze = true; break;
		case 's': stale = true; break;
		case 'x': exit_after = atof(optarg); break;
		case 'L': late = true; break;
		case 'n': p.comm = optarg; break;
		case 'r': ready = optarg; break;
		case 'T': totals = optarg; break;
		default:
			fprintf(stderr, "fake_proc: bad option\n");
			return 2;
		}
	}
	if (!dir || !*dir)
		dir = "/dev/shm";
	snprintf(path, sizeof(path), "%s/irqcore.%d", dir, (int)getpid());
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	rc = synth_create(&s, path, &p);
	if (rc) {
		fprintf(stderr, "fake_proc: %s: %s\n", path, strerror(-rc));
		return 2;
	}
	/* as the library: magic last, with a release store */
	{
		uint32_t magic = s.h->magic;

		__atomic_store_n(&s.h->magic, 0, __ATOMIC_RELAXED);
		for (uint32_t i = 0; i < p.nr_irqs; i++) {
			char name[64];
			uint32_t state = 0;

			if (!has_counts(i))
				continue;
			line_name(i, name, sizeof(name));
			if (has_action(i))
				state |= IRQC_EXP_S_ACTIVE;
			if (i == 1)
				state |= IRQC_EXP_S_ONESHOT | IRQC_EXP_S_THREADED;
			if (i % 7 == 4)
				state |= IRQC_EXP_S_MASKED;
			if (i % 11 == 10)
				state |= IRQC_EXP_S_DISABLED;
			synth_set_line(&s, i, name, "fake-chip",
				       i % 2 ? "level" : "edge", state,
				       (int32_t)(i % p.nr_cpus), 1000 + i,
				       i == 0 ? (p.nr_cpus >= 64 ? ~0ull :
						 (1ull << p.nr_cpus) - 1) :
						1ull << (i % p.nr_cpus % 64));
			for (uint32_t cpu = 0; cpu < p.nr_cpus; cpu++) {
				size_t cell = synth_cell(&s, cpu, i);

				s.handled[cell] = (uint64_t)(i + 1) * 100 + cpu;
				s.hard_ns[cell] = s.handled[cell] * 1500;
				s.hard_total[i] += s.hard_ns[cell];
				s.hard_max[cell] = 2000 + i;
				s.unhandled[cell] = i % 5 == 3 ? 2 : 0;
			}
			s.coalesced[i] = i;
			s.thread_ns[i] = i == 1 ? 123456 : 0;
			if (s.lat)
				s.lat[(size_t)i * IRQC_EXP_LAT_BUCKETS + 10] = 99,
				s.lat[(size_t)i * IRQC_EXP_LAT_BUCKETS + 14] = 1;
		}
		if (stale)
			s.h->heartbeat_mono_ns = synth_now_ns() - 60ull * 1000000000ull;
		__atomic_store_n(&s.h->magic, magic, __ATOMIC_RELEASE);
	}
	if (totals) {
		char buf[1 << 16];
		size_t used = 0;
		uint64_t sum = 0;

		for (uint32_t i = 0; i < p.nr_irqs && used + 64 < sizeof(buf); i++) {
			uint64_t t = 0;

			for (uint32_t cpu = 0; cpu < p.nr_cpus; cpu++)
				t += s.handled[synth_cell(&s, cpu, i)];
			sum += t;
			if (t)
				used += (size_t)snprintf(buf + used, sizeof(buf) - used,
							 "%u %llu\n", i,
							 (unsigned long long)t);
		}
		snprintf(buf + used, sizeof(buf) - used, "events %llu\n",
			 (unsigned long long)sum);
		write_file(totals, buf);
	}
	if (ready) {
		char b[32];

		snprintf(b, sizeof(b), "%d\n", (int)getpid());
		write_file(ready, b);
	}

	t0 = synth_now_ns();
	while (!stop) {
		struct timespec ts = { tick_ms / 1000, (tick_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
		if (stop)
			break;
		ticks++;
		if (!stale)
			synth_heartbeat(&s);
		if (!freeze)
			for (uint32_t i = 0; i < p.nr_irqs; i++) {
				if (!has_action(i))
					continue;
				/* line i: (i % 5) events per tick, none for
				 * i % 5 == 4: some lines stay idle */
				for (uint32_t k = 0; k < i % 5 && i % 5 != 4; k++)
					synth_event(&s, i % p.nr_cpus, i,
						    1000 * (i % 4 + 1));
			}
		if (late && ticks == 5)
			synth_set_line(&s, 2, "late-line", "fake-chip", "edge",
				       IRQC_EXP_S_ACTIVE, 0, 1002, 1);
		if (exit_after > 0 &&
		    (double)(synth_now_ns() - t0) / 1e9 >= exit_after)
			break;
	}
	unlink(path);
	synth_close(&s);
	return 0;
}
