/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqtop.h — the control struct passed around irqtop (as util-linux's
 * irq-common.h) and the functions of view.c, table.c and screen.c.
 * Private to tools/irqtop.
 */
#ifndef IRQTOP_H
#define IRQTOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "segment.h"

#ifndef IRQTOP_VERSION
#define IRQTOP_VERSION "0"
#endif

enum irqtop_sort { SORT_IRQ, SORT_TOTAL, SORT_RATE, SORT_DELTA, SORT_NAME,
		   SORT_TIME };
enum irqtop_cpustat { CPUSTAT_AUTO, CPUSTAT_ALWAYS, CPUSTAT_NEVER };
enum irqtop_mode { MODE_SCREEN, MODE_BATCH, MODE_JSON, MODE_PAIRS };

/* Output columns; COL_CPUS stands for the per-CPU columns. */
enum irqtop_col {
	COL_IRQ, COL_TOTAL, COL_RATE, COL_DELTA, COL_CPUS, COL_UNHANDLED,
	COL_COALESCED, COL_TIME, COL_THREAD, COL_MAXTIME, COL_LATP99,
	COL_LATMAX, COL_AFFINITY, COL_EFF, COL_STATE, COL_PRIO, COL_CHIP,
	COL_FLOW, COL_HWIRQ, COL_NAME,
	COL_COUNT
};
#define IRQTOP_MAX_COLS 64

struct irqtop_ctl {
	struct seg seg;

	/* options */
	uint64_t delay_ns;
	long iter;			/* < 0: until quit */
	int cols[IRQTOP_MAX_COLS];
	size_t ncols;
	bool cols_set;			/* -o given */
	uint32_t cols_explicit;		/* bit per column named in -o */
	enum irqtop_sort sort;
	bool reverse;
	uint64_t cpus[IRQC_EXP_AFF_WORDS];	/* -C; all set by default */
	enum irqtop_cpustat cpustat;
	uint64_t threshold;
	enum irqtop_mode mode;

	/* interactive state */
	char filter[64];
	bool active_only, paused;
	size_t top, hoff;		/* first row shown, horizontal shift */

	/* the lines selected and sorted by view_select() */
	uint32_t *order;
	size_t norder;
};

/* view.c: selection, sorting and formatting (pure, no output) */
const char *view_sort_name(enum irqtop_sort s);
int view_parse_sort(const char *s, enum irqtop_sort *out);
unsigned view_sample_flags(const struct irqtop_ctl *ctl);
int view_select(struct irqtop_ctl *ctl);
bool view_cpu_selected(const struct irqtop_ctl *ctl, uint32_t cpu);
uint32_t view_nr_selected_cpus(const struct irqtop_ctl *ctl);
int view_parse_cpulist(const char *s, uint64_t *mask, unsigned max);
void view_cpulist(const uint64_t *mask, unsigned nbits, char *buf,
		  size_t len);
void view_state(uint32_t state, char *buf, size_t len);
void view_prio(int32_t thread_prio, uint32_t state, char *buf, size_t len);
void view_ns(uint64_t ns, char *buf, size_t len);
void view_duration(uint64_t ns, char *buf, size_t len);
void view_count(double v, char *buf, size_t len);
double view_rate(const struct seg *s, uint64_t delta);

/* table.c: tables through libsmartcols */
int table_parse_columns(struct irqtop_ctl *ctl, const char *arg);
void table_default_columns(struct irqtop_ctl *ctl);
void table_columns_help(FILE *out);
/* Whether -b/-J/-P show the per-CPU columns. */
bool table_batch_cpus(const struct irqtop_ctl *ctl);
/*
 * One sample of the lines ctl->order[0..norder) in ctl->mode (batch, JSON,
 * pairs) to out; percpu as filled by seg_read_percpu() for those lines
 * (NULL: no per-CPU columns). Returns 0 or -1 (out of memory).
 */
int table_print(struct irqtop_ctl *ctl, const uint64_t *percpu, FILE *out);
/*
 * Rows ctl->order[first .. first + n) for the screen, untruncated, as one
 * malloc()ed string (header line first). The per-CPU columns (read here,
 * only when they are shown) are kept with CPUSTAT_AUTO only if the table
 * fits in width; *with_cpus says whether they are in. NULL on error (e).
 */
char *table_render(struct irqtop_ctl *ctl, size_t first, size_t n,
		   size_t width, bool *with_cpus, struct seg_error *e);
/* --list */
int table_print_list(const struct seg_info *v, size_t n,
		     enum irqtop_mode mode, FILE *out);
/* the header line of the screen and of -b */
void table_summary(const struct irqtop_ctl *ctl, char *buf, size_t len);

/* screen.c: the interactive screen; returns the exit status */
int screen_run(struct irqtop_ctl *ctl);

#endif
