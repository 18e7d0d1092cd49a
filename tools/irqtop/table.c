/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * table.c — irqtop's tables through libsmartcols: the screen's table, the
 * -b/-J/-P outputs and the --list table. -J and -P give raw values (times
 * in nanoseconds, n/a as null or ""); the screen and -b give times in
 * human units and n/a as "-".
 */
#include "irqtop.h"

#include <ctype.h>
#include <libsmartcols.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct colinfo {
	const char *name;
	int flags;
	int json;
	const char *help;
};

static const struct colinfo colinfo[COL_COUNT] = {
	[COL_IRQ] = { "IRQ", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
		      "interrupt line number" },
	[COL_TOTAL] = { "TOTAL", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			"events since the process started (all CPUs)" },
	[COL_RATE] = { "RATE", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
		       "events per second over the last interval" },
	[COL_DELTA] = { "DELTA", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			"events in the last interval" },
	[COL_CPUS] = { "CPUS", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
		       "per-CPU event counts, one column CPU<n> per CPU" },
	[COL_UNHANDLED] = { "UNHANDLED", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			    "events no handler claimed" },
	[COL_COALESCED] = { "COALESCED", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			    "raises merged into an event already pending" },
	[COL_TIME] = { "TIME%", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
		       "share of the interval spent in hard handlers" },
	[COL_THREAD] = { "THREAD%", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			 "share of the interval spent in its threads" },
	[COL_MAXTIME] = { "MAXTIME", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			  "longest hard-handler run" },
	[COL_LATP99] = { "LAT-P99", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			 "raise-to-handler latency, 99th percentile" },
	[COL_LATMAX] = { "LAT-MAX", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			 "raise-to-handler latency, maximum" },
	[COL_AFFINITY] = { "AFFINITY", 0, SCOLS_JSON_STRING,
			   "CPUs the line may be routed to" },
	[COL_EFF] = { "EFF", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
		      "effective CPU" },
	[COL_STATE] = { "STATE", 0, SCOLS_JSON_STRING,
			"state letters (see STATE below)" },
	[COL_PRIO] = { "PRIO", SCOLS_FL_RIGHT, SCOLS_JSON_STRING,
		       "its threads' scheduling: FF<prio>, TS, TS! (FIFO refused)" },
	[COL_CHIP] = { "CHIP", 0, SCOLS_JSON_STRING, "interrupt chip" },
	[COL_FLOW] = { "FLOW", 0, SCOLS_JSON_STRING, "flow handler" },
	[COL_HWIRQ] = { "HWIRQ", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			"hardware interrupt number" },
	[COL_NAME] = { "NAME", 0, SCOLS_JSON_STRING,
		       "actions (handler names, joined with \", \")" },
};

static const int default_cols[] = {
	COL_IRQ, COL_TOTAL, COL_RATE, COL_DELTA, COL_CPUS, COL_UNHANDLED,
	COL_COALESCED, COL_TIME, COL_MAXTIME, COL_LATP99, COL_LATMAX,
	COL_AFFINITY, COL_EFF, COL_STATE, COL_CHIP, COL_FLOW, COL_HWIRQ,
	COL_NAME,
};

void table_default_columns(struct irqtop_ctl *ctl)
{
	ctl->ncols = sizeof(default_cols) / sizeof(default_cols[0]);
	memcpy(ctl->cols, default_cols, sizeof(default_cols));
}

static int column_id(const char *name, size_t len)
{
	char buf[32];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, name, len);
	buf[len] = '\0';
	for (int i = 0; i < COL_COUNT; i++)
		if (!strcasecmp(buf, colinfo[i].name))
			return i;
	if (!strcasecmp(buf, "TIME"))
		return COL_TIME;
	if (!strcasecmp(buf, "THREAD"))
		return COL_THREAD;
	if (!strcasecmp(buf, "CPU"))
		return COL_CPUS;
	return -1;
}

int table_parse_columns(struct irqtop_ctl *ctl, const char *arg)
{
	const char *p = arg;

	if (*p == '+') {
		table_default_columns(ctl);
		p++;
	} else {
		ctl->ncols = 0;
	}
	ctl->cols_set = true;
	while (*p) {
		size_t len = strcspn(p, ",");
		int id = column_id(p, len);

		if (id < 0) {
			fprintf(stderr, "irqtop: unknown column: %.*s\n",
				(int)len, p);
			return -1;
		}
		if (ctl->ncols == IRQTOP_MAX_COLS) {
			fprintf(stderr, "irqtop: too many columns\n");
			return -1;
		}
		ctl->cols[ctl->ncols++] = id;
		ctl->cols_explicit |= 1u << id;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!ctl->ncols) {
		fprintf(stderr, "irqtop: no column in \"%s\"\n", arg);
		return -1;
	}
	return 0;
}

void table_columns_help(FILE *out)
{
	for (int i = 0; i < COL_COUNT; i++)
		fprintf(out, " %11s  %s\n", colinfo[i].name, colinfo[i].help);
}

/* ------------------------------------------------------------------ */

enum flavor { FL_HUMAN, FL_RAW };

static bool wanted(const struct irqtop_ctl *ctl, int id)
{
	/* the latency columns of the default list need latency tracking */
	if ((id == COL_LATP99 || id == COL_LATMAX) && !ctl->seg.latency &&
	    !(ctl->cols_explicit & (1u << id)))
		return false;
	return true;
}

static struct libscols_table *new_table(const struct irqtop_ctl *ctl,
					bool with_cpus)
{
	struct libscols_table *tb = scols_new_table();

	if (!tb)
		return NULL;
	scols_table_set_name(tb, "irqtop");
	for (size_t k = 0; k < ctl->ncols; k++) {
		int id = ctl->cols[k];
		struct libscols_column *cl;

		if (!wanted(ctl, id))
			continue;
		if (id == COL_CPUS) {
			if (!with_cpus)
				continue;
			for (uint32_t c = 0; c < ctl->seg.nr_cpus; c++) {
				char name[16];

				if (!view_cpu_selected(ctl, c))
					continue;
				snprintf(name, sizeof(name), "CPU%u", c);
				cl = scols_table_new_column(tb, name, 0,
							    SCOLS_FL_RIGHT);
				if (!cl)
					goto fail;
				scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
			}
			continue;
		}
		cl = scols_table_new_column(tb, colinfo[id].name, 0,
					    colinfo[id].flags);
		if (!cl)
			goto fail;
		scols_column_set_json_type(cl, colinfo[id].json);
	}
	return tb;
fail:
	scols_unref_table(tb);
	return NULL;
}

/* n/a: "-" for people, "" (null in JSON) for programs */
static const char *na(enum flavor f)
{
	return f == FL_RAW ? "" : "-";
}

static void fmt_time(enum flavor f, uint64_t ns, char *b, size_t len)
{
	if (f == FL_RAW)
		snprintf(b, len, "%llu", (unsigned long long)ns);
	else
		view_ns(ns, b, len);
}

static void fmt_pct(enum flavor f, double p, char *b, size_t len)
{
	if (p < 0)
		snprintf(b, len, "%s", na(f));
	else
		snprintf(b, len, f == FL_RAW ? "%.2f" : "%.1f", p);
}

static int add_line(struct libscols_table *tb, const struct irqtop_ctl *ctl,
		    uint32_t irq, const uint64_t *percpu, bool with_cpus,
		    enum flavor f)
{
	const struct seg *s = &ctl->seg;
	const struct seg_meta *m = &s->meta[irq];
	const struct seg_detail *d = &s->det[irq];
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	size_t col = 0;
	char b[512];

	if (!ln)
		return -1;
	for (size_t k = 0; k < ctl->ncols; k++) {
		int id = ctl->cols[k];

		if (!wanted(ctl, id))
			continue;
		b[0] = '\0';
		switch (id) {
		case COL_IRQ:
			snprintf(b, sizeof(b), "%u", irq);
			break;
		case COL_TOTAL:
			snprintf(b, sizeof(b), "%llu",
				 (unsigned long long)s->total[irq]);
			break;
		case COL_RATE:
			if (s->nsamples < 2)
				snprintf(b, sizeof(b), "%s", na(f));
			else
				snprintf(b, sizeof(b), "%.1f",
					 view_rate(s, s->delta[irq]));
			break;
		case COL_DELTA:
			if (s->nsamples < 2)
				snprintf(b, sizeof(b), "%s", na(f));
			else
				snprintf(b, sizeof(b), "%llu",
					 (unsigned long long)s->delta[irq]);
			break;
		case COL_CPUS:
			if (!with_cpus)
				continue;
			for (uint32_t c = 0; c < s->nr_cpus; c++) {
				if (!view_cpu_selected(ctl, c))
					continue;
				snprintf(b, sizeof(b), "%llu",
					 (unsigned long long)(percpu ?
					 percpu[c] : 0));
				if (scols_line_set_data(ln, col++, b))
					return -1;
			}
			continue;
		case COL_UNHANDLED:
			snprintf(b, sizeof(b), "%llu",
				 (unsigned long long)d->unhandled);
			break;
		case COL_COALESCED:
			snprintf(b, sizeof(b), "%llu",
				 (unsigned long long)d->coalesced);
			break;
		case COL_TIME:
			fmt_pct(f, seg_time_pct(s, irq), b, sizeof(b));
			break;
		case COL_THREAD:
			fmt_pct(f, seg_thread_pct(s, irq), b, sizeof(b));
			break;
		case COL_MAXTIME:
			fmt_time(f, d->hard_max_ns, b, sizeof(b));
			break;
		case COL_LATP99:
		case COL_LATMAX:
			if (!s->latency || !d->lat_count)
				snprintf(b, sizeof(b), "%s", na(f));
			else
				fmt_time(f, id == COL_LATP99 ? d->lat_p99_ns :
					 d->lat_max_ns, b, sizeof(b));
			break;
		case COL_AFFINITY:
			if (m->valid)
				view_cpulist(m->affinity, s->nr_cpus, b,
					     f == FL_RAW ? sizeof(b) : 64);
			else
				snprintf(b, sizeof(b), "?");
			break;
		case COL_EFF:
			if (m->valid && m->effective_cpu >= 0 &&
			    (uint32_t)m->effective_cpu < s->nr_cpus)
				snprintf(b, sizeof(b), "%d", m->effective_cpu);
			else
				snprintf(b, sizeof(b), "%s",
					 f == FL_RAW ? "" :
					 m->valid && m->effective_cpu == -1 ?
					 "-" : "?");
			break;
		case COL_STATE:
			if (m->valid)
				view_state(m->state, b, sizeof(b));
			else
				snprintf(b, sizeof(b), "?");
			break;
		case COL_PRIO:
			if (m->valid && m->thread_prio >= 0)
				view_prio(m->thread_prio, m->state, b, sizeof(b));
			else
				snprintf(b, sizeof(b), "%s", na(f));
			break;
		case COL_CHIP:
			snprintf(b, sizeof(b), "%s", m->valid ? m->chip : "?");
			break;
		case COL_FLOW:
			snprintf(b, sizeof(b), "%s", m->valid ? m->flow : "?");
			break;
		case COL_HWIRQ:
			if (m->valid)
				snprintf(b, sizeof(b), "%llu",
					 (unsigned long long)m->hwirq);
			else
				snprintf(b, sizeof(b), "%s", na(f));
			break;
		case COL_NAME:
			snprintf(b, sizeof(b), "%s", m->valid ? m->actions : "?");
			break;
		}
		if (b[0] && scols_line_set_data(ln, col, b))
			return -1;
		col++;
	}
	return 0;
}

bool table_batch_cpus(const struct irqtop_ctl *ctl)
{
	bool listed = false;

	for (size_t k = 0; k < ctl->ncols; k++)
		listed |= ctl->cols[k] == COL_CPUS;
	if (!listed || ctl->cpustat == CPUSTAT_NEVER)
		return false;
	return ctl->cpustat == CPUSTAT_ALWAYS ||
	       view_nr_selected_cpus(ctl) <= 16;
}

static struct libscols_table *build(struct irqtop_ctl *ctl, size_t first,
				    size_t n, const uint64_t *percpu,
				    bool with_cpus, enum flavor f)
{
	struct libscols_table *tb = new_table(ctl, with_cpus);

	if (!tb)
		return NULL;
	for (size_t k = 0; k < n; k++)
		if (add_line(tb, ctl, ctl->order[first + k],
			     percpu ? percpu + k * ctl->seg.nr_cpus : NULL,
			     with_cpus && percpu, f)) {
			scols_unref_table(tb);
			return NULL;
		}
	return tb;
}

void table_summary(const struct irqtop_ctl *ctl, char *buf, size_t len)
{
	const struct seg *s = &ctl->seg;
	char up[32], rate[32] = "-", stale[48] = "";
	int64_t age = seg_heartbeat_age_ns(s);

	view_duration(seg_uptime_ns(s), up, sizeof(up));
	if (s->nsamples >= 2)
		snprintf(rate, sizeof(rate), "%.1f", view_rate(s, s->d_events));
	if (age > (int64_t)IRQTOP_STALE_NS)
		snprintf(stale, sizeof(stale), ", heartbeat %.0f s old",
			 (double)age / 1e9);
	snprintf(buf, len, "%s (PID %d), up %s, %u CPUs, %u lines, %llu "
		 "events, %s/s, err %llu%s", s->comm, (int)s->pid, up,
		 s->nr_cpus, s->nr_irqs, (unsigned long long)s->events, rate,
		 (unsigned long long)s->err, stale);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* The "process" object that precedes the lines in -J. */
static void json_process(const struct irqtop_ctl *ctl, FILE *out)
{
	const struct seg *s = &ctl->seg;
	bool first = true;

	fprintf(out, "{\n   \"process\": {\n      \"pid\": %d,\n      \"comm\": ",
		(int)s->pid);
	json_str(out, s->comm);
	fprintf(out, ",\n      \"uptime\": %.3f,\n      \"cpus\": %u,\n"
		"      \"irqs\": %u,\n      \"events\": %llu,\n",
		(double)seg_uptime_ns(s) / 1e9, s->nr_cpus, s->nr_irqs,
		(unsigned long long)s->events);
	if (s->nsamples >= 2)
		fprintf(out, "      \"rate\": %.1f,\n      \"interval\": %.3f,\n",
			view_rate(s, s->d_events), (double)s->interval_ns / 1e9);
	else
		fprintf(out, "      \"rate\": null,\n      \"interval\": null,\n");
	fprintf(out, "      \"err\": %llu,\n      \"latency\": %s,\n"
		"      \"heartbeat_age\": %.3f,\n      \"cpu\": [",
		(unsigned long long)s->err, s->latency ? "true" : "false",
		(double)seg_heartbeat_age_ns(s) / 1e9);
	for (uint32_t c = 0; c < s->nr_cpus; c++) {
		const struct seg_cpu *sc = &s->cpus[c];

		if (!view_cpu_selected(ctl, c))
			continue;
		fprintf(out, "%s\n         {\"cpu\": %u, \"os_cpu\": %d, "
			"\"external\": %s, \"offline\": %s, \"events\": %llu, ",
			first ? "" : ",", c, (int)sc->os_cpu,
			sc->external ? "true" : "false", sc->offline ? "true" : "false",
			(unsigned long long)sc->events);
		if (s->nsamples >= 2)
			fprintf(out, "\"rate\": %.1f, \"busy\": %.2f}",
				view_rate(s, sc->d_events),
				(double)sc->d_busy_ns * 100.0 /
				(double)s->interval_ns);
		else
			fprintf(out, "\"rate\": null, \"busy\": null}");
		first = false;
	}
	fprintf(out, "\n      ]\n   },");
}

int table_print(struct irqtop_ctl *ctl, const uint64_t *percpu, FILE *out)
{
	enum flavor f = ctl->mode == MODE_BATCH ? FL_HUMAN : FL_RAW;
	struct libscols_table *tb = build(ctl, 0, ctl->norder, percpu,
					  percpu != NULL, f);
	char *str = NULL, *brace;

	if (!tb)
		return -1;
	switch (ctl->mode) {
	case MODE_JSON:
		scols_table_enable_json(tb, 1);
		if (scols_print_table_to_string(tb, &str) || !str ||
		    !(brace = strchr(str, '{'))) {
			free(str);
			scols_unref_table(tb);
			return -1;
		}
		/* {"process": {...}, "irqtop": [...]}: the lines' document
		 * with the process object spliced in after its brace */
		json_process(ctl, out);
		fputs(brace + 1, out);
		free(str);
		break;
	case MODE_PAIRS:
		scols_table_enable_export(tb, 1);
		scols_table_enable_shellvar(tb, 1);
		scols_table_set_stream(tb, out);
		scols_print_table(tb);
		break;
	default: {
		char sum[256];

		table_summary(ctl, sum, sizeof(sum));
		fprintf(out, "irqtop: %s\n", sum);
		scols_table_set_stream(tb, out);
		scols_print_table(tb);
		break;
	}
	}
	fflush(out);
	scols_unref_table(tb);
	return 0;
}

static char *render(struct irqtop_ctl *ctl, size_t first, size_t n,
		    const uint64_t *percpu, bool cpus)
{
	struct libscols_table *tb = build(ctl, first, n, percpu, cpus,
					  FL_HUMAN);
	char *str = NULL;

	if (!tb)
		return NULL;
	/* libsmartcols prints nothing for a table without lines: one empty
	 * line keeps the header, then goes */
	if (n == 0 && !scols_table_new_line(tb, NULL)) {
		scols_unref_table(tb);
		return NULL;
	}
	scols_table_set_termforce(tb, SCOLS_TERMFORCE_NEVER);
	if (scols_print_table_to_string(tb, &str))
		str = NULL;
	scols_unref_table(tb);
	if (str && n == 0)
		str[strcspn(str, "\n")] = '\0';
	return str;
}

/* Width the per-CPU columns add: "CPU<n>" or the widest count, plus the
 * separator, for each selected CPU. */
static size_t cpus_width(const struct irqtop_ctl *ctl, size_t n,
			 const uint64_t *percpu)
{
	uint32_t nc = ctl->seg.nr_cpus;
	size_t w = 0;

	for (uint32_t c = 0; c < nc; c++) {
		uint64_t max = 0;
		char b[24];
		size_t cw;

		if (!view_cpu_selected(ctl, c))
			continue;
		for (size_t k = 0; k < n; k++)
			if (percpu[k * nc + c] > max)
				max = percpu[k * nc + c];
		cw = (size_t)snprintf(b, sizeof(b), "%llu",
				      (unsigned long long)max);
		w += 1 + (cw > 5 ? cw : (size_t)snprintf(b, sizeof(b),
							 "CPU%u", c));
	}
	return w;
}

static bool cpus_listed(const struct irqtop_ctl *ctl)
{
	for (size_t k = 0; k < ctl->ncols; k++)
		if (ctl->cols[k] == COL_CPUS)
			return true;
	return false;
}

/* The narrowest the per-CPU columns can be: their headers. */
static size_t cpus_min_width(const struct irqtop_ctl *ctl)
{
	size_t w = 0;
	char b[24];

	for (uint32_t c = 0; c < ctl->seg.nr_cpus; c++)
		if (view_cpu_selected(ctl, c))
			w += 1 + (size_t)snprintf(b, sizeof(b), "CPU%u", c);
	return w;
}

char *table_render(struct irqtop_ctl *ctl, size_t first, size_t n,
		   size_t width, bool *with_cpus, struct seg_error *e)
{
	static uint64_t *percpu;
	static size_t cap;
	size_t need = n * ctl->seg.nr_cpus;
	char *str = NULL;

	*with_cpus = false;
	e->code = SEG_OK;
	if (!cpus_listed(ctl) || ctl->cpustat == CPUSTAT_NEVER || !n)
		goto plain;
	if (ctl->cpustat == CPUSTAT_AUTO) {
		/* without them first; they are read only if they may fit */
		str = render(ctl, first, n, NULL, false);
		if (!str || strcspn(str, "\n") + cpus_min_width(ctl) > width)
			goto out;
	}
	if (need > cap) {
		uint64_t *p = realloc(percpu, need * sizeof(*p));

		if (!p)
			goto nomem;
		percpu = p;
		cap = need;
	}
	if (seg_read_percpu(&ctl->seg, ctl->order + first, n, percpu, e)) {
		free(str);
		return NULL;
	}
	if (str && strcspn(str, "\n") + cpus_width(ctl, n, percpu) > width)
		goto out;
	free(str);
	*with_cpus = true;
	str = render(ctl, first, n, percpu, true);
	goto out;
plain:
	str = render(ctl, first, n, NULL, false);
out:
	if (!str)
		goto nomem;
	return str;
nomem:
	e->code = SEG_ENOMEM;
	snprintf(e->msg, sizeof(e->msg), "out of memory");
	return NULL;
}

/* ------------------------------------------------------------------ */
/* --list */

int table_print_list(const struct seg_info *v, size_t n,
		     enum irqtop_mode mode, FILE *out)
{
	static const struct { const char *name; int flags, json; } lc[] = {
		{ "PID", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
		{ "COMM", 0, SCOLS_JSON_STRING },
		{ "STATUS", 0, SCOLS_JSON_STRING },
		{ "CPUS", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
		{ "IRQS", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
		{ "UPTIME", SCOLS_FL_RIGHT, SCOLS_JSON_STRING },
		{ "HEARTBEAT", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
		{ "REASON", 0, SCOLS_JSON_STRING },
	};
	struct libscols_table *tb = scols_new_table();
	bool raw = mode == MODE_JSON || mode == MODE_PAIRS;

	if (!tb)
		return -1;
	scols_table_set_name(tb, "irqcore");
	for (size_t k = 0; k < sizeof(lc) / sizeof(lc[0]); k++) {
		struct libscols_column *cl =
			scols_table_new_column(tb, lc[k].name, 0, lc[k].flags);

		if (!cl)
			goto fail;
		scols_column_set_json_type(cl, lc[k].json);
	}
	for (size_t i = 0; i < n; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		char b[64];

		if (!ln)
			goto fail;
		snprintf(b, sizeof(b), "%d", (int)v[i].pid);
		scols_line_set_data(ln, 0, b);
		scols_line_set_data(ln, 2, v[i].state == SEG_LIVE ? "live" :
				    v[i].state == SEG_STALE ? "stale" : "invalid");
		if (v[i].header_ok) {
			scols_line_set_data(ln, 1, v[i].comm);
			snprintf(b, sizeof(b), "%u", v[i].nr_cpus);
			scols_line_set_data(ln, 3, b);
			snprintf(b, sizeof(b), "%u", v[i].nr_irqs);
			scols_line_set_data(ln, 4, b);
			view_duration(v[i].uptime_ns, b, sizeof(b));
			scols_line_set_data(ln, 5, b);
			snprintf(b, sizeof(b), raw ? "%.3f" : "%.1fs",
				 (double)v[i].heartbeat_age_ns / 1e9);
			scols_line_set_data(ln, 6, b);
		}
		if (v[i].state != SEG_LIVE)
			scols_line_set_data(ln, 7, v[i].why);
	}
	if (mode == MODE_JSON)
		scols_table_enable_json(tb, 1);
	else if (mode == MODE_PAIRS) {
		scols_table_enable_export(tb, 1);
		scols_table_enable_shellvar(tb, 1);
	}
	scols_table_set_stream(tb, out);
	scols_print_table(tb);
	fflush(out);
	scols_unref_table(tb);
	return 0;
fail:
	scols_unref_table(tb);
	return -1;
}
