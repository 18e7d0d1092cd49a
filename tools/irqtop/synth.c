/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * synth.c — synthetic statistics segments (see synth.h).
 */
#include "synth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

uint64_t synth_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

size_t synth_layout(const struct synth_params *p, struct irqc_exp_header *h)
{
	uint64_t off;
	struct timespec rt;

	memset(h, 0, sizeof(*h));
	h->magic = IRQC_EXP_MAGIC;
	h->version = IRQC_EXP_VERSION;
	h->header_size = sizeof(struct irqc_exp_header);
	h->cpu_size = sizeof(struct irqc_exp_cpu);
	h->line_size = sizeof(struct irqc_exp_line);
	h->lat_buckets = p->latency ? IRQC_EXP_LAT_BUCKETS : 0;
	h->nr_cpus = p->nr_cpus;
	h->nr_irqs = p->nr_irqs;
	h->flags = p->latency ? IRQC_EXP_F_LATENCY : 0;
	irqc_exp_layout(h, p->nr_cpus, p->nr_irqs, p->latency);
	off = h->total_size;
	h->pid = p->pid ? p->pid : (int32_t)getpid();
	clock_gettime(CLOCK_REALTIME, &rt);
	h->start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull +
			       (uint64_t)rt.tv_nsec;
	h->start_mono_ns = synth_now_ns();
	h->heartbeat_mono_ns = h->start_mono_ns;
	strncpy(h->comm, p->comm ? p->comm : "synth", sizeof(h->comm) - 1);
	return (size_t)off;
}

void synth_attach(struct synth *s, void *buf, size_t size)
{
	struct irqc_exp_header *h = buf;

	s->fd = -1;
	s->map = buf;
	s->size = size;
	s->h = h;
	s->cpus = (void *)(s->map + h->cpu_off);
	s->lines = (void *)(s->map + h->line_off);
	s->handled = (void *)(s->map + h->handled_off);
	s->unhandled = (void *)(s->map + h->unhandled_off);
	s->hard_ns = (void *)(s->map + h->hard_ns_off);
	s->hard_max = (void *)(s->map + h->hard_max_off);
	s->hard_total = (void *)(s->map + h->hard_total_off);
	s->thread_ns = (void *)(s->map + h->thread_ns_off);
	s->coalesced = (void *)(s->map + h->coalesced_off);
	s->lat = h->lat_off ? (void *)(s->map + h->lat_off) : NULL;
}

static void init_records(struct synth *s)
{
	for (uint32_t c = 0; c < s->h->nr_cpus; c++) {
		s->cpus[c].os_cpu = (int32_t)c;
		s->cpus[c].external = 0;
	}
	for (uint32_t i = 0; i < s->h->nr_irqs; i++) {
		s->lines[i].effective_cpu = -1;
		s->lines[i].thread_prio = -1;
	}
}

void *synth_build(const struct synth_params *p, size_t *size)
{
	struct irqc_exp_header h;
	size_t n = synth_layout(p, &h);
	struct synth s;
	void *buf = calloc(1, n);

	if (!buf)
		return NULL;
	memcpy(buf, &h, sizeof(h));
	synth_attach(&s, buf, n);
	init_records(&s);
	*size = n;
	return buf;
}

int synth_create_fd(struct synth *s, int fd, const struct synth_params *p)
{
	struct irqc_exp_header h;
	size_t n = synth_layout(p, &h);
	void *m;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if (ftruncate(fd, (off_t)n) != 0)
		return -errno;
	m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	memcpy(m, &h, sizeof(h));
	synth_attach(s, m, n);
	s->fd = fd;
	init_records(s);
	return 0;
}

int synth_create(struct synth *s, const char *path,
		 const struct synth_params *p)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -errno;
	rc = synth_create_fd(s, fd, p);
	if (rc) {
		close(fd);
		unlink(path);
	}
	return rc;
}

void synth_close(struct synth *s)
{
	if (s->map && s->fd >= 0)
		munmap(s->map, s->size);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static void put_str(char *dst, size_t n, const char *src)
{
	memset(dst, 0, n);
	if (src)
		strncpy(dst, src, n - 1);
}

void synth_set_line(struct synth *s, uint32_t irq, const char *actions,
		    const char *chip, const char *flow, uint32_t state,
		    int32_t eff_cpu, uint64_t hwirq, uint64_t aff0)
{
	struct irqc_exp_line *L = &s->lines[irq];
	uint32_t q = __atomic_load_n(&L->seq, __ATOMIC_RELAXED);

	/* odd: readers retry; the release fence orders it before the
	 * record's stores (paired with the reader's acquire fence) */
	__atomic_store_n(&L->seq, q + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	L->state = state;
	L->effective_cpu = eff_cpu;
	L->thread_prio = (state & IRQC_EXP_S_THREADED) ? 50 : -1;
	L->nr_actions = actions && *actions ? 1 : 0;
	L->hwirq = hwirq;
	memset(L->affinity, 0, sizeof(L->affinity));
	L->affinity[0] = aff0;
	put_str(L->chip, sizeof(L->chip), chip);
	put_str(L->flow, sizeof(L->flow), flow);
	put_str(L->actions, sizeof(L->actions), actions);
	/* even again: paired with the reader's acquire load of seq */
	__atomic_store_n(&L->seq, q + 2, __ATOMIC_RELEASE);
	__atomic_fetch_add(&s->h->meta_gen, 1, __ATOMIC_RELEASE);
}

void synth_heartbeat(struct synth *s)
{
	__atomic_store_n(&s->h->heartbeat_mono_ns, synth_now_ns(),
			 __ATOMIC_RELAXED);
}

void synth_event(struct synth *s, uint32_t cpu, uint32_t irq, uint64_t ns)
{
	size_t c = synth_cell(s, cpu, irq);

	/* one writer per cell: relaxed store of a plain increment */
	__atomic_store_n(&s->handled[c], s->handled[c] + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->hard_ns[c], s->hard_ns[c] + ns, __ATOMIC_RELAXED);
	if (ns > s->hard_max[c])
		__atomic_store_n(&s->hard_max[c], ns, __ATOMIC_RELAXED);
	/* relaxed: as the library's atomic add (one writer here) */
	__atomic_store_n(&s->hard_total[irq], s->hard_total[irq] + ns,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->cpus[cpu].busy_ns, s->cpus[cpu].busy_ns + ns,
			 __ATOMIC_RELAXED);
	if (s->lat) {
		uint64_t *b = &s->lat[(size_t)irq * IRQC_EXP_LAT_BUCKETS];
		unsigned k = 0;

		while (k < 63 && (ns >> (k + 1)))
			k++;
		__atomic_store_n(&b[k], b[k] + 1, __ATOMIC_RELAXED);
	}
}
