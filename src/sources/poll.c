/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Polled sources (IRQCORE_SRC_F_POLL): the line's effective CPU reads the
 * fd itself from its idle loop; the source thread's epoll never sees it.
 *
 * As timers (timer.c), a polled source is a slot of a static table whose
 * "home" is the dispatcher that polls it: the line's effective CPU at
 * attach; when the line's affinity moves, the old home hands the slot over
 * at its next look (without reading it) and kicks the new one. Each CPU
 * counts the slots it is home to (cpu->polls): the dispatcher loop
 * (core/dispatch.c) and the timer waits call
 *   irqc__poll_run(cpu)    at the top of every iteration and on every
 *                          spin: one poll(timeout 0) over the fds of its
 *                          slots, then, for each ready one, one read with
 *                          the kind's protocol (source.c's, the same the
 *                          source thread uses), which raises the line;
 *   irqc__poll_sleep(cpu)  instead of the futex sleep: ppoll on the same
 *                          fds and on the CPU's wake eventfd.
 * A CPU home to no slot pays one relaxed load of cpu->polls in each (the
 * check of irqc__poll_run is inline, internal.h): no system call, no call,
 * no other load.
 *
 * Sleeping: the dispatcher's sleep waits on the fds too (rather than
 * handing them to the source thread while asleep: no epoll_ctl per sleep,
 * one wake-up instead of two). No event is lost: the fds are level
 * triggered in ppoll (a fd readable before the call returns it at once),
 * and a raise or kick for the CPU is a Dekker pair as for the futex sleep
 * (core/raise.c): the CPU stores sleeping = 2 (seq_cst), rechecks its
 * bitmap and its pokes, and only then enters ppoll. The pokes: a source
 * handed to this CPU (attach, hand-over) after it built its ppoll set
 * would not be in it, so the poker adds to cpu->kicks (seq_cst) before it
 * looks at sleeping, and the CPU, which read kicks before it looked at its
 * sources, sleeps only if kicks is unchanged after its store of sleeping:
 * either the poker sees the CPU asleep and wakes it, or the CPU sees the
 * poke and looks again (t_poll_sleep holds a CPU in that window). A
 * kicker that sees sleeping != 0 exchanges it to 0 and, as it was 2,
 * writes the CPU's wake eventfd, which is in the ppoll set (readable:
 * ppoll returns, however late it was entered). No busy loop: what ppoll
 * returns for is read (a readable counter is emptied by the read), dropped
 * (EOF, an error, a hangup: the slot is dead and left out of every later
 * poll), or the wake eventfd, which the CPU empties; a stale kick (written
 * after the CPU woke) costs one extra wake-up.
 *
 * Who reads: only the holder of the slot's busy flag, which it takes after
 * poll() said the fd is readable and keeps until the read is done. The
 * slot's version (ver) is bumped by every read, hand-over and attach: the
 * CPU notes it before poll() and reads only if it is unchanged once busy is
 * held, so the readiness poll() saw is still there (no other read came in
 * between, the slot was not reused): a read never blocks (irqcore is the
 * fd's only reader, as documented). The busy CAS and the recheck of active
 * after it, and detach's store of active and its load of busy, are seq_cst:
 * the Dekker pair of timer.c, so once detach returns no CPU reads the fd,
 * and none will. A fd the source thread finds closed (its periodic check,
 * source.c) is flagged here; the polling CPU counts and warns it (it alone
 * writes the source's protocol state) and polls it no more.
 */
#include "sources.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct irqc_poll {
	_Atomic bool active;		/* published (see above) */
	_Atomic bool busy;		/* a CPU reads it or hands it over */
	_Atomic int home;		/* the CPU that polls it */
	_Atomic bool dead;		/* dropped: polled no more */
	_Atomic int closed_err;		/* the caller's fd was closed (errno) */
	_Atomic uint64_t ver;		/* see above */
	/* set before active; relaxed atomics: a scan may read a slot that is
	 * being reused (ver tells) */
	_Atomic int fd;			/* the source's wfd */
	_Atomic unsigned int irq;
	struct irqc_src *_Atomic src;
} IRQC_ALIGNED;

static struct irqc_poll slots[IRQC_MAX_POLLS];
/* slots [0, hi) may be active: what the CPUs scan */
static _Atomic unsigned int slots_hi;

/* What one look at a CPU's slots found to poll. */
struct poll_set {
	struct pollfd pfd[IRQC_MAX_POLLS + 1];	/* + the wake eventfd */
	unsigned int slot[IRQC_MAX_POLLS];
	uint64_t ver[IRQC_MAX_POLLS];
	unsigned int n;
};

static void polls_move(int from, int to)
{
	/* release: the CPU's wake eventfd (set before any slot) before its
	 * acquire load in poll_sleep; the counts are hints otherwise */
	if (from >= 0)
		atomic_fetch_sub_explicit(&irqc.cpus[from].polls, 1, memory_order_release);
	if (to >= 0)
		atomic_fetch_add_explicit(&irqc.cpus[to].polls, 1, memory_order_release);
}

/* Every CPU's wake eventfd, made once per instance by the first polled
 * source (closed by core/dispatch.c when the dispatchers are gone). */
static int wakefds_make(void)
{
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		struct irqc_cpu *cpu = &irqc.cpus[c];
		int fd;

		if (cpu->poll_wakefd >= 0)
			continue;
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0) {
			int err = errno;

			irqc_warn("irqcore_source_attach: no wake eventfd for CPU %u: %s", c,
				  strerror(err));
			return -err;
		}
		cpu->poll_wakefd = fd;	/* published by polls_move's release */
	}
	return 0;
}

int irqc__poll_add(struct irqc_src *s)
{
	struct irqc_poll *p = NULL;
	unsigned int i, hi;
	int ret, home;

	if ((ret = wakefds_make()))
		return ret;
	for (i = 0; i < IRQC_MAX_POLLS; i++)	/* src_lock: one adder at a time */
		if (!atomic_load(&slots[i].active) && !atomic_load(&slots[i].busy)) {
			p = &slots[i];
			break;
		}
	if (!p) {
		irqc_warn("irqcore_source_attach: no polled-source slot left (%u)",
			  IRQC_MAX_POLLS);
		return -ENOSPC;
	}
	home = irqc__src_line_cpu(s->irq);
	atomic_store_explicit(&p->fd, s->wfd, memory_order_relaxed);
	atomic_store_explicit(&p->irq, s->irq, memory_order_relaxed);
	atomic_store_explicit(&p->src, s, memory_order_relaxed);
	atomic_store_explicit(&p->dead, false, memory_order_relaxed);
	atomic_store_explicit(&p->closed_err, 0, memory_order_relaxed);
	atomic_store_explicit(&p->home, home, memory_order_relaxed);
	/* relaxed: the seq_cst store of active below publishes it */
	atomic_store_explicit(&p->ver, atomic_load_explicit(&p->ver, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	polls_move(-1, home);
	/* seq_cst: the fields above before it (a release at least: paired
	 * with the CPUs' acquire loads of active), and the Dekker half of
	 * slot_take's recheck */
	atomic_store(&p->active, true);
	hi = atomic_load_explicit(&slots_hi, memory_order_relaxed);
	if (i + 1 > hi)
		/* release: a CPU that scans up to it sees the slot set */
		atomic_store_explicit(&slots_hi, i + 1, memory_order_release);
	s->poll = p;
	irqc__src_home_poke(home);	/* it may sleep on its futex: make it look */
	return 0;
}

void irqc__poll_del(struct irqc_src *s)
{
	struct irqc_poll *p = s->poll;
	unsigned int us = 1;
	int home;

	if (!p)
		return;
	/* seq_cst: the Dekker pair with slot_take (top of this file) */
	atomic_store(&p->active, false);
	while (atomic_load(&p->busy))
		irqc__backoff_sleep(&us);
	/* home changes under busy only, after a check of active: stable now */
	home = atomic_load_explicit(&p->home, memory_order_relaxed);
	polls_move(home, -1);
	irqc__src_home_poke(home);	/* out of its ppoll set now */
	s->poll = NULL;
}

void irqc__poll_closed(struct irqc_src *s, int err)
{
	struct irqc_poll *p = s->poll;
	int expected = 0;

	/* relaxed: the home reads it under busy, after the poke below */
	if (atomic_compare_exchange_strong_explicit(&p->closed_err, &expected, err ? err : EBADF,
						    memory_order_relaxed, memory_order_relaxed))
		irqc__src_home_poke(atomic_load_explicit(&p->home, memory_order_relaxed));
}

bool irqc__poll_done(const struct irqc_src *s)
{
	struct irqc_poll *p = s->poll;

	/* relaxed: the source thread skips a flagged fd; a stale value costs
	 * one more check (the CAS above reports once) */
	return atomic_load_explicit(&p->dead, memory_order_relaxed) ||
	       atomic_load_explicit(&p->closed_err, memory_order_relaxed);
}

/* Shutdown or a new instance: no slot is active any more; waits for a CPU
 * that holds one. The CPUs' counts die with the instance. */
void irqc__polls_reset(void)
{
	for (unsigned int i = 0; i < IRQC_MAX_POLLS; i++) {
		unsigned int us = 1;

		atomic_store(&slots[i].active, false);	/* seq_cst: as poll_del */
		while (atomic_load(&slots[i].busy))
			irqc__backoff_sleep(&us);
	}
	atomic_store_explicit(&slots_hi, 0, memory_order_relaxed);
}

/* Take slot p as CPU cpu: busy held, p active, cpu its home and (ver !=
 * NULL) its version unchanged. False: nothing taken. */
static bool slot_take(struct irqc_poll *p, struct irqc_cpu *cpu, const uint64_t *ver)
{
	bool expected = false;

	/* seq_cst: the Dekker pair with poll_del (top of this file) */
	if (!atomic_compare_exchange_strong(&p->busy, &expected, true))
		return false;
	if (atomic_load(&p->active) &&
	    /* relaxed: written under busy, whose CAS we just made */
	    atomic_load_explicit(&p->home, memory_order_relaxed) == (int)cpu->id &&
	    (!ver || atomic_load_explicit(&p->ver, memory_order_relaxed) == *ver))
		return true;
	/* release: as slot_put */
	atomic_store_explicit(&p->busy, false, memory_order_release);
	return false;
}

static void slot_put(struct irqc_poll *p, bool bump)
{
	if (bump)
		/* release: our read before a CPU's acquire load of ver (its
		 * poll() comes after our read) */
		atomic_store_explicit(&p->ver, atomic_load_explicit(&p->ver, memory_order_relaxed) + 1,
				      memory_order_release);
	/* release: our writes before the next holder's CAS */
	atomic_store_explicit(&p->busy, false, memory_order_release);
}

/* Slot p needs more than a poll: the line moved (hand it over to cur), or
 * the source thread found its fd closed (report it, poll it no more). */
static void slot_admin(struct irqc_poll *p, struct irqc_cpu *cpu, int cur)
{
	struct irqc_src *s;
	int err;

	if (!slot_take(p, cpu, NULL))
		return;
	s = atomic_load_explicit(&p->src, memory_order_relaxed);
	err = atomic_load_explicit(&p->closed_err, memory_order_relaxed);
	if (err && !atomic_load_explicit(&p->dead, memory_order_relaxed)) {
		irqc__src_drop(s, "fd closed under a live line", err);
		/* relaxed: a hint to the scans; the slot is read under busy */
		atomic_store_explicit(&p->dead, true, memory_order_relaxed);
	}
	if (cur != (int)cpu->id) {
		atomic_store_explicit(&p->home, cur, memory_order_relaxed);
		polls_move((int)cpu->id, cur);
		slot_put(p, true);
		irqc__src_home_poke(cur);
		return;
	}
	slot_put(p, false);
}

/* Look at the slots cpu is home to: hand over and report what needs it,
 * note the fds to poll in *ps. */
static void poll_collect(struct irqc_cpu *cpu, struct poll_set *ps)
{
	/* acquire: paired with the release store in poll_add */
	unsigned int hi = atomic_load_explicit(&slots_hi, memory_order_acquire);

	ps->n = 0;
	for (unsigned int i = 0; i < hi; i++) {
		struct irqc_poll *p = &slots[i];
		uint64_t ver;
		int cur;

		/* acquire: the slot's fields after active (poll_add) */
		if (!atomic_load_explicit(&p->active, memory_order_acquire) ||
		    atomic_load_explicit(&p->home, memory_order_relaxed) != (int)cpu->id ||
		    atomic_load_explicit(&p->dead, memory_order_relaxed))
			continue;
		/* acquire: paired with slot_put's bump (the last read is done) */
		ver = atomic_load_explicit(&p->ver, memory_order_acquire);
		cur = irqc__src_line_cpu(atomic_load_explicit(&p->irq, memory_order_relaxed));
		if (cur != (int)cpu->id ||
		    atomic_load_explicit(&p->closed_err, memory_order_relaxed)) {
			slot_admin(p, cpu, cur);
			continue;
		}
		ps->pfd[ps->n] = (struct pollfd){
			.fd = atomic_load_explicit(&p->fd, memory_order_relaxed), .events = POLLIN };
		ps->slot[ps->n] = i;
		ps->ver[ps->n] = ver;
		ps->n++;
	}
}

/* Read what poll() found ready; true if a fd was read. */
static bool poll_read(struct irqc_cpu *cpu, struct poll_set *ps)
{
	bool any = false;

	for (unsigned int k = 0; k < ps->n; k++) {
		struct irqc_poll *p = &slots[ps->slot[k]];
		short ev = ps->pfd[k].revents;
		struct irqc_src *s;

		if (!ev || !slot_take(p, cpu, &ps->ver[k]))
			continue;
		s = atomic_load_explicit(&p->src, memory_order_relaxed);
		/* relaxed: a statistic */
		atomic_store_explicit(&s->poll_cpu, (int)cpu->id, memory_order_relaxed);
		if (ev & POLLIN)
			irqc__src_read(s);	/* the kind's protocol: raises the line */
		else
			irqc__src_drop(s, ev & POLLNVAL ? "POLLNVAL" :
					  ev & POLLERR ? "POLLERR" : "POLLHUP", 0);
		if (s->dropped)
			/* relaxed: a hint to the scans, as in slot_admin */
			atomic_store_explicit(&p->dead, true, memory_order_relaxed);
		slot_put(p, true);
		any = true;
	}
	return any;
}

/* irqc__poll_run (internal.h) found cpu->polls != 0. */
bool irqc__poll_pass(struct irqc_cpu *cpu)
{
	struct poll_set ps;

	poll_collect(cpu, &ps);
	if (!ps.n || poll(ps.pfd, ps.n, 0) <= 0)
		return false;
	return poll_read(cpu, &ps);
}


bool irqc__poll_sleep(struct irqc_cpu *cpu, uint64_t until_ns, uint32_t kicks)
{
	struct poll_set ps;
	struct timespec ts, *tsp = NULL;

	/* acquire: the wake eventfd made before the count rose (polls_move) */
	if (likely(!atomic_load_explicit(&cpu->polls, memory_order_acquire)))
		return false;
	poll_collect(cpu, &ps);
	ps.pfd[ps.n] = (struct pollfd){ .fd = cpu->poll_wakefd, .events = POLLIN };
	if (until_ns) {
		uint64_t now = irqc__mono_ns(), rel = until_ns > now ? until_ns - now : 0;

		ts = (struct timespec){ .tv_sec = (time_t)(rel / 1000000000ull),
					.tv_nsec = (long)(rel % 1000000000ull) };
		tsp = &ts;
	}
	IRQC_DEBUG_POINT(IRQC_DBG_IDLE_SLEEP, ~0u);
	/* seq_cst: the store half of the Dekker pair with irqc__cpu_kick,
	 * whose exchange then writes the wake eventfd, and with a poke that
	 * handed a source to this CPU after poll_collect (top of this file) */
	atomic_store(&cpu->sleeping, IRQC_SLEEP_POLL);
	if (irqc__may_sleep(cpu, kicks) && ppoll(ps.pfd, ps.n + 1, tsp, NULL) > 0) {
		uint64_t v;

		if ((ps.pfd[ps.n].revents & POLLIN) &&
		    read(cpu->poll_wakefd, &v, sizeof(v)) < 0)
			(void)0;	/* EAGAIN: another read emptied it */
	}
	atomic_store_explicit(&cpu->sleeping, 0, memory_order_relaxed);
	poll_read(cpu, &ps);		/* what woke us, if a polled fd did */
	return true;
}
