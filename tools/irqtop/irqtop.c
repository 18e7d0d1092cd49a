/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqtop.c — options and main loop of irqtop, the interrupt statistics of
 * a running irqcore process (what util-linux irqtop is to the kernel's
 * /proc/interrupts). Data: segment.c; order and formats: view.c; tables:
 * table.c; the interactive screen: screen.c.
 */
#include "irqtop.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_LIST = CHAR_MAX + 1, OPT_CLEAN };

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs("\nUsage:\n"
	      " irqtop [options] [<pid>]\n"
	      "\nInteractive display of the interrupt statistics of a running "
	      "irqcore process.\n"
	      "Without <pid>: attaches to the only irqcore process, or lists "
	      "them.\n"
	      "\nOptions:\n"
	      " -b, --batch                batch mode: plain tables to stdout\n"
	      " -J, --json                 JSON output (no terminal needed)\n"
	      " -P, --pairs                key=\"value\" output\n"
	      " -d, --delay <secs>         seconds between refreshes "
	      "(fractional; default 1)\n"
	      " -n, --iter <number>        refreshes before exiting "
	      "(-b/-J/-P: tables; default 1)\n"
	      " -o, --output <list>        output columns (+list appends to "
	      "the default)\n"
	      " -s, --sort <column>        irq, total, rate, delta, name or "
	      "time (default rate)\n"
	      " -C, --cpu-list <list>      CPUs shown, e.g. 0-3,6\n"
	      " -c, --cpu-stat <mode>      per-CPU columns: auto, always, "
	      "never\n"
	      " -t, --threshold <number>   only lines with at least <number> "
	      "events\n"
	      "     --list                 list the irqcore processes and "
	      "their segments\n"
	      "     --clean                remove stale segments of dead "
	      "processes\n"
	      "\n"
	      " -h, --help                 display this help\n"
	      " -V, --version              display version\n"
	      "\nAvailable output columns:\n", out);
	table_columns_help(out);
	fputs("\nSTATE letters: D disabled, M masked, S spurious (nobody "
	      "cared), O oneshot,\n"
	      "  P oneshot thread pending, T threaded, N nested, C per-CPU,\n"
	      "  B no balancing, F affinity set by the caller.\n"
	      "\nInteractive keys: h shows them.\n"
	      "For more details see irqtop(1).\n", out);
	exit(EXIT_SUCCESS);
}

static void __attribute__((noreturn)) bad_usage(const char *fmt,
						 const char *arg)
{
	fputs("irqtop: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'irqtop --help' for more information.\n", stderr);
	exit(EXIT_FAILURE);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		bad_usage(what, s);
	v = strtoull(s, &end, 10);
	if (errno || *end)
		bad_usage(what, s);
	return v;
}

static void parse_args(struct irqtop_ctl *ctl, int argc, char **argv,
		       int *action, pid_t *pid)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'J' },
		{ "pairs", no_argument, NULL, 'P' },
		{ "delay", required_argument, NULL, 'd' },
		{ "iter", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "sort", required_argument, NULL, 's' },
		{ "cpu-list", required_argument, NULL, 'C' },
		{ "cpu-stat", required_argument, NULL, 'c' },
		{ "threshold", required_argument, NULL, 't' },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "clean", no_argument, NULL, OPT_CLEAN },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "bJPd:n:o:s:C:c:t:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'b':
			ctl->mode = MODE_BATCH;
			break;
		case 'J':
			ctl->mode = MODE_JSON;
			break;
		case 'P':
			ctl->mode = MODE_PAIRS;
			break;
		case 'd': {
			char *end;
			double d;

			errno = 0;
			d = strtod(optarg, &end);
			if (errno || *end || end == optarg || !isfinite(d) ||
			    d < 0.01 || d > 86400)
				bad_usage("invalid delay (0.01 to 86400 "
					  "seconds): '%s'", optarg);
			ctl->delay_ns = (uint64_t)(d * 1e9);
			break;
		}
		case 'n': {
			uint64_t n = parse_u64(optarg, "invalid iteration "
					       "count: '%s'");

			if (n < 1 || n > LONG_MAX)
				bad_usage("invalid iteration count: '%s'",
					  optarg);
			ctl->iter = (long)n;
			break;
		}
		case 'o':
			if (table_parse_columns(ctl, optarg))
				bad_usage("invalid column list: '%s'", optarg);
			break;
		case 's':
			if (view_parse_sort(optarg, &ctl->sort))
				bad_usage("unknown sort column: '%s' (irq, "
					  "total, rate, delta, name, time)",
					  optarg);
			break;
		case 'C':
			if (view_parse_cpulist(optarg, ctl->cpus,
					       IRQTOP_MAX_CPUS))
				bad_usage("invalid CPU list: '%s'", optarg);
			break;
		case 'c':
			if (!strcmp(optarg, "auto"))
				ctl->cpustat = CPUSTAT_AUTO;
			else if (!strcmp(optarg, "always"))
				ctl->cpustat = CPUSTAT_ALWAYS;
			else if (!strcmp(optarg, "never"))
				ctl->cpustat = CPUSTAT_NEVER;
			else
				bad_usage("unsupported --cpu-stat mode: '%s' "
					  "(auto, always, never)", optarg);
			break;
		case 't':
			ctl->threshold = parse_u64(optarg, "invalid threshold: "
						   "'%s'");
			break;
		case OPT_LIST:
		case OPT_CLEAN:
			*action = c;
			break;
		case 'h':
			usage();
		case 'V':
			printf("irqtop from irqcore %s\n", IRQTOP_VERSION);
			exit(EXIT_SUCCESS);
		default:
			fputs("Try 'irqtop --help' for more information.\n",
			      stderr);
			exit(EXIT_FAILURE);
		}
	}
	if (optind < argc) {
		const char *a = argv[optind];
		uint64_t v = parse_u64(a, "invalid PID: '%s'");

		if (v < 1 || v > INT_MAX)
			bad_usage("invalid PID: '%s'", a);
		*pid = (pid_t)v;
		if (optind + 1 < argc)
			bad_usage("unexpected argument: '%s'", argv[optind + 1]);
	}
}

/* ------------------------------------------------------------------ */

static int do_list(const struct irqtop_ctl *ctl)
{
	struct seg_info *v;
	struct seg_error e;
	size_t n;
	int rc;

	if (seg_scan(&v, &n, &e)) {
		fprintf(stderr, "irqtop: %s\n", e.msg);
		return EXIT_FAILURE;
	}
	rc = table_print_list(v, n, ctl->mode, stdout);
	free(v);
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int do_clean(void)
{
	struct seg_info *v;
	struct seg_error e;
	size_t n, removed = 0, stale = 0;
	int status = EXIT_SUCCESS;

	if (seg_scan(&v, &n, &e)) {
		fprintf(stderr, "irqtop: %s\n", e.msg);
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++) {
		char msg[640];
		int r;

		if (v[i].state == SEG_LIVE)
			continue;
		stale++;
		r = seg_clean_one(&v[i], msg, sizeof(msg));
		if (r < 0) {
			fprintf(stderr, "irqtop: %s\n", msg);
			status = EXIT_FAILURE;
		} else {
			printf("%s\n", msg);
			removed += r == 1;
		}
	}
	if (!stale)
		printf("no stale segment in %s\n", seg_dir());
	else
		printf("%zu removed\n", removed);
	free(v);
	return status;
}

/* No PID given: the only live process, or the list. */
static int find_pid(const struct irqtop_ctl *ctl, pid_t *pid)
{
	struct seg_info *v;
	struct seg_error e;
	size_t n, live = 0;

	if (seg_scan(&v, &n, &e)) {
		fprintf(stderr, "irqtop: %s\n", e.msg);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].state == SEG_LIVE) {
			live++;
			*pid = v[i].pid;
		}
	if (live == 1) {
		free(v);
		return 0;
	}
	if (n)
		table_print_list(v, n, ctl->mode == MODE_SCREEN ? MODE_BATCH :
				 ctl->mode, stdout);
	if (!live)
		fprintf(stderr, "irqtop: no running irqcore process (no live "
			"segment in %s)\n", seg_dir());
	else
		fprintf(stderr, "irqtop: %zu irqcore processes are running: "
			"give a PID\n", live);
	free(v);
	return -1;
}

static int report(const struct irqtop_ctl *ctl, const struct seg_error *e)
{
	if (e->code == SEG_EGONE) {
		fprintf(stderr, "irqtop: PID %d (%s): %s\n",
			(int)ctl->seg.pid, ctl->seg.comm, e->msg);
		return EXIT_SUCCESS;
	}
	fprintf(stderr, "irqtop: PID %d: %s\n", (int)ctl->seg.pid, e->msg);
	return EXIT_FAILURE;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull),
			       (long)(ns % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* -b, -J, -P: one table per sample, -n of them (default 1). */
static int batch_run(struct irqtop_ctl *ctl)
{
	long iter = ctl->iter > 0 ? ctl->iter : 1;
	bool cpus = table_batch_cpus(ctl);
	uint64_t *percpu = NULL;
	struct seg_error e;
	int status = EXIT_SUCCESS;

	for (long k = 0; k < iter; k++) {
		if (k) {
			sleep_ns(ctl->delay_ns);
			if (seg_sample(&ctl->seg, view_sample_flags(ctl), &e)) {
				status = report(ctl, &e);
				break;
			}
			if (ctl->mode != MODE_JSON)
				putchar('\n');
		}
		if (view_select(ctl)) {
			fprintf(stderr, "irqtop: out of memory\n");
			status = EXIT_FAILURE;
			break;
		}
		free(percpu);
		percpu = NULL;
		if (cpus && ctl->norder) {
			percpu = malloc(ctl->norder * ctl->seg.nr_cpus *
					sizeof(*percpu));
			if (!percpu) {
				fprintf(stderr, "irqtop: out of memory\n");
				status = EXIT_FAILURE;
				break;
			}
		}
		if (seg_read_details(&ctl->seg, ctl->order, ctl->norder, true,
				     &e) ||
		    (percpu && seg_read_percpu(&ctl->seg, ctl->order,
					       ctl->norder, percpu, &e))) {
			status = report(ctl, &e);
			break;
		}
		if (table_print(ctl, cpus ? percpu : NULL, stdout)) {
			fprintf(stderr, "irqtop: cannot print the table\n");
			status = EXIT_FAILURE;
			break;
		}
	}
	free(percpu);
	return status;
}

int main(int argc, char **argv)
{
	struct irqtop_ctl ctl = {
		.delay_ns = 1000000000ull,
		.iter = -1,
		.sort = SORT_RATE,
		.cpustat = CPUSTAT_AUTO,
		.mode = MODE_SCREEN,
	};
	struct seg_error e;
	int action = 0, status;
	pid_t pid = 0;

	memset(ctl.cpus, 0xff, sizeof(ctl.cpus));
	table_default_columns(&ctl);
	parse_args(&ctl, argc, argv, &action, &pid);

	if (action == OPT_LIST)
		return do_list(&ctl);
	if (action == OPT_CLEAN)
		return do_clean();
	if (!pid && find_pid(&ctl, &pid))
		return EXIT_FAILURE;
	if (ctl.mode == MODE_SCREEN &&
	    (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "irqtop: the screen needs a terminal (-b, -J "
			"or -P print tables)\n");
		return EXIT_FAILURE;
	}

	if (seg_open(&ctl.seg, pid, &e)) {
		fprintf(stderr, "irqtop: PID %d: %s\n", (int)pid, e.msg);
		return EXIT_FAILURE;
	}
	if (!view_nr_selected_cpus(&ctl)) {
		fprintf(stderr, "irqtop: PID %d: no CPU of --cpu-list exists "
			"(the process has %u CPUs)\n", (int)pid,
			ctl.seg.nr_cpus);
		seg_close(&ctl.seg);
		return EXIT_FAILURE;
	}
	if (seg_sample(&ctl.seg, view_sample_flags(&ctl), &e)) {
		status = report(&ctl, &e);
	} else if (ctl.mode == MODE_SCREEN) {
		status = screen_run(&ctl);
	} else {
		status = batch_run(&ctl);
	}
	seg_close(&ctl.seg);
	free(ctl.order);
	return status;
}
