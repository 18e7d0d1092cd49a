/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Polled sources (IRQCORE_SRC_F_POLL): the line's CPU reads the fd itself.
 * Events through a polled eventfd with each idle policy (the read CPU is
 * the dispatcher's: stats.poll_cpu), the polling following the affinity,
 * detach stopping every read (the eventfd counter stays), a fd closed or
 * hung up under a live line reported once (and not polled again: a socket
 * at EOF stays readable, so a second read would count a second error), the
 * refusals, and attach/detach/affinity loops against writers. Waits are
 * bounded loops on a condition, never timing assertions.
 */
#include "util_src.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

static atomic_int hits;
static atomic_int last_cpu = -1;

static irqreturn_t count_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_store(&last_cpu, smp_processor_id());
	atomic_fetch_add(&hits, 1);
	return IRQ_HANDLED;
}

/* The CPU counts an error, then warns: wait for the warning too. */
static void wait_log(const char *needle, int want)
{
	double end = th_now() + 10;

	while (th_log_count(needle) < want && th_now() < end)
		ut_sleep_ms(5);
}

static struct irqcore_source polled(int kind, int fd)
{
	struct irqcore_source s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.fd = fd;
	s.ctl_fd = -1;
	s.flags = IRQCORE_SRC_F_POLL;
	return s;
}

static void efd_write(int fd)
{
	uint64_t one = 1;

	ASSERT_EQ(write(fd, &one, sizeof(one)), (long)sizeof(one));
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void start(unsigned int nr_cpus, int idle)
{
	struct irqcore_config c;

	ut_config(&c, nr_cpus, 0);
	c.idle = idle;
	c.spin_budget_ns = 200000;	/* adaptive: asleep between the writes */
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
}

/* Writes one at a time (each waited for: counts match; a lost event would
 * stop the test), then bursts (the
 * eventfd folds them: each read is one event, each event one handler run
 * at most), with 1 ms pauses so a sleeping or adaptive CPU is asleep at
 * most writes. The fd is blocking: a read the CPU made without readiness
 * would hang the test. */
#define ONE_BY_ONE 300

static void deliver(int idle)
{
	int efd = eventfd(0, EFD_CLOEXEC), irq;
	struct irqcore_source s = polled(IRQCORE_SRC_EVENTFD, efd);
	struct irqcore_source_stats st;

	start(1, idle);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(stats((unsigned int)irq).poll_cpu, -1);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "polled", NULL), 0);
	for (int i = 1; i <= ONE_BY_ONE; i++) {
		efd_write(efd);
		wait_for(&hits, i);
		ASSERT_EQ(atomic_load(&hits), i);
		if (i % 10 == 0)
			ut_sleep_ms(1);
	}
	st = stats((unsigned int)irq);
	ASSERT_EQ(st.events, ONE_BY_ONE);
	ASSERT_EQ(st.missed, 0);
	ASSERT_EQ(st.errors, 0);
	ASSERT_EQ(st.poll_cpu, 0);
	ASSERT_EQ(atomic_load(&last_cpu), 0);
	for (int i = 0; i < 20; i++) {
		for (int k = 0; k < 5; k++)
			efd_write(efd);
		ut_sleep_ms(1);
	}
	{
		double end = th_now() + 10;

		while (fd_readable(efd) && th_now() < end)
			ut_sleep_ms(1);
	}
	ASSERT_FALSE(fd_readable(efd));		/* every write was read */
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	st = stats((unsigned int)irq);
	ASSERT_GT(st.events, ONE_BY_ONE);
	ASSERT_LE(st.events, ONE_BY_ONE + 100);
	ASSERT_LE(atomic_load(&hits), (int)st.events);
	ASSERT_GT(atomic_load(&hits), ONE_BY_ONE);
	ASSERT_EQ(st.errors, 0);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(efd);
}

TEST(polled_eventfd_spin)
{
	deliver(IRQCORE_IDLE_SPIN);
}

TEST(polled_eventfd_adaptive)
{
	deliver(IRQCORE_IDLE_ADAPTIVE);
}

TEST(polled_eventfd_sleep)
{
	deliver(IRQCORE_IDLE_SLEEP);
}

/* Events until one is handled on CPU cpu and read there; true if seen. */
static bool delivered_on(int efd, unsigned int irq, int cpu)
{
	double end = th_now() + 20;

	while (th_now() < end) {
		int n = atomic_load(&hits);

		efd_write(efd);
		wait_for(&hits, n + 1);
		if (atomic_load(&last_cpu) == cpu && stats(irq).poll_cpu == cpu)
			return true;
		ut_sleep_ms(2);
	}
	return false;
}

static void follows_affinity(int idle)
{
	int efd = eventfd(0, EFD_CLOEXEC), irq;
	struct irqcore_source s = polled(IRQCORE_SRC_EVENTFD, efd);
	cpu_set_t m0 = ut_mask1(0), m1 = ut_mask1(1);

	start(2, idle);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "moving", NULL), 0);
	ASSERT_EQ(irq_set_affinity((unsigned int)irq, &m0), 0);
	ASSERT_TRUE(delivered_on(efd, (unsigned int)irq, 0));
	ASSERT_EQ(irq_set_affinity((unsigned int)irq, &m1), 0);
	ASSERT_TRUE(delivered_on(efd, (unsigned int)irq, 1));
	/* from here on, every event is read and handled on CPU 1 */
	for (int i = 0; i < 10; i++) {
		int n = atomic_load(&hits);

		efd_write(efd);
		wait_for(&hits, n + 1);
		ASSERT_EQ(atomic_load(&last_cpu), 1);
		ASSERT_EQ(stats((unsigned int)irq).poll_cpu, 1);
	}
	ASSERT_EQ(irq_set_affinity((unsigned int)irq, &m0), 0);
	ASSERT_TRUE(delivered_on(efd, (unsigned int)irq, 0));
	ASSERT_EQ(stats((unsigned int)irq).errors, 0);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(efd);
}

TEST(polling_follows_affinity_sleep)
{
	follows_affinity(IRQCORE_IDLE_SLEEP);
}

TEST(polling_follows_affinity_adaptive)
{
	follows_affinity(IRQCORE_IDLE_ADAPTIVE);
}

static atomic_int ticks;

static irqreturn_t tick(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&ticks, 1);
	return IRQ_HANDLED;
}

/* A CPU home to a deadline timer too waits for both: its timed sleep (or
 * its spin to the lead) polls the fd as well. */
static void with_timer(int idle)
{
	int efd = eventfd(0, EFD_CLOEXEC), irq, tirq;
	struct irqcore_source s = polled(IRQCORE_SRC_EVENTFD, efd), t;

	start(1, idle);
	memset(&t, 0, sizeof(t));
	t.kind = IRQCORE_SRC_TIMER;
	t.fd = t.ctl_fd = -1;
	t.period_ns = 5000000;			/* 5 ms: long sleeps between ticks */
	tirq = irqcore_source_attach(-1, &t);
	ASSERT_GT(tirq, 0);
	ASSERT_EQ(request_irq((unsigned int)tirq, tick, 0, "tick", NULL), 0);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "polled", NULL), 0);
	for (int i = 1; i <= 20; i++) {
		efd_write(efd);
		wait_for(&hits, i);
		ASSERT_EQ(atomic_load(&hits), i);
	}
	wait_for(&ticks, 3);
	ASSERT_GE(atomic_load(&ticks), 3);
	ASSERT_EQ(stats((unsigned int)irq).events, 20);
	ASSERT_EQ(stats((unsigned int)irq).poll_cpu, 0);
	free_irq((unsigned int)irq, NULL);
	free_irq((unsigned int)tirq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	ASSERT_EQ(irqcore_source_detach((unsigned int)tirq), 0);
	irqcore_shutdown();
	close(efd);
}

TEST(polled_beside_timer_sleep)
{
	with_timer(IRQCORE_IDLE_SLEEP);
}

TEST(polled_beside_timer_spin)
{
	with_timer(IRQCORE_IDLE_SPIN);
}

/* After detach nothing reads the fd: a write stays in the counter, and no
 * handler runs (the line, given and requested, stays). */
static void detach_stops(int idle)
{
	int efd = eventfd(0, EFD_CLOEXEC), irq = 7;
	struct irqcore_source s = polled(IRQCORE_SRC_EVENTFD, efd);
	uint64_t v = 0;

	start(1, idle);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "detached", NULL), 0);
	ASSERT_EQ(irqcore_source_attach(irq, &s), irq);
	efd_write(efd);
	wait_for(&hits, 1);
	ASSERT_EQ(atomic_load(&hits), 1);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	efd_write(efd);
	efd_write(efd);
	ut_sleep_ms(50);
	ASSERT_EQ(atomic_load(&hits), 1);
	ASSERT_TRUE(fd_readable(efd));
	ASSERT_EQ(read(efd, &v, sizeof(v)), (long)sizeof(v));
	ASSERT_EQ(v, 2);			/* both writes, unread */
	ASSERT_EQ(irqcore_source_get_stats((unsigned int)irq, &(struct irqcore_source_stats){ 0 }),
		  -ENOENT);
	free_irq((unsigned int)irq, NULL);
	irqcore_shutdown();
	close(efd);
}

TEST(detach_stops_polling_spin)
{
	detach_stops(IRQCORE_IDLE_SPIN);
}

TEST(detach_stops_polling_sleep)
{
	detach_stops(IRQCORE_IDLE_SLEEP);
}

static void closed_once(int idle)
{
	int efd = eventfd(0, EFD_CLOEXEC), irq, other;
	struct irqcore_source s = polled(IRQCORE_SRC_EVENTFD, efd);

	start(1, idle);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "closing", NULL), 0);
	efd_write(efd);
	wait_for(&hits, 1);
	close(efd);
	other = eventfd(0, EFD_CLOEXEC);	/* likely takes the number: not ours */
	wait_stat_errors((unsigned int)irq, 1);
	wait_log("fd closed under a live line", 1);
	ASSERT_EQ(stats((unsigned int)irq).errors, 1);
	ASSERT_EQ(th_log_count("fd closed under a live line"), 1);
	ut_sleep_ms(500);			/* more checks: no second report */
	ASSERT_EQ(stats((unsigned int)irq).errors, 1);
	ASSERT_EQ(th_log_count("closed under"), 1);
	efd_write(other);			/* not read: not ours */
	ut_sleep_ms(20);
	ASSERT_TRUE(fd_readable(other));
	ASSERT_EQ(atomic_load(&hits), 1);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	close(other);
	irqcore_shutdown();
}

TEST(polled_fd_closed_spin)
{
	closed_once(IRQCORE_IDLE_SPIN);
}

TEST(polled_fd_closed_sleep)
{
	closed_once(IRQCORE_IDLE_SLEEP);
}

/* A fake UIO device hangs up: the socket stays readable (EOF) for ever, so
 * a CPU that kept it in its poll set would read (and count) again. */
static void hangup_once(int idle)
{
	int sv[2], irq;
	struct irqcore_source s;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	s = polled(IRQCORE_SRC_UIO, sv[0]);
	start(1, idle);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "gone", NULL), 0);
	{
		uint32_t c = 1, one;

		ASSERT_EQ(send(sv[1], &c, sizeof(c), 0), (long)sizeof(c));
		wait_for(&hits, 1);
		ASSERT_EQ(atomic_load(&hits), 1);
		/* the unmask after the handler: the UIO protocol, polled too
		 * (the first one came with request_irq) */
		for (int i = 0; i < 2; i++)
			ASSERT_EQ(recv(sv[1], &one, sizeof(one), 0), (long)sizeof(one));
	}
	close(sv[1]);
	wait_stat_errors((unsigned int)irq, 1);
	wait_log("end of file", 1);
	ut_sleep_ms(300);
	ASSERT_EQ(stats((unsigned int)irq).errors, 1);
	ASSERT_EQ(th_log_count("end of file"), 1);
	ASSERT_EQ(atomic_load(&hits), 1);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(sv[0]);
}

TEST(polled_hangup_spin)
{
	hangup_once(IRQCORE_IDLE_SPIN);
}

TEST(polled_hangup_sleep)
{
	hangup_once(IRQCORE_IDLE_SLEEP);
}

TEST(poll_refusals)
{
	struct irqcore_source s = polled(IRQCORE_SRC_TIMER, -1);
	int efd = eventfd(0, EFD_CLOEXEC), irq;

	ut_start_disp(1, 0);
	s.period_ns = 1000000;
	ASSERT_EQ(irqcore_source_attach(-1, &s), -EINVAL);
	ASSERT_EQ(th_log_count("IRQCORE_SRC_F_POLL is for fds"), 1);
	s = polled(IRQCORE_SRC_EVENTFD, efd);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	s.flags = 0;				/* the same fd, watched: refused */
	ASSERT_EQ(irqcore_source_attach(-1, &s), -EBUSY);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();

	ut_start_ext(1, 0);
	s = polled(IRQCORE_SRC_EVENTFD, efd);
	ASSERT_EQ(irqcore_source_attach(-1, &s), -EINVAL);
	ASSERT_EQ(th_log_count("needs dispatcher threads"), 1);
	irqcore_cpu_detach();
	irqcore_shutdown();
	close(efd);
}

/* ---- stress: writers against attach/detach and affinity loops ---- */

static atomic_bool stop_writers;
static atomic_llong writes;

static void *writer(void *arg)
{
	int efd = *(int *)arg;
	uint64_t one = 1;

	while (!atomic_load(&stop_writers)) {
		if (write(efd, &one, sizeof(one)) == (ssize_t)sizeof(one))
			atomic_fetch_add(&writes, 1);
		if (atomic_load(&writes) % 16 == 0)
			ut_sleep_ms(1);		/* sleeping CPUs get to sleep */
	}
	return NULL;
}

TEST_T(stress_attach_detach_against_writers, 120)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), irq = 9;
	pthread_t w[2];
	double end;
	long long events = 0, cycles = 0;

	start(2, IRQCORE_IDLE_ADAPTIVE);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "stress", NULL), 0);
	atomic_store(&stop_writers, false);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&w[i], NULL, writer, &efd), 0);
	end = th_now() + th_stress_seconds();
	while (th_now() < end) {
		struct irqcore_source s = polled(IRQCORE_SRC_EVENTFD, efd);
		struct irqcore_source_stats st;
		int h0;

		ASSERT_EQ(irqcore_source_attach(irq, &s), irq);
		for (int k = 0; k < 4; k++) {
			cpu_set_t m = ut_mask1((int)((cycles + k) % 2));

			ASSERT_EQ(irq_set_affinity((unsigned int)irq, &m), 0);
			ut_sleep_ms(1);
		}
		st = stats((unsigned int)irq);
		ASSERT_EQ(st.errors, 0);
		ASSERT_EQ(st.missed, 0);
		events += (long long)st.events;
		ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
		/* detached: what was raised is handled, then nothing more
		 * (the writers go on) */
		ASSERT_EQ(irqcore_quiesce(10000), 0);
		h0 = atomic_load(&hits);
		ut_sleep_ms(2);
		ASSERT_EQ(atomic_load(&hits), h0);
		cycles++;
	}
	atomic_store(&stop_writers, true);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	/* the eventfd folds writes: reads (events) never exceed writes */
	ASSERT_LE(events, atomic_load(&writes));
	ASSERT_GT(cycles, 0);
	ASSERT_GT(events, 0);
	ASSERT_GT(atomic_load(&hits), 0);
	free_irq((unsigned int)irq, NULL);
	irqcore_shutdown();
	close(efd);
}
