/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Raise accounting without atomic read-modify-writes (T2).
 *
 * raised and coalesced are counted where they happen: in whichever thread
 * raises, or in the CPU that merges two events. Each thread owns a shard of
 * counters, (lines / 256) lazily allocated chunks of {raised, coalesced},
 * that only it writes (relaxed load + store). Readers sum the shards of the
 * current instance under the registry lock. A thread that exits folds its
 * shard into `retired` under the same lock. Memory is paid per raising
 * thread and per 256 lines it touches, never for lines nobody raises.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_LINES	256u
#define MAX_CHUNKS	(IRQCORE_MAX_IRQS / CHUNK_LINES)

struct cnt {
	_Atomic uint64_t raised;
	_Atomic uint64_t coalesced;
};

struct shard {
	struct shard *next;
	unsigned int gen;		/* instance whose counts these are */
	struct cnt *_Atomic chunk[MAX_CHUNKS];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shard *shards;		/* live threads' shards */
static struct shard retired;		/* exited threads, under the lock */
static pthread_key_t shard_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct shard *my_shard;

static void shard_clear(struct shard *s)
{
	for (unsigned int i = 0; i < MAX_CHUNKS; i++) {
		free(atomic_load_explicit(&s->chunk[i], memory_order_relaxed));
		atomic_store_explicit(&s->chunk[i], NULL, memory_order_relaxed);
	}
}

static unsigned int cur_gen(void)
{
	return atomic_load_explicit(&irqc.gen, memory_order_relaxed);
}

/* Fold an exiting thread's counts into `retired`. Registry lock held. */
static void fold(struct shard *s)
{
	if (s->gen != cur_gen() || retired.gen != cur_gen())
		return;
	for (unsigned int i = 0; i < MAX_CHUNKS; i++) {
		struct cnt *c = atomic_load_explicit(&s->chunk[i], memory_order_relaxed), *r;

		if (!c)
			continue;
		r = atomic_load_explicit(&retired.chunk[i], memory_order_relaxed);
		if (!r) {
			r = calloc(CHUNK_LINES, sizeof(*r));
			if (!r) {
				irqc_err("cannot keep the raise counts of an exiting thread");
				continue;
			}
			atomic_store_explicit(&retired.chunk[i], r, memory_order_relaxed);
		}
		for (unsigned int j = 0; j < CHUNK_LINES; j++) {
			atomic_store_explicit(&r[j].raised, atomic_load(&r[j].raised) +
					      atomic_load(&c[j].raised), memory_order_relaxed);
			atomic_store_explicit(&r[j].coalesced, atomic_load(&r[j].coalesced) +
					      atomic_load(&c[j].coalesced), memory_order_relaxed);
		}
	}
}

static void shard_dtor(void *arg)
{
	struct shard *s = arg, **pp;

	pthread_mutex_lock(&registry_lock);
	fold(s);
	for (pp = &shards; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	shard_clear(s);
	free(s);
	my_shard = NULL;
}

static void key_init(void)
{
	pthread_key_create(&shard_key, shard_dtor);
}

static struct shard *this_shard(void)
{
	struct shard *s = my_shard;

	if (likely(s && s->gen == cur_gen()))
		return s;
	pthread_once(&key_once, key_init);
	pthread_mutex_lock(&registry_lock);
	if (s) {		/* counts of an earlier instance: start over */
		shard_clear(s);
		s->gen = cur_gen();
	} else if ((s = calloc(1, sizeof(*s)))) {
		s->gen = cur_gen();
		s->next = shards;
		shards = s;
		my_shard = s;
		pthread_setspecific(shard_key, s);
	}
	pthread_mutex_unlock(&registry_lock);
	return s;
}

static struct cnt *line_cnt(unsigned int irq)
{
	struct shard *s = this_shard();
	struct cnt *c;

	if (unlikely(!s))
		return NULL;
	c = atomic_load_explicit(&s->chunk[irq / CHUNK_LINES], memory_order_relaxed);
	if (unlikely(!c)) {
		/* first raise of this thread in these 256 lines */
		c = calloc(CHUNK_LINES, sizeof(*c));
		if (!c)
			return NULL;
		pthread_mutex_lock(&registry_lock);	/* readers hold it */
		atomic_store_explicit(&s->chunk[irq / CHUNK_LINES], c, memory_order_release);
		pthread_mutex_unlock(&registry_lock);
	}
	return &c[irq % CHUNK_LINES];
}

int irqc__count_raised(unsigned int irq)
{
	struct cnt *c = line_cnt(irq);

	if (unlikely(!c))
		return -ENOMEM;
	irqc__inc_owned_n(&c->raised, 1);
	return 0;
}

void irqc__count_coalesced(unsigned int irq)
{
	struct cnt *c = line_cnt(irq);

	if (likely(c != NULL))
		irqc__inc_owned_n(&c->coalesced, 1);
	else
		irqc_err("irq %u: out of memory counting a coalesced event", irq);
}

static void add_shard(struct shard *s, unsigned int irq, uint64_t *r, uint64_t *co)
{
	struct cnt *c;

	if (s->gen != cur_gen())
		return;
	c = atomic_load_explicit(&s->chunk[irq / CHUNK_LINES], memory_order_acquire);
	if (!c)
		return;
	*r += atomic_load_explicit(&c[irq % CHUNK_LINES].raised, memory_order_relaxed);
	*co += atomic_load_explicit(&c[irq % CHUNK_LINES].coalesced, memory_order_relaxed);
}

void irqc__counts_read(unsigned int irq, uint64_t *raised, uint64_t *coalesced)
{
	*raised = *coalesced = 0;
	pthread_mutex_lock(&registry_lock);
	for (struct shard *s = shards; s; s = s->next)
		add_shard(s, irq, raised, coalesced);
	add_shard(&retired, irq, raised, coalesced);
	pthread_mutex_unlock(&registry_lock);
}

void irqc__counters_init(void)
{
	pthread_mutex_lock(&registry_lock);
	shard_clear(&retired);
	retired.gen = cur_gen();
	pthread_mutex_unlock(&registry_lock);
}

void irqc__counters_fini(void)
{
	pthread_mutex_lock(&registry_lock);
	shard_clear(&retired);
	pthread_mutex_unlock(&registry_lock);
}
