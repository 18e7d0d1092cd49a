/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * view.c — which lines irqtop shows, in which order, and how values are
 * written. Pure: reads struct seg, writes ctl->order and strings.
 *
 * Sorting runs every refresh over up to 65536 lines, so the numeric keys
 * use a stable LSD radix sort (bytes that are equal for every key are
 * skipped; typically two or three passes) instead of qsort: the input is in
 * IRQ order, so ties stay in IRQ order. RATE and DELTA give the same order
 * (every line shares the interval).
 */
#include "irqtop.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const sort_names[] = {
	[SORT_IRQ] = "irq", [SORT_TOTAL] = "total", [SORT_RATE] = "rate",
	[SORT_DELTA] = "delta", [SORT_NAME] = "name", [SORT_TIME] = "time",
};

const char *view_sort_name(enum irqtop_sort s)
{
	return sort_names[s];
}

int view_parse_sort(const char *s, enum irqtop_sort *out)
{
	for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
		if (!strcasecmp(s, sort_names[i])) {
			*out = (enum irqtop_sort)i;
			return 0;
		}
	if (!strcasecmp(s, "time%")) {
		*out = SORT_TIME;
		return 0;
	}
	return -1;
}

unsigned view_sample_flags(const struct irqtop_ctl *ctl)
{
	return ctl->sort == SORT_TIME ? SEG_S_TIME : 0;
}

bool view_cpu_selected(const struct irqtop_ctl *ctl, uint32_t cpu)
{
	return cpu < IRQTOP_MAX_CPUS &&
	       (ctl->cpus[cpu / 64] >> (cpu % 64) & 1);
}

uint32_t view_nr_selected_cpus(const struct irqtop_ctl *ctl)
{
	uint32_t n = 0;

	for (uint32_t c = 0; c < ctl->seg.nr_cpus; c++)
		n += view_cpu_selected(ctl, c);
	return n;
}

double view_rate(const struct seg *s, uint64_t delta)
{
	return s->interval_ns ? (double)delta * 1e9 / (double)s->interval_ns
			      : 0.0;
}

/* ------------------------------------------------------------------ */
/* Selection and sorting */

static struct {
	uint64_t *key, *tkey;
	uint32_t *tidx;
	size_t cap;
} sb;

static int grow(struct irqtop_ctl *ctl, size_t n)
{
	if (n > sb.cap) {
		uint64_t *k = realloc(sb.key, n * sizeof(*k));
		uint64_t *tk = k ? realloc(sb.tkey, n * sizeof(*tk)) : NULL;
		uint32_t *ti = tk ? realloc(sb.tidx, n * sizeof(*ti)) : NULL;
		uint32_t *o = ti ? realloc(ctl->order, n * sizeof(*o)) : NULL;

		if (k)
			sb.key = k;
		if (tk)
			sb.tkey = tk;
		if (ti)
			sb.tidx = ti;
		if (!o)
			return -ENOMEM;
		ctl->order = o;
		sb.cap = n;
	} else if (!ctl->order) {
		ctl->order = malloc(sb.cap * sizeof(*ctl->order));
		if (!ctl->order)
			return -ENOMEM;
	}
	return 0;
}

/* Stable, ascending by key[]; idx[] follows. */
static void radix_sort(uint32_t *idx, uint64_t *key, size_t n)
{
	uint32_t *si = idx, *di = sb.tidx;
	uint64_t *sk = key, *dk = sb.tkey;
	uint64_t all_or = 0, all_and = ~0ull, differ;

	/* the bytes in which some keys differ: only those need a pass */
	for (size_t i = 0; i < n; i++) {
		all_or |= key[i];
		all_and &= key[i];
	}
	differ = all_or ^ all_and;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;

		if (!((differ >> shift) & 0xff))
			continue;	/* every key has this byte */
		for (size_t i = 0; i < n; i++)
			count[(sk[i] >> shift) & 0xff]++;
		for (unsigned b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t d = count[(sk[i] >> shift) & 0xff]++;

			di[d] = si[i];
			dk[d] = sk[i];
		}
		uint32_t *ti = si; si = di; di = ti;
		uint64_t *tk = sk; sk = dk; dk = tk;
	}
	if (si != idx)
		memcpy(idx, si, n * sizeof(*idx));
}

static const struct seg *cmp_seg;

static int cmp_name(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(cmp_seg->meta[x].actions, cmp_seg->meta[y].actions);

	return r ? r : (x < y ? -1 : x > y);
}

static bool shown(const struct irqtop_ctl *ctl, uint32_t i)
{
	const struct seg *s = &ctl->seg;

	/* the compact arrays first: the metadata only for a filter */
	if (!s->active[i] && !s->total[i])
		return false;
	if (s->total[i] < ctl->threshold)
		return false;
	if (ctl->active_only && !s->delta[i])
		return false;
	if (ctl->filter[0] && !strcasestr(s->meta[i].actions, ctl->filter))
		return false;
	return true;
}

int view_select(struct irqtop_ctl *ctl)
{
	const struct seg *s = &ctl->seg;
	size_t n = 0;

	if (grow(ctl, s->nr_irqs))
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nr_irqs; i++)
		if (shown(ctl, i))
			ctl->order[n++] = i;
	ctl->norder = n;

	switch (ctl->sort) {
	case SORT_IRQ:
		break;
	case SORT_NAME:
		cmp_seg = s;
		qsort(ctl->order, n, sizeof(*ctl->order), cmp_name);
		break;
	case SORT_TOTAL:
	case SORT_RATE:
	case SORT_DELTA:
	case SORT_TIME:
		/* descending: sort ~key ascending */
		for (size_t k = 0; k < n; k++) {
			uint32_t i = ctl->order[k];
			uint64_t v;

			if (ctl->sort == SORT_TOTAL) {
				v = s->total[i];
			} else if (ctl->sort == SORT_TIME) {
				v = seg_time_key(s, i);
			} else {
				v = s->delta[i];
			}
			sb.key[k] = ~v;
		}
		radix_sort(ctl->order, sb.key, n);
		break;
	}
	if (ctl->reverse)
		for (size_t a = 0, b = n; a + 1 < b; a++, b--) {
			uint32_t t = ctl->order[a];

			ctl->order[a] = ctl->order[b - 1];
			ctl->order[b - 1] = t;
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Formatting */

int view_parse_cpulist(const char *s, uint64_t *mask, unsigned max)
{
	memset(mask, 0, ((max + 63) / 64) * sizeof(uint64_t));
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		unsigned long a, b;

		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		a = strtoul(s, &end, 10);
		if (errno || a >= max)
			return -1;
		b = a;
		s = end;
		if (*s == '-') {
			s++;
			if (!isdigit((unsigned char)*s))
				return -1;
			b = strtoul(s, &end, 10);
			if (errno || b >= max || b < a)
				return -1;
			s = end;
		}
		for (unsigned long c = a; c <= b; c++)
			mask[c / 64] |= 1ull << (c % 64);
		if (*s == ',') {
			s++;
			if (!*s)
				return -1;
		} else if (*s) {
			return -1;
		}
	}
	return 0;
}

void view_cpulist(const uint64_t *mask, unsigned nbits, char *buf, size_t len)
{
	size_t used = 0;
	unsigned c = 0;

	if (len)
		buf[0] = '\0';
	while (c < nbits) {
		unsigned a, b;
		char item[32];
		int w;

		if (!(mask[c / 64] >> (c % 64) & 1)) {
			c++;
			continue;
		}
		a = b = c;
		while (b + 1 < nbits && (mask[(b + 1) / 64] >> ((b + 1) % 64) & 1))
			b++;
		w = a == b ? snprintf(item, sizeof(item), "%s%u",
				      used ? "," : "", a)
			   : snprintf(item, sizeof(item), "%s%u-%u",
				      used ? "," : "", a, b);
		if (used + (size_t)w + 4 > len) {	/* room for "..." */
			if (used + 4 <= len)
				strcpy(buf + used, "...");
			return;
		}
		memcpy(buf + used, item, (size_t)w + 1);
		used += (size_t)w;
		c = b + 1;
	}
	if (!used && len >= 2)
		strcpy(buf, "-");
}

void view_state(uint32_t state, char *buf, size_t len)
{
	static const struct { uint32_t bit; char c; } letters[] = {
		{ IRQC_EXP_S_DISABLED, 'D' },
		{ IRQC_EXP_S_MASKED, 'M' },
		{ IRQC_EXP_S_SPURIOUS, 'S' },
		{ IRQC_EXP_S_ONESHOT, 'O' },
		{ IRQC_EXP_S_ONESHOT_PENDING, 'P' },
		{ IRQC_EXP_S_THREADED, 'T' },
		{ IRQC_EXP_S_NESTED, 'N' },
		{ IRQC_EXP_S_PERCPU, 'C' },
		{ IRQC_EXP_S_NOBALANCING, 'B' },
		{ IRQC_EXP_S_AFFINITY_SET, 'F' },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if ((state & letters[i].bit) && n + 1 < len)
			buf[n++] = letters[i].c;
	if (!n && len > 1)
		buf[n++] = '-';
	if (len)
		buf[n] = '\0';
}

/* How a line's threads are scheduled, in the classes of ps(1) and chrt(1):
 * "FF50" SCHED_FIFO at 50, "TS" SCHED_OTHER, "TS!" SCHED_OTHER because
 * SCHED_FIFO was refused (IRQC_EXP_S_PRIO_REFUSED); "" no thread. */
void view_prio(int32_t thread_prio, uint32_t state, char *buf, size_t len)
{
	if (thread_prio > 0)
		snprintf(buf, len, "FF%d", (int)thread_prio);
	else if (thread_prio == 0)
		snprintf(buf, len, "%s",
			 state & IRQC_EXP_S_PRIO_REFUSED ? "TS!" : "TS");
	else if (len)
		buf[0] = '\0';
}

void view_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns == UINT64_MAX)
		snprintf(buf, len, "inf");
	else if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
}

void view_duration(uint64_t ns, char *buf, size_t len)
{
	unsigned long long s = ns / 1000000000ull;
	unsigned long long d = s / 86400;

	if (d)
		snprintf(buf, len, "%llud %02llu:%02llu:%02llu", d,
			 s % 86400 / 3600, s % 3600 / 60, s % 60);
	else
		snprintf(buf, len, "%llu:%02llu:%02llu", s / 3600,
			 s % 3600 / 60, s % 60);
}

void view_count(double v, char *buf, size_t len)
{
	if (v < 1000)
		snprintf(buf, len, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else
		snprintf(buf, len, "%.1fG", v / 1e9);
}
