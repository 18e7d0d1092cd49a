/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sources.h — private to src/sources: interrupt sources (fds and deadline
 * timers as lines). The two hooks at the bottom are what the rest of the
 * library calls: the dispatcher loop (core/dispatch.c) and shutdown
 * (core/init.c) declare them themselves from internal.h.
 */
#ifndef IRQCORE_SOURCES_H
#define IRQCORE_SOURCES_H

#include "internal.h"

#include <sys/types.h>

#define IRQC_SRC_MAX_HWIRQ	65536u	/* each kind's linear domain */
#define IRQC_SRC_DEFAULT_LEAD	50000ull
#define IRQC_MAX_TIMERS		64u
#define IRQC_MAX_POLLS		64u

struct irqc_timer;
struct irqc_poll;

/* One attached source. Created and destroyed under src_lock (source.c);
 * the counters are read by irqcore_source_get_stats under it too. */
struct irqc_src {
	int kind;
	unsigned int irq;
	int fd, ctl_fd;			/* the caller's */
	int wfd;			/* our duplicate of fd: watched, read */
	unsigned int index;
	unsigned int flags;
	uint32_t cookie;		/* epoll data: (cookie << 32) | irq */
	bool allocated;			/* the line came from the kind's domain */
	bool watched;			/* in the source thread's epoll */
	/* fd problems and protocol state: written by the source's reader
	 * only: the source thread, or for a polled source the CPU that holds
	 * its slot's busy flag (poll.c) */
	bool warned;			/* a fd problem was warned once */
	bool warned_offset;		/* GPIO: another offset, warned once */
	bool dropped;			/* the fd stopped working: read no more */
	bool have_count;
	uint32_t last_count;		/* UIO: the last event count */
	uint32_t last_seqno;		/* GPIO: the last line_seqno */
	/* written by the source thread (events, missed) and by chip callbacks
	 * in any CPU or irq thread (errors): relaxed atomics, counters only */
	_Atomic uint64_t events, missed, errors;
	_Atomic int poll_cpu;		/* polled: the CPU of the last read; -1 */
	struct irqc_timer *timer;	/* TIMER */
	struct irqc_poll *poll;		/* IRQCORE_SRC_F_POLL: its slot (poll.c) */
	struct irqc_src *next;		/* every source of the instance */
};

/* ---- timer.c ---- */
/* Claim a slot for a TIMER source (period, lead checked by the caller) and
 * publish it to the dispatchers. -ENOSPC no slot. src_lock held. */
int irqc__timer_add(struct irqc_src *s, uint64_t period_ns, uint64_t lead_ns);
/* Take it away from the dispatchers; returns after no dispatcher uses it
 * (a grace period). Process context, src_lock not held. */
void irqc__timer_del(struct irqc_src *s);
/* Fill the timer fields of st. src_lock held. */
void irqc__timer_stats(struct irqc_src *s, struct irqcore_source_stats *st);
void irqc__timers_reset(void);
/* The line's effective CPU (0 when unknown); make CPU cpu look at its
 * timers and polled sources (a kick). */
int irqc__src_line_cpu(unsigned int irq);
void irqc__src_home_poke(int cpu);

/* ---- source.c: the read protocol, for poll.c ---- */
/* Read the source once with its kind's protocol, raise the line per event
 * read; a failure drops it (errors, one warning, s->dropped). The caller
 * is the source's only reader and knows the fd readable. */
void irqc__src_read(struct irqc_src *s);
/* The fd stopped working: count, warn once, stop watching (s->dropped). */
void irqc__src_drop(struct irqc_src *s, const char *what, int err);

/* ---- poll.c: IRQCORE_SRC_F_POLL ---- */
/* Claim a slot and hand the source to its line's CPU (the first call makes
 * every CPU's wake eventfd). -ENOSPC no slot, -EMFILE/-ENFILE/-ENOMEM no
 * eventfd (warned). src_lock held. */
int irqc__poll_add(struct irqc_src *s);
/* Take it away from the CPUs; returns after no CPU reads it or will (a
 * grace period). Process context, src_lock not held. */
void irqc__poll_del(struct irqc_src *s);
/* The source thread found the caller's fd closed (err: why): the polling
 * CPU counts and warns it and polls the fd no more. src_lock held. */
void irqc__poll_closed(struct irqc_src *s, int err);
/* The fd is polled no more (dropped, or closed as above). */
bool irqc__poll_done(const struct irqc_src *s);
void irqc__polls_reset(void);

#endif /* IRQCORE_SOURCES_H */
