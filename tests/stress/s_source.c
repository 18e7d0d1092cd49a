/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sources under churn: writers hammer an eventfd and a fake UIO device
 * (a socketpair) while the main thread attaches and detaches them to their
 * lines, over and over; a timer line is attached and detached beside them.
 * Checks: no crash or hang (the harness's timeout), no handler run after
 * a detach returned with its action freed, and the accounting invariant
 * raised == count + coalesced on the lines once quiet, with every event
 * the sources read counted as raised.
 */
#include "../unit/util.h"
#include "stress.h"

#include <sys/eventfd.h>
#include <sys/socket.h>

/* The UIO line's chip has callbacks, run under the line's chip lock, a
 * ck_spinlock whose ck_pr operations TSan cannot see (src/core: not yet
 * spelled in C11 for TSan, as spinlock_t is): concurrent chip-lock
 * sections (a detach's irq_set_chip_data against a flow's unmask) would be
 * reported as races. Under TSan the UIO device is attached once, not
 * churned; the other builds churn it. */
#if defined(__SANITIZE_THREAD__)
static const bool uio_churn = false;
#else
static const bool uio_churn = true;
#endif

static atomic_bool stop;
static atomic_ullong efd_calls, uio_calls, tmr_calls;
static int efd, uio[2];

static irqreturn_t on_efd(int irq, void *dev)
{
	atomic_fetch_add(&efd_calls, 1);
	return IRQ_HANDLED;
}

static irqreturn_t on_uio(int irq, void *dev)
{
	atomic_fetch_add(&uio_calls, 1);
	return IRQ_HANDLED;
}

static irqreturn_t on_tmr(int irq, void *dev)
{
	atomic_fetch_add(&tmr_calls, 1);
	return IRQ_HANDLED;
}

static void *efd_writer(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	while (!atomic_load(&stop))
		if (write(efd, &one, sizeof(one)) < 0)
			break;
	return NULL;
}

/* The device: a count each time it was unmasked (or now and then, as a
 * device whose unmask got lost would not: counts jump then). */
static void *uio_device(void *arg)
{
	uint32_t count = 0, v;

	(void)arg;
	while (!atomic_load(&stop)) {
		count++;
		if (send(uio[1], &count, sizeof(count), MSG_DONTWAIT) < 0)
			sched_yield();
		while (recv(uio[1], &v, sizeof(v), MSG_DONTWAIT) > 0)
			;
		sched_yield();
	}
	return NULL;
}

TEST_T(attach_detach_while_raising, 300)
{
	struct irqcore_source se, su, st;
	unsigned long long read_efd = 0, read_uio = 0, rounds = 0;
	pthread_t w, d;
	double end;
	struct irq_status s;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, uio), 0);
	memset(&se, 0, sizeof(se));
	se.kind = IRQCORE_SRC_EVENTFD;
	se.fd = efd;
	su = se;
	su.kind = IRQCORE_SRC_UIO;
	su.fd = uio[0];
	memset(&st, 0, sizeof(st));
	st.kind = IRQCORE_SRC_TIMER;
	st.period_ns = 500000;

	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(10, on_efd, 0, "efd", NULL), 0);
	ASSERT_EQ(request_irq(11, on_uio, 0, "uio", NULL), 0);
	ASSERT_EQ(pthread_create(&w, NULL, efd_writer, NULL), 0);
	ASSERT_EQ(pthread_create(&d, NULL, uio_device, NULL), 0);
	if (!uio_churn)
		ASSERT_EQ(irqcore_source_attach(11, &su), 11);
	end = th_now() + th_stress_seconds();
	while (th_now() < end) {
		struct irqcore_source_stats a, b;
		int t;

		ASSERT_EQ(irqcore_source_attach(10, &se), 10);
		if (uio_churn)
			ASSERT_EQ(irqcore_source_attach(11, &su), 11);
		t = irqcore_source_attach(-1, &st);
		ASSERT_GT(t, 0);
		ASSERT_EQ(request_irq((unsigned int)t, on_tmr, 0, "tmr", NULL), 0);
		ut_sleep_ms((int)(rounds % 3));
		ASSERT_EQ(irqcore_source_get_stats(10, &a), 0);
		ASSERT_EQ(irqcore_source_get_stats(11, &b), 0);
		read_efd += a.events;
		if (uio_churn)
			read_uio += b.events;
		free_irq((unsigned int)t, NULL);
		ASSERT_EQ(irqcore_source_detach((unsigned int)t), 0);
		ASSERT_EQ(irqcore_source_detach(10), 0);
		if (uio_churn)
			ASSERT_EQ(irqcore_source_detach(11), 0);
		ASSERT_EQ(irqcore_source_detach(10), -ENOENT);
		rounds++;
	}
	atomic_store(&stop, true);
	pthread_join(w, NULL);
	pthread_join(d, NULL);
	if (!uio_churn) {
		struct irqcore_source_stats b;

		ASSERT_EQ(irqcore_source_get_stats(11, &b), 0);
		read_uio = b.events;
		ASSERT_EQ(irqcore_source_detach(11), 0);
	}
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	s = ut_status(10);
	ASSERT_EQ(s.raised, s.count + s.coalesced);
	ASSERT_GE(s.raised, read_efd);
	ASSERT_GE(ld(&efd_calls), s.count);	/* replays run the chain again */
	ASSERT_LE(ld(&efd_calls), s.raised);
	s = ut_status(11);
	ASSERT_EQ(s.raised, s.count + s.coalesced);
	ASSERT_GE(s.raised, read_uio);
	ASSERT_GE(ld(&uio_calls), s.count);
	ASSERT_LE(ld(&uio_calls), s.raised);
	ASSERT_GT(rounds, 0);
	free_irq(10, NULL);
	free_irq(11, NULL);
	irqcore_shutdown();
	close(efd);
	close(uio[0]);
	close(uio[1]);
}
