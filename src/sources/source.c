/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Interrupt sources: file descriptors as lines (eventfd, timerfd, UIO,
 * VFIO, GPIO), attach/detach and their statistics. Deadline timers are in
 * timer.c.
 *
 * One source thread per instance waits on an epoll set. irqcore watches,
 * reads and writes its own duplicate of each fd (wfd): the caller's fd is
 * never closed by irqcore, and a caller's close() cannot leave epoll with
 * a registration nobody can remove, nor make irqcore read another file
 * that took the number. The thread checks every CHECK_CLOSED_MS that the
 * caller's fd still is the same file (kcmp(KCMP_FILE); fstat where kcmp is
 * not allowed): a closed fd is "closed under a live line". Each wfd is
 * registered EPOLLIN | EPOLLONESHOT with data = (cookie << 32) | irq: an
 * event disarms the registration, the thread reads once with the kind's
 * protocol, raises the line and re-arms it. So a fd the thread can no
 * longer read (an error, end of file) reports at most once: no busy loop
 * whatever the fd does.
 *
 * Lifetime: every record is reached through the registry (reg[irq]) under
 * src_lock. The source thread handles a batch of events with src_lock held
 * and finds each record by irq, checking the cookie: an event that epoll
 * returned before a detach finds no record (or another one) and is
 * dropped. Detach takes the record out of the registry and the epoll set
 * under src_lock, then, without it, clears the line's chip_data (the chip
 * callbacks, which reach the record through it, read it under the line's
 * chip lock: once that store is done, no callback uses the record) and
 * gives the line the soft chip back; then it frees the record. A timer is
 * first taken away from the dispatchers (timer.c).
 *
 * Lock order: src_lock, then a domain's mutex, then a line's locks. Nothing
 * under src_lock waits for a handler: get_stats may be called from one.
 */
#include "sources.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/gpio.h>
#include <linux/kcmp.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "irqcore/linux.h"

#define CHECK_CLOSED_MS	200	/* how often watched fds are checked */

static pthread_mutex_t src_lock = PTHREAD_MUTEX_INITIALIZER;

/* Everything below belongs to one instance (gen) and is guarded by src_lock. */
static struct {
	unsigned int gen;		/* irqc.gen of the instance it serves */
	struct irqc_src **reg;		/* [nr_irqs] */
	struct irqc_src *all;
	struct irq_domain *domain[IRQCORE_SRC_TIMER + 1];
	uint32_t next_cookie;
	int epfd, wakefd;
	pthread_t thread;
	bool thread_started;
	bool stop;
} S = { .epfd = -1, .wakefd = -1 };

static const char *const kind_name[] = {
	[IRQCORE_SRC_EVENTFD] = "eventfd", [IRQCORE_SRC_TIMERFD] = "timerfd",
	[IRQCORE_SRC_UIO] = "uio",	   [IRQCORE_SRC_VFIO] = "vfio",
	[IRQCORE_SRC_GPIO] = "gpio",	   [IRQCORE_SRC_TIMER] = "timer",
};

static void count(_Atomic uint64_t *c, uint64_t n)
{
	/* relaxed: a statistics counter, read racily */
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- chips: the unmask protocols ---- */

/* UIO: a 4-byte 1 re-enables the device's interrupt. */
static void uio_unmask(struct irq_data *d)
{
	struct irqc_src *s = d->chip_data;
	uint32_t one = 1;

	if (s && write(s->wfd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		count(&s->errors, 1);
}

/* VFIO INTx: VFIO_DEVICE_SET_IRQS, ACTION_UNMASK, on the device fd; a
 * socket standing for the device receives the same request as bytes. */
static void vfio_unmask(struct irq_data *d)
{
	struct irqc_src *s = d->chip_data;
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		.start = 0,
		.count = 1,
	};
	struct stat st;
	int ret;

	if (!s)
		return;
	set.index = s->index;
	if (fstat(s->ctl_fd, &st) == 0 && S_ISSOCK(st.st_mode))
		ret = send(s->ctl_fd, &set, sizeof(set), MSG_DONTWAIT | MSG_NOSIGNAL) ==
		      (ssize_t)sizeof(set) ? 0 : -1;
	else
		ret = ioctl(s->ctl_fd, VFIO_DEVICE_SET_IRQS, &set);
	if (ret)
		count(&s->errors, 1);
}

static const struct irq_chip src_chip[] = {
	[IRQCORE_SRC_EVENTFD] = { .name = "eventfd" },
	[IRQCORE_SRC_TIMERFD] = { .name = "timerfd" },
	[IRQCORE_SRC_UIO] = { .name = "uio", .irq_unmask = uio_unmask },
	[IRQCORE_SRC_VFIO] = { .name = "vfio", .irq_unmask = vfio_unmask },
	[IRQCORE_SRC_GPIO] = { .name = "gpio" },
	[IRQCORE_SRC_TIMER] = { .name = "timer" },
};
/* VFIO MSI/MSI-X vectors: nothing to unmask */
static const struct irq_chip vfio_msi_chip = { .name = "vfio" };

/* Masked until handled (threads included), then unmasked by the chip: the
 * level flow on raised events (nothing asserts the line, so it never
 * refires by itself). */
static bool src_oneshot(const struct irqc_src *s)
{
	return s->kind == IRQCORE_SRC_UIO ||
	       (s->kind == IRQCORE_SRC_VFIO && s->index == VFIO_PCI_INTX_IRQ_INDEX);
}

static int src_set_chip(struct irqc_src *s)
{
	const struct irq_chip *chip = &src_chip[s->kind];
	int ret;

	if (s->kind == IRQCORE_SRC_VFIO && !src_oneshot(s))
		chip = &vfio_msi_chip;
	ret = irq_set_chip_data(s->irq, s);
	if (!ret)
		ret = irq_set_chip_and_handler_name(s->irq, chip,
						    src_oneshot(s) ? handle_level_irq :
						    handle_edge_irq, NULL);
	return ret;
}

static const struct irq_domain_ops src_domain_ops = { .map = NULL };

/* ---- fd problems ---- */

static void src_warn_once(struct irqc_src *s, const char *what, int err)
{
	if (s->warned)
		return;
	s->warned = true;
	irqc_warn("irq %u (%s source, fd %d): %s%s%s", s->irq, kind_name[s->kind], s->fd, what,
		  err ? ": " : "", err ? strerror(err) : "");
}

/* The fd stopped working: stop watching it (wfd stays open until detach:
 * a chip unmask may still write to it), count, warn once. A polled source
 * (never watched) is polled no more once dropped (poll.c). */
static void src_drop(struct irqc_src *s, const char *what, int err)
{
	count(&s->errors, 1);
	src_warn_once(s, what, err);
	if (s->watched) {	/* never for a polled one: the source thread reads it */
		epoll_ctl(S.epfd, EPOLL_CTL_DEL, s->wfd, NULL);
		s->watched = false;
	}
	s->dropped = true;
}

void irqc__src_drop(struct irqc_src *s, const char *what, int err)
{
	src_drop(s, what, err);
}

/* The caller's fd still is the file we duplicated. */
static bool fd_is_ours(const struct irqc_src *s, int *err)
{
	pid_t pid = getpid();
	struct stat a, b;
	long r = syscall(SYS_kcmp, pid, pid, KCMP_FILE, s->fd, s->wfd);

	*err = 0;
	if (r == 0)
		return true;
	if (r > 0) {
		*err = EBADF;		/* another file behind the number */
		return false;
	}
	if (errno == EBADF) {
		*err = EBADF;
		return false;
	}
	/* no kcmp here: the same inode (anonymous inodes share one) */
	if (fstat(s->fd, &a)) {
		*err = errno;
		return false;
	}
	return fstat(s->wfd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void check_closed(void)
{
	for (struct irqc_src *s = S.all; s; s = s->next) {
		int err;

		if (s->watched && !fd_is_ours(s, &err))
			src_drop(s, "fd closed under a live line", err);
		else if (s->poll && !irqc__poll_done(s) && !fd_is_ours(s, &err))
			irqc__poll_closed(s, err);	/* its CPU reports it */
	}
}

/* ---- reading: one read per readiness, the kind's protocol ---- */

static void raise_n(struct irqc_src *s, unsigned int n)
{
	count(&s->events, n);
	while (n--)
		irq_raise(s->irq);
}

/* A read that failed or returned len bytes of want: false when the source
 * must be dropped. */
static bool read_ok(struct irqc_src *s, ssize_t len, size_t want)
{
	int err = errno;

	if (len == (ssize_t)want)
		return true;
	if (len < 0 && (err == EAGAIN || err == EINTR))
		return false;		/* spurious readiness: re-armed */
	if (len == 0) {
		src_drop(s, "end of file", 0);
	} else if (len < 0) {
		src_drop(s, "read failed", err);
	} else {
		count(&s->errors, 1);	/* a short read: skipped */
		src_warn_once(s, "read of an unexpected size", 0);
	}
	return false;
}

static void read_counter(struct irqc_src *s)
{
	uint64_t v;
	ssize_t len = read(s->wfd, &v, sizeof(v));

	if (!read_ok(s, len, sizeof(v)))
		return;
	if (s->kind == IRQCORE_SRC_TIMERFD && v > 1)
		count(&s->missed, v - 1);	/* expirations folded into one read */
	raise_n(s, 1);
}

static void read_uio(struct irqc_src *s)
{
	uint32_t c;
	ssize_t len = read(s->wfd, &c, sizeof(c));

	if (!read_ok(s, len, sizeof(c)))
		return;
	if (s->have_count && c - s->last_count > 1)
		count(&s->missed, c - s->last_count - 1);	/* wraps as the count does */
	s->have_count = true;
	s->last_count = c;
	raise_n(s, 1);
}

static void read_gpio(struct irqc_src *s)
{
	struct gpio_v2_line_event ev[16];
	ssize_t len = read(s->wfd, ev, sizeof(ev));
	unsigned int n, mine = 0;

	if (len > 0 && len % (ssize_t)sizeof(ev[0])) {
		count(&s->errors, 1);	/* not whole events: skipped */
		src_warn_once(s, "read of an unexpected size", 0);
		return;
	}
	n = len > 0 ? (unsigned int)(len / (ssize_t)sizeof(ev[0])) : 0;
	if (!read_ok(s, n ? (ssize_t)sizeof(ev[0]) : len, sizeof(ev[0])))
		return;
	for (unsigned int i = 0; i < n; i++) {
		if (ev[i].offset != s->index) {
			count(&s->errors, 1);
			if (!s->warned_offset) {
				s->warned_offset = true;
				irqc_warn("irq %u (gpio source, fd %d): event of line offset %u, "
					  "watching %u: dropped", s->irq, s->fd, ev[i].offset,
					  s->index);
			}
			continue;
		}
		if (s->have_count && ev[i].line_seqno - s->last_seqno > 1)
			count(&s->missed, ev[i].line_seqno - s->last_seqno - 1);
		s->have_count = true;
		s->last_seqno = ev[i].line_seqno;
		mine++;
	}
	raise_n(s, mine);
}

void irqc__src_read(struct irqc_src *s)
{
	switch (s->kind) {
	case IRQCORE_SRC_EVENTFD:
	case IRQCORE_SRC_TIMERFD:
	case IRQCORE_SRC_VFIO:
		read_counter(s);
		break;
	case IRQCORE_SRC_UIO:
		read_uio(s);
		break;
	case IRQCORE_SRC_GPIO:
		read_gpio(s);
		break;
	}
}

static int src_arm(struct irqc_src *s, int op)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLONESHOT,
		.data.u64 = ((uint64_t)s->cookie << 32) | s->irq,
	};

	return epoll_ctl(S.epfd, op, s->wfd, &ev) ? -errno : 0;
}

static void src_event(const struct epoll_event *ev)
{
	unsigned int irq = (unsigned int)ev->data.u64;
	struct irqc_src *s = irq < irqc.nr_irqs ? S.reg[irq] : NULL;
	int err;

	if (!s || s->cookie != (uint32_t)(ev->data.u64 >> 32) || !s->watched)
		return;			/* detached meanwhile: the record is gone */
	if (ev->events & EPOLLIN) {
		irqc__src_read(s);
	} else if (ev->events & (EPOLLHUP | EPOLLERR)) {
		src_drop(s, ev->events & EPOLLERR ? "EPOLLERR" : "EPOLLHUP", 0);
		return;
	}
	if (s->watched && (err = src_arm(s, EPOLL_CTL_MOD)))
		src_drop(s, "cannot re-arm", -err);
}

/*
 * The source thread. It leaves when shutdown (or a failed start) sets
 * S.stop under src_lock and writes to the wake eventfd.
 */
static void *src_main(void *arg)
{
	struct epoll_event ev[32];
	uint64_t last_check = irqc__mono_ns();

	(void)arg;
	pthread_setname_np(pthread_self(), "irqcore/src");
	for (;;) {
		int n = epoll_wait(S.epfd, ev, 32, CHECK_CLOSED_MS);
		uint64_t now;

		pthread_mutex_lock(&src_lock);
		if (S.stop) {
			pthread_mutex_unlock(&src_lock);
			break;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == UINT64_MAX) {	/* the wake fd */
				uint64_t v;

				if (read(S.wakefd, &v, sizeof(v)) < 0)
					(void)0;	/* only wakes us */
				continue;
			}
			src_event(&ev[i]);
		}
		now = irqc__mono_ns();
		if (now - last_check >= CHECK_CLOSED_MS * 1000000ull) {
			check_closed();
			last_check = now;
		}
		pthread_mutex_unlock(&src_lock);
	}
	return NULL;
}

/* ---- instance state, src_lock held ---- */

/* Forget what an earlier instance left (its shutdown ran the hook below,
 * so only the memory of a failed start can be left). */
static void state_reset_locked(void)
{
	free(S.reg);
	S.reg = NULL;
	S.all = NULL;
	memset(S.domain, 0, sizeof(S.domain));
	S.gen = atomic_load_explicit(&irqc.gen, memory_order_relaxed);
	irqc__timers_reset();
	irqc__polls_reset();
}

static int state_get_locked(void)
{
	if (S.gen != atomic_load_explicit(&irqc.gen, memory_order_relaxed) || !S.reg)
		state_reset_locked();
	if (!S.reg && !(S.reg = calloc(irqc.nr_irqs, sizeof(*S.reg))))
		return -ENOMEM;
	return 0;
}

static int thread_start_locked(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
	int ret;

	if (S.thread_started)
		return 0;
	S.epfd = epoll_create1(EPOLL_CLOEXEC);
	S.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (S.epfd < 0 || S.wakefd < 0 || epoll_ctl(S.epfd, EPOLL_CTL_ADD, S.wakefd, &ev)) {
		ret = -errno;
		goto fail;
	}
	S.stop = false;
	ret = -pthread_create(&S.thread, NULL, src_main, NULL);
	if (ret)
		goto fail;
	S.thread_started = true;
	pthread_setname_np(S.thread, "irqcore/src");	/* named before attach returns */
	return 0;
fail:
	if (S.epfd >= 0)
		close(S.epfd);
	if (S.wakefd >= 0)
		close(S.wakefd);
	S.epfd = S.wakefd = -1;
	return ret;
}

/* ---- checking a source ---- */

/* The /proc/self/fd link of fd ("anon_inode:[eventfd]", "socket:[...]",
 * "/dev/uio0"); false when it cannot be read (no /proc): not checked. */
static bool fd_link(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

static bool fd_is(int fd, const char *anon, bool chr_ok, bool sock_ok)
{
	char link[256];
	struct stat st;

	if (fstat(fd, &st))
		return false;
	if (chr_ok && S_ISCHR(st.st_mode))
		return true;
	if (sock_ok && S_ISSOCK(st.st_mode))
		return true;
	if (!fd_link(fd, link, sizeof(link)))
		return true;		/* no /proc: trust the caller */
	return anon && strcmp(link, anon) == 0;
}

static int check_fd(int fd, const char *what)
{
	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		irqc_warn("irqcore_source_attach: %s %d is not open", what, fd);
		return -EBADF;
	}
	return 0;
}

#define bad_src(...) (irqc_warn("irqcore_source_attach: " __VA_ARGS__), -EINVAL)

static int check_source(int irq, const struct irqcore_source *src)
{
	int ret;

	if (src->kind < IRQCORE_SRC_EVENTFD || src->kind > IRQCORE_SRC_TIMER)
		return bad_src("unknown kind %d", src->kind);
	if (src->flags & ~IRQCORE_SRC_F_POLL)
		return bad_src("unknown flags %#x", src->flags & ~IRQCORE_SRC_F_POLL);
	if ((src->flags & IRQCORE_SRC_F_POLL) && src->kind == IRQCORE_SRC_TIMER)
		return bad_src("IRQCORE_SRC_F_POLL is for fds (a timer is run by its CPU)");
	if ((src->flags & IRQCORE_SRC_F_POLL) && (irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS))
		return bad_src("IRQCORE_SRC_F_POLL needs dispatcher threads (external CPUs)");
	if (irq >= 0 && !irqc__in_range((unsigned int)irq))
		return bad_src("irq %d out of range", irq);
	if (src->hwirq >= IRQC_SRC_MAX_HWIRQ)
		return bad_src("hwirq %lu out of range", src->hwirq);
	if (src->kind == IRQCORE_SRC_TIMER) {
		if (!src->period_ns)
			return bad_src("a timer needs period_ns");
		if (src->lead_ns > src->period_ns)
			return bad_src("lead_ns %llu longer than the period", src->lead_ns);
		if (irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS)
			return bad_src("a timer needs dispatcher threads (external CPUs)");
		return 0;
	}
	if (src->period_ns || src->lead_ns)
		return bad_src("period_ns/lead_ns are for timers");
	if ((ret = check_fd(src->fd, "fd")))
		return ret;
	switch (src->kind) {
	case IRQCORE_SRC_EVENTFD:
		if (!fd_is(src->fd, "anon_inode:[eventfd]", false, false))
			return bad_src("fd %d is not an eventfd", src->fd);
		break;
	case IRQCORE_SRC_TIMERFD:
		if (!fd_is(src->fd, "anon_inode:[timerfd]", false, false))
			return bad_src("fd %d is not a timerfd", src->fd);
		break;
	case IRQCORE_SRC_UIO:
		if (!fd_is(src->fd, NULL, true, true))
			return bad_src("fd %d is not a UIO device (or a socket)", src->fd);
		break;
	case IRQCORE_SRC_GPIO:
		if (!fd_is(src->fd, "anon_inode:gpio-line", false, true))
			return bad_src("fd %d is not a GPIO line request (or a socket)", src->fd);
		break;
	case IRQCORE_SRC_VFIO:
		if (!fd_is(src->fd, "anon_inode:[eventfd]", false, false))
			return bad_src("fd %d is not an eventfd", src->fd);
		if ((ret = check_fd(src->ctl_fd, "ctl_fd")))
			return ret;
		if (!fd_is(src->ctl_fd, "anon_inode:[vfio-device]", true, true))
			return bad_src("ctl_fd %d is not a VFIO device (or a socket)",
				       src->ctl_fd);
		break;
	}
	return 0;
}

/* The hwirq a source takes when the caller gives none: the fd (a VFIO
 * vector's eventfd), the GPIO line offset, 0 for a timer; if a source of
 * the kind already has it, the next free one up. */
static unsigned long own_hwirq(const struct irqcore_source *src)
{
	switch (src->kind) {
	case IRQCORE_SRC_GPIO:
		return src->index;
	case IRQCORE_SRC_TIMER:
		return 0;
	default:
		return (unsigned long)src->fd;
	}
}

static bool hw_taken(struct irq_domain *d, unsigned long hw)
{
	unsigned int virq = irq_find_mapping(d, hw);

	return virq && S.reg[virq];
}

/* The line of the source: irq itself, or a mapping in the kind's domain
 * (*allocated: detach gives it back). */
static int line_get_locked(int irq, const struct irqcore_source *src, bool *allocated)
{
	unsigned long hw = src->hwirq ? src->hwirq : own_hwirq(src);
	struct irq_domain **d = &S.domain[src->kind];
	unsigned int virq;

	*allocated = false;
	if (irq >= 0)
		return irq;
	if (!*d && !(*d = irq_domain_create_linear(NULL, IRQC_SRC_MAX_HWIRQ, &src_domain_ops,
						     (void *)kind_name[src->kind])))
		return -ENOMEM;
	if (!src->hwirq)
		while (hw < IRQC_SRC_MAX_HWIRQ && hw_taken(*d, hw))
			hw++;
	if (hw >= IRQC_SRC_MAX_HWIRQ)
		return bad_src("no hwirq left for the source from %lu: give one", hw);
	if (hw_taken(*d, hw)) {
		irqc_warn("irqcore_source_attach: %s hwirq %lu is IRQ %u, which has a source",
			  kind_name[src->kind], hw, irq_find_mapping(*d, hw));
		return -EBUSY;
	}
	virq = irq_find_mapping(*d, hw);	/* left mapped by a detach: take it again */
	if (!virq)
		virq = irq_create_mapping(*d, hw);
	if (!virq)
		return -ENOSPC;
	*allocated = true;
	return (int)virq;
}

static void line_put(struct irqc_src *s)
{
	struct irq_status st;

	/* Chip callbacks read chip_data under the line's chip lock: once this
	 * returns, none is using the record and none will. */
	irq_set_chip_data(s->irq, NULL);
	irq_set_chip_and_handler_name(s->irq, NULL, NULL, NULL);
	if (!s->allocated)
		return;
	if (irq_get_status(s->irq, &st) == 0 && st.nr_actions) {
		irqc_warn("irqcore_source_detach(%u): the line is still requested: left mapped "
			  "(free_irq, then irq_dispose_mapping)", s->irq);
		return;
	}
	irq_dispose_mapping(s->irq);
}

static void src_free(struct irqc_src *s)
{
	if (s->wfd >= 0)
		close(s->wfd);		/* our duplicate, not the caller's fd */
	free(s);
}

static bool refuse_context(const char *fn)
{
	if (!irqc__in_handler_context())
		return false;
	irqc_warn("%s from IRQ context refused", fn);
	return true;
}

int irqcore_source_attach(int irq, const struct irqcore_source *src)
{
	IRQC_API_GUARD(-ENODEV);
	struct irqc_src *s;
	bool allocated;
	int ret, line;

	if (refuse_context("irqcore_source_attach()"))
		return -EPERM;
	if (!src)
		return bad_src("NULL source");
	if ((ret = check_source(irq, src)))
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct irqc_src){ .kind = src->kind, .fd = src->fd, .ctl_fd = src->ctl_fd,
				.index = src->index, .flags = src->flags, .wfd = -1,
				.poll_cpu = -1 };
	if (src->kind != IRQCORE_SRC_TIMER &&
	    (s->wfd = fcntl(src->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		ret = -errno;
		irqc_warn("irqcore_source_attach: cannot duplicate fd %d: %s", src->fd,
			  strerror(-ret));
		free(s);
		return ret;
	}

	pthread_mutex_lock(&src_lock);
	ret = state_get_locked();
	if (!ret && src->kind != IRQCORE_SRC_TIMER)
		ret = thread_start_locked();
	if (ret)
		goto out_unlock;
	for (struct irqc_src *o = S.all; o && src->kind != IRQCORE_SRC_TIMER; o = o->next)
		if ((o->watched || o->poll) && o->fd == src->fd) {
			irqc_warn("irqcore_source_attach: fd %d is watched for another line "
				  "(IRQ %u)", src->fd, o->irq);
			ret = -EBUSY;
			goto out_unlock;
		}
	line = line_get_locked(irq, src, &allocated);
	if (line < 0) {
		ret = line;
		goto out_unlock;
	}
	s->irq = (unsigned int)line;
	s->allocated = allocated;
	if (S.reg[s->irq]) {
		irqc_warn("irqcore_source_attach: IRQ %u already has a source", s->irq);
		ret = -EBUSY;
		goto out_unlock;
	}
	if ((ret = src_set_chip(s)))
		goto out_line;
	s->cookie = ++S.next_cookie;
	if (src->kind == IRQCORE_SRC_TIMER) {
		/* lead 0: adaptive (sources/timer.c) */
		ret = irqc__timer_add(s, src->period_ns, src->lead_ns);
	} else if (src->flags & IRQCORE_SRC_F_POLL) {
		ret = irqc__poll_add(s);	/* its CPU reads it, not epoll */
	} else {
		ret = src_arm(s, EPOLL_CTL_ADD);
		if (ret == -EEXIST) {
			irqc_warn("irqcore_source_attach: fd %d is watched for another line",
				  src->fd);
			ret = -EBUSY;
		}
		s->watched = !ret;
	}
	if (ret)
		goto out_line;
	S.reg[s->irq] = s;
	s->next = S.all;
	S.all = s;
	pthread_mutex_unlock(&src_lock);
	return (int)s->irq;

out_line:
	pthread_mutex_unlock(&src_lock);
	line_put(s);		/* nothing reached the record: no grace period */
	src_free(s);
	return ret;
out_unlock:
	pthread_mutex_unlock(&src_lock);
	src_free(s);
	return ret;
}

static void unlink_locked(struct irqc_src *s)
{
	struct irqc_src **p;

	S.reg[s->irq] = NULL;
	for (p = &S.all; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	if (s->watched) {	/* (a polled one's CPU may read the flag: no store) */
		epoll_ctl(S.epfd, EPOLL_CTL_DEL, s->wfd, NULL);
		s->watched = false;
	}
}

int irqcore_source_detach(unsigned int irq)
{
	IRQC_API_GUARD(-ENODEV);
	struct irqc_src *s = NULL;

	if (refuse_context("irqcore_source_detach()"))
		return -EPERM;
	pthread_mutex_lock(&src_lock);
	if (S.reg && S.gen == atomic_load_explicit(&irqc.gen, memory_order_relaxed) &&
	    irqc__in_range(irq))
		s = S.reg[irq];
	if (s)
		unlink_locked(s);	/* no new read, no new event of it */
	pthread_mutex_unlock(&src_lock);
	if (!s)
		return -ENOENT;
	if (s->timer)
		irqc__timer_del(s);	/* no timer run of it from here on */
	if (s->poll)
		irqc__poll_del(s);	/* no read of it from here on */
	line_put(s);			/* no chip callback of ours from here on */
	src_free(s);
	return 0;
}

int irqcore_source_get_stats(unsigned int irq, struct irqcore_source_stats *st)
{
	IRQC_API_GUARD(-ENODEV);
	struct irqc_src *s = NULL;

	if (!st)
		return -EINVAL;
	pthread_mutex_lock(&src_lock);
	if (S.reg && S.gen == atomic_load_explicit(&irqc.gen, memory_order_relaxed) &&
	    irqc__in_range(irq))
		s = S.reg[irq];
	if (s) {
		memset(st, 0, sizeof(*st));
		/* relaxed: counters */
		st->events = atomic_load_explicit(&s->events, memory_order_relaxed);
		st->missed = atomic_load_explicit(&s->missed, memory_order_relaxed);
		st->errors = atomic_load_explicit(&s->errors, memory_order_relaxed);
		st->poll_cpu = atomic_load_explicit(&s->poll_cpu, memory_order_relaxed);
		if (s->timer)
			irqc__timer_stats(s, st);
	}
	pthread_mutex_unlock(&src_lock);
	return s ? 0 : -ENOENT;
}

/*
 * Shutdown (core/init.c), after public calls are refused and the leftover
 * actions are freed (no handler or thread runs, so no chip unmask: D9
 * masks), before the dispatchers stop: stop the source thread, take every
 * timer away from the dispatchers (a grace period), free the records.
 * Lines and domains die with the instance (a domain of a dead instance
 * frees at once).
 */
void irqc__sources_shutdown(void)
{
	struct irqc_src *s, *next;

	pthread_mutex_lock(&src_lock);
	S.stop = true;
	if (S.wakefd >= 0) {
		uint64_t one = 1;

		if (write(S.wakefd, &one, sizeof(one)) < 0)
			(void)0;	/* a full counter wakes it too */
	}
	pthread_mutex_unlock(&src_lock);
	if (S.thread_started)
		pthread_join(S.thread, NULL);
	pthread_mutex_lock(&src_lock);
	S.thread_started = false;
	if (S.epfd >= 0)
		close(S.epfd);
	if (S.wakefd >= 0)
		close(S.wakefd);
	S.epfd = S.wakefd = -1;
	irqc__timers_reset();	/* the dispatchers skip them from here on */
	irqc__polls_reset();
	for (s = S.all; s; s = next) {
		next = s->next;
		S.reg[s->irq] = NULL;
		irq_set_chip_data(s->irq, NULL);	/* -ENODEV by now: harmless */
		src_free(s);
	}
	S.all = NULL;
	for (unsigned int k = 0; k <= IRQCORE_SRC_TIMER; k++)
		if (S.domain[k])
			irq_domain_remove(S.domain[k]);	/* a dead instance's: freed */
	memset(S.domain, 0, sizeof(S.domain));
	free(S.reg);
	S.reg = NULL;
	pthread_mutex_unlock(&src_lock);
}
