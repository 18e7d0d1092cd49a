/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Interrupt sources (irqcore_source_attach/detach/get_stats): real eventfds
 * and timerfds; UIO, VFIO and GPIO against fake devices made here (a
 * SOCK_SEQPACKET socketpair stands for the device node: the test writes
 * what the kernel would return to read(), and reads what the library
 * writes back: UIO's 4-byte 1, VFIO's struct vfio_irq_set unmask request);
 * fds closed under a live line; every error code. Waits are bounded loops
 * on a condition, never timing assertions.
 */
#include "util_src.h"

#include <fcntl.h>
#include <linux/gpio.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

static atomic_int hits;

static irqreturn_t count_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&hits, 1);
	return IRQ_HANDLED;
}

static struct irqcore_source src_of(int kind, int fd)
{
	struct irqcore_source s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.fd = fd;
	s.ctl_fd = -1;
	return s;
}

static void efd_write(int fd)
{
	uint64_t one = 1;

	ASSERT_EQ(write(fd, &one, sizeof(one)), (long)sizeof(one));
}

/* Read what the library wrote to the device side, waiting at most 10 s;
 * the length read, or -1 when nothing came. */
static long peer_read(int fd, void *buf, size_t n, int timeout_ms)
{
	double end = th_now() + timeout_ms / 1000.0;

	for (;;) {
		ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);

		if (r >= 0)
			return r;
		if (th_now() >= end)
			return -1;
		ut_sleep_ms(1);
	}
}

TEST(eventfd_line_in_domain)
{
	int efd = eventfd(0, EFD_CLOEXEC), irq;
	struct irqcore_source s = src_of(IRQCORE_SRC_EVENTFD, efd);
	char *line;

	ut_start_disp(1, 0);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "efd-dev", NULL), 0);
	line = ut_interrupts_line((unsigned int)irq);
	ASSERT_CONTAINS(line, "eventfd");
	ASSERT_CONTAINS(line, "edge");
	free(line);
	for (int i = 1; i <= 20; i++) {
		efd_write(efd);
		wait_for(&hits, i);	/* one at a time: no coalescing */
		ASSERT_EQ(atomic_load(&hits), i);
	}
	ASSERT_EQ(stats((unsigned int)irq).events, 20);
	ASSERT_EQ(stats((unsigned int)irq).errors, 0);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), -ENOENT);
	irqcore_shutdown();
	close(efd);
}

TEST(eventfd_given_line_and_hwirq)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct irqcore_source s = src_of(IRQCORE_SRC_EVENTFD, efd);
	char *line;

	ut_start_disp(1, 0);
	ASSERT_EQ(request_irq(5, count_handler, 0, "given", NULL), 0);
	ASSERT_EQ(irqcore_source_attach(5, &s), 5);
	line = ut_interrupts_line(5);
	ASSERT_CONTAINS(line, "eventfd");
	free(line);
	efd_write(efd);
	wait_for(&hits, 1);
	ASSERT_EQ(atomic_load(&hits), 1);
	ASSERT_EQ(irqcore_source_detach(5), 0);
	line = ut_interrupts_line(5);
	ASSERT_CONTAINS(line, "irqcore");	/* the soft chip again */
	free(line);
	free_irq(5, NULL);

	/* a hwirq of our choice is the one shown */
	s.hwirq = 777;
	{
		int irq = irqcore_source_attach(-1, &s);

		ASSERT_GT(irq, 0);
		ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "hw", NULL), 0);
		line = ut_interrupts_line((unsigned int)irq);
		ASSERT_CONTAINS(line, " 777-edge");
		free(line);
		free_irq((unsigned int)irq, NULL);
		ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	}
	irqcore_shutdown();
	close(efd);
}

TEST(timerfd_expirations_count_missed)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), irq;
	struct itimerspec its = { .it_interval = { 0, 1000000 }, .it_value = { 0, 1000000 } };
	struct irqcore_source s = src_of(IRQCORE_SRC_TIMERFD, tfd);
	struct irqcore_source_stats st;
	char *line;

	ut_start_disp(1, 0);
	ASSERT_EQ(timerfd_settime(tfd, 0, &its, NULL), 0);
	ut_sleep_ms(20);	/* >= 2 expirations pile up before the first read */
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "tick", NULL), 0);
	line = ut_interrupts_line((unsigned int)irq);
	ASSERT_CONTAINS(line, "timerfd");
	free(line);
	wait_for(&hits, 3);
	ASSERT_GE(atomic_load(&hits), 3);
	st = stats((unsigned int)irq);
	ASSERT_GE(st.missed, 1);		/* the first read carried >= 2 */
	ASSERT_GE(st.events, 3);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(tfd);
}

/* ---- UIO: read a 4-byte count, write a 4-byte 1 to unmask ---- */

static void uio_fire(int dev, uint32_t count)
{
	ASSERT_EQ(send(dev, &count, sizeof(count), 0), (long)sizeof(count));
}

static void uio_expect_unmask(int dev)
{
	uint32_t v = 0;

	ASSERT_EQ(peer_read(dev, &v, sizeof(v), 10000), (long)sizeof(v));
	ASSERT_EQ(v, 1);
}

TEST(uio_protocol_and_count_jumps)
{
	int sv[2], irq;
	struct irqcore_source s;
	struct irq_status ist;
	char *line;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	s = src_of(IRQCORE_SRC_UIO, sv[0]);
	ut_start_disp(1, 0);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "uio-dev", NULL), 0);
	uio_expect_unmask(sv[1]);	/* the request starts the line: unmask (C1) */
	/* The request's chip-lock section before the dispatcher's flows, as
	 * TSan sees it (the chip lock's ck ops are invisible to it, and a
	 * socket message to the source thread's duplicate fd is no edge
	 * either): the sources' mutex, which the source thread takes before
	 * it raises, is one. */
	ASSERT_EQ(stats((unsigned int)irq).events, 0);
	line = ut_interrupts_line((unsigned int)irq);
	ASSERT_CONTAINS(line, "uio");
	ASSERT_CONTAINS(line, "level");
	free(line);

	uio_fire(sv[1], 1);
	uio_expect_unmask(sv[1]);		/* after the handler */
	ASSERT_EQ(atomic_load(&hits), 1);
	uio_fire(sv[1], 2);
	uio_expect_unmask(sv[1]);
	uio_fire(sv[1], 6);			/* 3, 4, 5 were not delivered */
	uio_expect_unmask(sv[1]);
	ASSERT_EQ(atomic_load(&hits), 3);
	ASSERT_EQ(stats((unsigned int)irq).events, 3);
	ASSERT_EQ(stats((unsigned int)irq).missed, 3);
	ist = ut_status((unsigned int)irq);
	ASSERT_FALSE(ist.masked);

	/* a read of the wrong size: an error, skipped, the line lives on */
	ASSERT_EQ(send(sv[1], "ab", 2, 0), 2);
	wait_stat_errors((unsigned int)irq, 1);
	ASSERT_EQ(stats((unsigned int)irq).errors, 1);
	uio_fire(sv[1], 7);
	uio_expect_unmask(sv[1]);
	ASSERT_EQ(atomic_load(&hits), 4);

	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(sv[0]);
	close(sv[1]);
}

static atomic_int thread_gate, thread_runs;

static irqreturn_t slow_thread(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	while (!atomic_load(&thread_gate))
		ut_sleep_ms(1);
	atomic_fetch_add(&thread_runs, 1);
	return IRQ_HANDLED;
}

TEST(uio_threaded_oneshot_unmasks_after_thread)
{
	int sv[2], irq;
	struct irqcore_source s;
	uint32_t v;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	s = src_of(IRQCORE_SRC_UIO, sv[0]);
	ut_start_disp(1, 0);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_threaded_irq((unsigned int)irq, NULL, slow_thread, IRQF_ONESHOT,
				       "uio-thr", NULL), 0);
	uio_expect_unmask(sv[1]);	/* the request starts the line (C1) */
	ASSERT_EQ(stats((unsigned int)irq).events, 0);	/* TSan: see uio_protocol */
	uio_fire(sv[1], 1);
	/* the thread holds the line: masked, nothing written to the device */
	ASSERT_EQ(peer_read(sv[1], &v, sizeof(v), 100), -1);
	ASSERT_TRUE(ut_status((unsigned int)irq).masked);
	atomic_store(&thread_gate, 1);
	uio_expect_unmask(sv[1]);
	ASSERT_EQ(atomic_load(&thread_runs), 1);
	ASSERT_FALSE(ut_status((unsigned int)irq).masked);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(sv[0]);
	close(sv[1]);
}

/* ---- VFIO: an eventfd per vector; INTx unmasked through the device ---- */

TEST(vfio_intx_unmask_request)
{
	int efd = eventfd(0, EFD_CLOEXEC), sv[2], irq;
	struct irqcore_source s = src_of(IRQCORE_SRC_VFIO, efd);
	struct vfio_irq_set set;
	char *line;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	s.ctl_fd = sv[0];		/* the "device fd" */
	s.index = VFIO_PCI_INTX_IRQ_INDEX;
	ut_start_disp(1, 0);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "vfio-intx", NULL), 0);
	/* the request starts the line: one unmask request (C1) */
	ASSERT_EQ(peer_read(sv[1], &set, sizeof(set), 10000), (long)sizeof(set));
	ASSERT_EQ(set.flags, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK);
	ASSERT_EQ(stats((unsigned int)irq).events, 0);	/* TSan: see uio_protocol */
	line = ut_interrupts_line((unsigned int)irq);
	ASSERT_CONTAINS(line, "vfio");
	free(line);
	for (int i = 1; i <= 3; i++) {
		efd_write(efd);
		memset(&set, 0, sizeof(set));
		ASSERT_EQ(peer_read(sv[1], &set, sizeof(set), 10000), (long)sizeof(set));
		ASSERT_EQ(set.argsz, sizeof(set));
		ASSERT_EQ(set.flags, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK);
		ASSERT_EQ(set.index, VFIO_PCI_INTX_IRQ_INDEX);
		ASSERT_EQ(set.start, 0);
		ASSERT_EQ(set.count, 1);
		ASSERT_EQ(atomic_load(&hits), i);
	}
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);

	/* an MSI vector: edge, nothing to unmask */
	s.index = VFIO_PCI_MSI_IRQ_INDEX;
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "vfio-msi", NULL), 0);
	efd_write(efd);
	wait_for(&hits, 4);
	ASSERT_EQ(atomic_load(&hits), 4);
	ASSERT_EQ(peer_read(sv[1], &set, sizeof(set), 100), -1);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(efd);
	close(sv[0]);
	close(sv[1]);
}

/* ---- GPIO: struct gpio_v2_line_event, seqno gaps ---- */

static void gpio_event(int dev, unsigned int offset, unsigned int seqno)
{
	struct gpio_v2_line_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.offset = offset;
	ev.id = GPIO_V2_LINE_EVENT_RISING_EDGE;
	ev.seqno = seqno;
	ev.line_seqno = seqno;
	ASSERT_EQ(send(dev, &ev, sizeof(ev), 0), (long)sizeof(ev));
}

TEST(gpio_seqno_gaps_and_offsets)
{
	int sv[2], irq;
	struct irqcore_source s;
	struct irqcore_source_stats st;
	char *line;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	s = src_of(IRQCORE_SRC_GPIO, sv[0]);
	s.index = 3;
	ut_start_disp(1, 0);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "button", NULL), 0);
	line = ut_interrupts_line((unsigned int)irq);
	ASSERT_CONTAINS(line, "gpio");
	ASSERT_CONTAINS(line, "  3-edge");	/* hwirq: the line offset */
	free(line);
	gpio_event(sv[1], 3, 1);
	wait_for(&hits, 1);
	gpio_event(sv[1], 3, 2);
	wait_for(&hits, 2);
	gpio_event(sv[1], 3, 5);		/* 3 and 4 lost */
	wait_for(&hits, 3);
	ASSERT_EQ(atomic_load(&hits), 3);
	gpio_event(sv[1], 9, 6);		/* another line's: dropped */
	wait_stat_errors((unsigned int)irq, 1);
	st = stats((unsigned int)irq);
	ASSERT_EQ(st.events, 3);
	ASSERT_EQ(st.missed, 2);
	ASSERT_EQ(st.errors, 1);
	ASSERT_EQ(th_log_count("event of line offset 9"), 1);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(sv[0]);
	close(sv[1]);
}

/* ---- fds that stop working under a live line ---- */

TEST(fd_closed_under_live_line)
{
	int efd = eventfd(0, EFD_CLOEXEC), irq, other;
	struct irqcore_source s = src_of(IRQCORE_SRC_EVENTFD, efd);

	ut_start_disp(1, 0);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "closing", NULL), 0);
	efd_write(efd);
	wait_for(&hits, 1);
	close(efd);
	other = eventfd(0, EFD_CLOEXEC);	/* likely takes the number: not ours */
	wait_stat_errors((unsigned int)irq, 1);
	ASSERT_EQ(stats((unsigned int)irq).errors, 1);
	ASSERT_EQ(th_log_count("fd closed under a live line"), 1);
	ut_sleep_ms(500);			/* more checks: no second warning */
	ASSERT_EQ(stats((unsigned int)irq).errors, 1);
	ASSERT_EQ(th_log_count("closed under"), 1);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	close(other);
	irqcore_shutdown();
}

TEST(device_hangup_is_dropped_once)
{
	int sv[2], irq;
	struct irqcore_source s;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	s = src_of(IRQCORE_SRC_UIO, sv[0]);
	ut_start_disp(1, 0);
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "gone", NULL), 0);
	close(sv[1]);				/* the device goes away: EOF / HUP */
	wait_stat_errors((unsigned int)irq, 1);
	ut_sleep_ms(300);
	ASSERT_EQ(stats((unsigned int)irq).errors, 1);
	ASSERT_EQ(atomic_load(&hits), 0);
	free_irq((unsigned int)irq, NULL);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
	close(sv[0]);
}

/* ---- errors ---- */

static atomic_int in_handler_ret;

static irqreturn_t attach_from_handler(int irq, void *dev)
{
	struct irqcore_source s = src_of(IRQCORE_SRC_TIMER, -1);

	(void)irq;
	(void)dev;
	s.period_ns = 1000000;
	atomic_store(&in_handler_ret, irqcore_source_attach(-1, &s));
	atomic_fetch_add(&hits, 1);
	return IRQ_HANDLED;
}

TEST(errors)
{
	int efd = eventfd(0, EFD_CLOEXEC), tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int pfd[2], sv[2], closed_fd, irq;
	struct irqcore_source s = src_of(IRQCORE_SRC_EVENTFD, efd), bad;
	struct irqcore_source_stats st;

	ASSERT_EQ(pipe(pfd), 0);
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	closed_fd = eventfd(0, 0);
	close(closed_fd);

	/* not initialised */
	ASSERT_EQ(irqcore_source_attach(-1, &s), -ENODEV);
	ASSERT_EQ(irqcore_source_detach(1), -ENODEV);
	ASSERT_EQ(irqcore_source_get_stats(1, &st), -ENODEV);

	ut_start_disp(1, 0);
	/* -EBADF */
	bad = src_of(IRQCORE_SRC_EVENTFD, -1);
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EBADF);
	bad.fd = closed_fd;
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EBADF);
	bad = src_of(IRQCORE_SRC_VFIO, efd);
	bad.ctl_fd = closed_fd;
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EBADF);
	ASSERT_GE(th_log_count("is not open"), 3);

	/* -EINVAL: kind, flags, fields, range, fd of the wrong type */
	bad = src_of(0, efd);
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);
	bad.kind = IRQCORE_SRC_TIMER + 1;
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);
	ASSERT_EQ(irqcore_source_attach(-1, NULL), -EINVAL);
	bad = src_of(IRQCORE_SRC_EVENTFD, efd);
	bad.flags = 0x80;
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);
	bad.flags = 0;
	bad.period_ns = 1000;
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);	/* not a timer */
	bad = src_of(IRQCORE_SRC_EVENTFD, efd);
	bad.hwirq = 65536;
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);
	ASSERT_EQ(irqcore_source_attach(1 << 20, &s), -EINVAL);
	bad = src_of(IRQCORE_SRC_TIMER, -1);
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);	/* no period */
	bad.period_ns = 1000000;
	bad.lead_ns = 2000000;
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);	/* lead > period */
	bad = src_of(IRQCORE_SRC_TIMERFD, efd);
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);	/* eventfd as timerfd */
	bad = src_of(IRQCORE_SRC_EVENTFD, tfd);
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);	/* timerfd as eventfd */
	bad = src_of(IRQCORE_SRC_EVENTFD, pfd[0]);
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);	/* a pipe */
	bad = src_of(IRQCORE_SRC_UIO, pfd[0]);
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);
	bad = src_of(IRQCORE_SRC_GPIO, efd);
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);
	bad = src_of(IRQCORE_SRC_VFIO, sv[0]);
	bad.ctl_fd = sv[1];
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);	/* vector not an eventfd */
	bad = src_of(IRQCORE_SRC_VFIO, efd);
	bad.ctl_fd = pfd[0];
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);	/* ctl_fd a pipe */
	ASSERT_GE(th_log_count("irqcore_source_attach"), 18);

	/* -EBUSY: a line with a source; a fd watched for another line */
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	ASSERT_EQ(irqcore_source_attach(-1, &s), -EBUSY);	/* same fd */
	ASSERT_EQ(irqcore_source_attach(irq, &s), -EBUSY);
	ASSERT_EQ(irqcore_source_attach(7, &s), -EBUSY);	/* same fd */
	ASSERT_EQ(th_log_count("watched for another line"), 3);
	{
		int efd2 = eventfd(0, EFD_CLOEXEC);
		struct irqcore_source s2 = src_of(IRQCORE_SRC_EVENTFD, efd2);

		s2.hwirq = (unsigned long)efd;	/* the first one's own number */
		ASSERT_EQ(irqcore_source_attach(-1, &s2), -EBUSY);
		ASSERT_EQ(th_log_count("which has a source"), 1);
		close(efd2);
	}
	{
		struct irqcore_source t = src_of(IRQCORE_SRC_TIMER, -1);

		t.period_ns = 1000000;
		ASSERT_EQ(irqcore_source_attach(irq, &t), -EBUSY);
	}

	/* -ENOENT */
	ASSERT_EQ(irqcore_source_detach(7), -ENOENT);
	ASSERT_EQ(irqcore_source_detach(1u << 20), -ENOENT);
	ASSERT_EQ(irqcore_source_get_stats(7, &st), -ENOENT);
	ASSERT_EQ(irqcore_source_get_stats((unsigned int)irq, NULL), -EINVAL);

	/* -EPERM from a handler */
	ASSERT_EQ(request_irq((unsigned int)irq, attach_from_handler, 0, "ctx", NULL), 0);
	efd_write(efd);
	wait_for(&hits, 1);
	ASSERT_EQ(atomic_load(&in_handler_ret), -EPERM);
	ASSERT_EQ(th_log_count("irqcore_source_attach() from IRQ context refused"), 1);
	free_irq((unsigned int)irq, NULL);

	/* nothing changed by the failures: the line still works */
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();

	/* a timer needs dispatcher threads */
	ut_start_ext(1, 0);
	bad = src_of(IRQCORE_SRC_TIMER, -1);
	bad.period_ns = 1000000;
	ASSERT_EQ(irqcore_source_attach(-1, &bad), -EINVAL);
	ASSERT_EQ(th_log_count("dispatcher threads"), 1);
	irqcore_shutdown();
	close(efd);
	close(tfd);
	close(pfd[0]);
	close(pfd[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST(shutdown_with_sources_attached)
{
	int efd = eventfd(0, EFD_CLOEXEC), irq;
	struct irqcore_source s = src_of(IRQCORE_SRC_EVENTFD, efd);
	struct irqcore_source t = src_of(IRQCORE_SRC_TIMER, -1);
	bool found;

	t.period_ns = 2000000;
	for (int round = 0; round < 3; round++) {
		ut_start_disp(1, 0);
		irq = irqcore_source_attach(-1, &s);
		ASSERT_GT(irq, 0);
		ASSERT_EQ(request_irq((unsigned int)irq, count_handler, 0, "left", NULL), 0);
		ASSERT_GT(irqcore_source_attach(-1, &t), 0);
		ut_count_threads("irqcore/src", "irqcore/src", &found);
		ASSERT_TRUE(found);
		efd_write(efd);
		irqcore_shutdown();		/* frees the action, the sources */
		ASSERT_EQ(ut_count_threads("irqcore/src", NULL, NULL), 0);
	}
	close(efd);
}

/* Without a hwirq, sources of one kind take the next free number: two
 * timers (own number 0) and a GPIO line of an offset already taken get
 * lines of their own. */
TEST(own_numbers_do_not_collide)
{
	struct irqcore_source t = src_of(IRQCORE_SRC_TIMER, -1);
	int sv[2], sw[2], a, b, g1, g2;
	struct irqcore_source g;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sw), 0);
	ut_start_disp(1, 0);
	t.period_ns = 5000000;
	a = irqcore_source_attach(-1, &t);
	b = irqcore_source_attach(-1, &t);
	ASSERT_GT(a, 0);
	ASSERT_GT(b, 0);
	ASSERT_NE(a, b);
	g = src_of(IRQCORE_SRC_GPIO, sv[0]);
	g.index = 4;
	g1 = irqcore_source_attach(-1, &g);
	g.fd = sw[0];
	g2 = irqcore_source_attach(-1, &g);
	ASSERT_GT(g1, 0);
	ASSERT_GT(g2, 0);
	ASSERT_NE(g1, g2);
	ASSERT_EQ(irq_get_irq_data((unsigned int)g1)->hwirq, 4);
	ASSERT_EQ(irq_get_irq_data((unsigned int)g2)->hwirq, 5);
	/* a given hwirq that is taken: -EBUSY */
	g.fd = sw[1];
	g.hwirq = 4;
	ASSERT_EQ(irqcore_source_attach(-1, &g), -EBUSY);
	ASSERT_EQ(irqcore_source_detach((unsigned int)a), 0);
	ASSERT_EQ(irqcore_source_detach((unsigned int)b), 0);
	ASSERT_EQ(irqcore_source_detach((unsigned int)g1), 0);
	ASSERT_EQ(irqcore_source_detach((unsigned int)g2), 0);
	irqcore_shutdown();
	close(sv[0]);
	close(sv[1]);
	close(sw[0]);
	close(sw[1]);
}
