/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TH_MAX_TESTS 512

static struct { const char *name; th_fn fn; int timeout; } tests[TH_MAX_TESTS];
static int nr_tests;

void th_register(const char *name, th_fn fn, int timeout_s)
{
	if (nr_tests == TH_MAX_TESTS) {
		fprintf(stderr, "harness: too many tests\n");
		abort();
	}
	tests[nr_tests].name = name;
	tests[nr_tests].fn = fn;
	tests[nr_tests].timeout = timeout_s;
	nr_tests++;
}

void th_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

/* ---- log capture ---- */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_buf;
static size_t log_len, log_cap;

void th_log(int level, const char *msg, void *arg)
{
	size_t n = strlen(msg);

	(void)level;
	(void)arg;
	if (getenv("TH_VERBOSE"))
		fprintf(stderr, "log: %s\n", msg);
	pthread_mutex_lock(&log_lock);
	if (log_len + n + 2 > log_cap) {
		size_t cap = (log_cap ? log_cap * 2 : 4096) + n;
		char *b = realloc(log_buf, cap);

		if (!b) {
			pthread_mutex_unlock(&log_lock);
			return;
		}
		log_buf = b;
		log_cap = cap;
	}
	memcpy(log_buf + log_len, msg, n);
	log_len += n;
	log_buf[log_len++] = '\n';
	log_buf[log_len] = '\0';
	pthread_mutex_unlock(&log_lock);
}

int th_log_count(const char *substr)
{
	int count = 0;

	pthread_mutex_lock(&log_lock);
	for (const char *p = log_buf; p && (p = strstr(p, substr)); p++)
		count++;
	pthread_mutex_unlock(&log_lock);
	return count;
}

const char *th_log_text(void)
{
	return log_buf ? log_buf : "";
}

void th_log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	log_len = 0;
	if (log_buf)
		log_buf[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

/* ---- sizing ---- */
double th_stress_seconds(void)
{
	const char *s = getenv("TH_STRESS_SECS");
	double v = s ? atof(s) : 2.0;

	return v > 0 ? v : 2.0;
}

unsigned int th_nr_threads(unsigned int min)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > (long)min ? (unsigned int)n : min;
}

double th_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- runner ---- */
static int run_one(int i)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		alarm(tests[i].timeout);
		tests[i].fn();
		fflush(NULL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status) != 0;
	fprintf(stderr, "  killed by signal %d%s\n", WTERMSIG(status),
		WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	return 1;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	if (argc > 1) {
		for (int i = 0; i < nr_tests; i++) {
			if (!strcmp(tests[i].name, argv[1])) {
				tests[i].fn();
				printf("PASS %s\n", tests[i].name);
				return 0;
			}
		}
		fprintf(stderr, "no test named %s\n", argv[1]);
		return 2;
	}
	for (int i = 0; i < nr_tests; i++) {
		double t0 = th_now();
		int bad;

		fflush(NULL);
		bad = run_one(i);
		printf("%s %s (%.2fs)\n", bad ? "FAIL" : "PASS", tests[i].name,
		       th_now() - t0);
		fflush(stdout);
		if (bad)
			failed++;
		else
			passed++;
	}
	printf("%s: %d passed, %d failed\n", argv[0], passed, failed);
	return failed ? 1 : 0;
}
