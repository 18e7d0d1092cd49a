/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * screen.c — irqtop's interactive screen (ncurses).
 *
 * One loop, as util-linux irqtop: epoll over a timerfd (the refresh), a
 * signalfd (SIGWINCH redraws; SIGINT, SIGTERM, SIGHUP and SIGQUIT end the
 * loop) and stdin (keys). The signals are blocked, so none interrupts a
 * curses call; every way out of screen_run() goes through end_screen(),
 * and an atexit() handler restores the terminal should anything call
 * exit() while the screen is up.
 */
#include "irqtop.h"

#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

enum input { IN_NORMAL, IN_FILTER, IN_HELP };

struct screen {
	struct irqtop_ctl *ctl;
	int efd, tfd, sfd;
	enum input input;
	char old_filter[sizeof(((struct irqtop_ctl *)0)->filter)];
	size_t visible;		/* table rows on screen */
	long samples;		/* refreshes so far (for -n) */
	bool fresh;		/* a sample was taken since the last draw */
	bool quit;
	int status;		/* exit status */
	char endmsg[480];	/* printed once the terminal is restored */
};

static bool curses_up;

static void restore_terminal(void)
{
	if (curses_up) {
		curses_up = false;
		endwin();
	}
}

static const double ladder[] = { 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60 };

static int arm_timer(struct screen *sc)
{
	uint64_t ns = sc->ctl->delay_ns;
	struct itimerspec it = {
		.it_interval = { (time_t)(ns / 1000000000ull),
				 (long)(ns % 1000000000ull) },
	};

	it.it_value = it.it_interval;
	return timerfd_settime(sc->tfd, 0, &it, NULL);
}

static void change_delay(struct screen *sc, int dir)
{
	double cur = (double)sc->ctl->delay_ns / 1e9, next = cur;
	size_t n = sizeof(ladder) / sizeof(ladder[0]);

	if (dir > 0) {
		for (size_t i = 0; i < n; i++)
			if (ladder[i] > cur * 1.001) {
				next = ladder[i];
				break;
			}
	} else {
		for (size_t i = n; i-- > 0;)
			if (ladder[i] < cur * 0.999) {
				next = ladder[i];
				break;
			}
	}
	sc->ctl->delay_ns = (uint64_t)(next * 1e9);
	arm_timer(sc);
}

/* ------------------------------------------------------------------ */
/* Drawing */

static void put_clipped(int y, const char *s, size_t len, size_t hoff,
			attr_t attr)
{
	size_t w = (size_t)COLS;

	move(y, 0);
	attron(attr);
	if (hoff < len)
		addnstr(s + hoff, (int)(len - hoff < w ? len - hoff : w));
	if (attr & A_REVERSE) {
		int cy, cx;

		getyx(stdscr, cy, cx);
		(void)cy;
		for (int x = cx; x < COLS && cx >= 0; x++)
			addch(' ');
	}
	attroff(attr);
}

static int draw_header(struct screen *sc)
{
	struct irqtop_ctl *ctl = sc->ctl;
	char sum[320], line[512];

	table_summary(ctl, sum, sizeof(sum));
	snprintf(line, sizeof(line), "irqtop - %s", sum);
	attron(A_BOLD);
	mvaddnstr(0, 0, line, COLS);
	attroff(A_BOLD);
	return 1;
}

/* htop-like meters: "  3[|||||      12.3% 1.2k/s]" per selected CPU. */
static int draw_meters(struct screen *sc, int y0, int max_rows)
{
	struct irqtop_ctl *ctl = sc->ctl;
	const struct seg *s = &ctl->seg;
	uint32_t nsel = view_nr_selected_cpus(ctl), shown = 0;
	int label = s->nr_cpus > 100 ? 4 : s->nr_cpus > 10 ? 3 : 2;
	int ncol, nrow, mw;

	if (!nsel || max_rows < 1)
		return 0;
	ncol = COLS / 34;
	if (ncol < 1)
		ncol = 1;
	if ((uint32_t)ncol > nsel)
		ncol = (int)nsel;
	nrow = (int)((nsel + (uint32_t)ncol - 1) / (uint32_t)ncol);
	if (nrow > max_rows)
		nrow = max_rows;
	mw = COLS / ncol;
	for (uint32_t c = 0; c < s->nr_cpus; c++) {
		const struct seg_cpu *cp = &s->cpus[c];
		int slot, y, x, inner, bars;
		char text[48], rate[16];
		double busy = 0;

		if (!view_cpu_selected(ctl, c))
			continue;
		slot = (int)shown++;
		if (slot >= nrow * ncol)
			break;
		y = y0 + slot / ncol;
		x = (slot % ncol) * mw;
		if (slot == nrow * ncol - 1 && shown < nsel) {
			mvprintw(y, x, "%*s +%u more CPUs (-C)", label, "",
				 nsel - shown + 1);
			break;
		}
		if (cp->offline) {	/* no line placed there (strays drain) */
			snprintf(text, sizeof(text), "offline");
		} else if (s->nsamples >= 2 && s->interval_ns) {
			busy = (double)cp->d_busy_ns * 100.0 /
			       (double)s->interval_ns;
			view_count(view_rate(s, cp->d_events), rate,
				   sizeof(rate));
			snprintf(text, sizeof(text), "%.1f%% %s/s", busy, rate);
		} else {
			snprintf(text, sizeof(text), "-");
		}
		inner = mw - label - 3;
		if (inner < 1)
			continue;
		/* busy comes from the segment: any double, clamp first */
		bars = !(busy > 0) ? 0 : busy >= 100.0 ? inner :
		       (int)(busy / 100.0 * inner + 0.5);
		mvprintw(y, x, "%*u", label, c);
		attron(A_BOLD);
		addch('[');
		attroff(A_BOLD);
		if (has_colors())
			attron(COLOR_PAIR(1));
		for (int i = 0; i < inner; i++)
			addch(i < bars ? '|' : ' ');
		if (has_colors())
			attroff(COLOR_PAIR(1));
		if ((int)strlen(text) <= inner)
			mvaddstr(y, x + label + 1 + inner - (int)strlen(text),
				 text);
		attron(A_BOLD);
		mvaddch(y, x + label + 1 + inner, ']');
		attroff(A_BOLD);
	}
	return nrow;
}

static void draw_status(struct screen *sc)
{
	struct irqtop_ctl *ctl = sc->ctl;
	char line[512];
	int y = LINES - 1;

	move(y, 0);
	clrtoeol();
	if (sc->input == IN_FILTER) {
		snprintf(line, sizeof(line), "Filter by name: %s", ctl->filter);
		mvaddnstr(y, 0, line, COLS);
		curs_set(1);
		return;
	}
	curs_set(0);
	snprintf(line, sizeof(line),
		 "h help  q quit  sort %s%s  interval %.2gs  lines %zu-%zu/%zu"
		 "%s%s%s%s%s",
		 view_sort_name(ctl->sort), ctl->reverse ? " (reversed)" : "",
		 (double)ctl->delay_ns / 1e9,
		 ctl->norder ? ctl->top + 1 : 0,
		 ctl->top + (sc->visible < ctl->norder - ctl->top ?
			     sc->visible : ctl->norder - ctl->top),
		 ctl->norder,
		 ctl->filter[0] ? "  filter \"" : "", ctl->filter,
		 ctl->filter[0] ? "\"" : "",
		 ctl->active_only ? "  [active only]" : "",
		 ctl->paused ? "  [PAUSED]" : "");
	attron(A_REVERSE);
	mvaddnstr(y, 0, line, COLS);
	for (int x = (int)strlen(line); x < COLS; x++)
		addch(' ');
	attroff(A_REVERSE);
}

static void draw_help(void)
{
	static const char *const text[] = {
		"irqtop - interactive commands",
		"",
		"  i  t  r  d  n  T   sort by IRQ, total, rate, delta, name, time%",
		"  R                  reverse the order",
		"  Up Down j k        scroll one line",
		"  PgUp PgDn          scroll one page",
		"  Home End g G       first / last line",
		"  Left Right         shift the table sideways",
		"  /                  filter by name (Enter keeps, Esc clears)",
		"  a                  only lines active in the interval",
		"  c                  per-CPU columns: auto, always, never",
		"  p  space           pause / resume",
		"  +  -               longer / shorter interval",
		"  Ctrl-L             redraw",
		"  h  ?               this help",
		"  q                  quit",
		"",
		"STATE letters: D disabled, M masked, S spurious (nobody cared),",
		"  O oneshot, P oneshot thread pending, T threaded, N nested,",
		"  C per-CPU, B no balancing, F affinity set by the caller",
		"",
		"Press any key to continue.",
	};

	erase();
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]) &&
			   (int)i < LINES; i++)
		mvaddnstr((int)i, 0, text[i], COLS);
	refresh();
}

static void fail_seg(struct screen *sc, const struct seg_error *e)
{
	const struct seg *s = &sc->ctl->seg;

	sc->quit = true;
	if (e->code == SEG_EGONE) {
		sc->status = 0;
		snprintf(sc->endmsg, sizeof(sc->endmsg),
			 "irqtop: PID %d (%s): %s", (int)s->pid, s->comm,
			 e->msg);
	} else {
		sc->status = 1;
		snprintf(sc->endmsg, sizeof(sc->endmsg), "irqtop: PID %d: %s",
			 (int)s->pid, e->msg);
	}
}

static void draw(struct screen *sc)
{
	struct irqtop_ctl *ctl = sc->ctl;
	struct seg_error e;
	int y, rows, meter_rows;
	size_t n, width = 0;
	bool with_cpus = false;
	char *tab, *p;

	if (sc->input == IN_HELP) {
		draw_help();
		return;
	}
	if (view_select(ctl)) {
		sc->quit = true;
		sc->status = 1;
		snprintf(sc->endmsg, sizeof(sc->endmsg),
			 "irqtop: out of memory");
		return;
	}
	erase();
	y = draw_header(sc);
	meter_rows = (LINES - 4) / 3;
	y += draw_meters(sc, y, meter_rows);
	rows = LINES - y - 2;		/* table header and status line */
	sc->visible = rows > 0 ? (size_t)rows : 0;

	if (ctl->norder <= sc->visible)
		ctl->top = 0;
	else if (ctl->top > ctl->norder - sc->visible)
		ctl->top = ctl->norder - sc->visible;
	n = ctl->norder - ctl->top;
	if (n > sc->visible)
		n = sc->visible;

	if (seg_read_details(&ctl->seg, ctl->order + ctl->top, n, sc->fresh,
			     &e)) {
		fail_seg(sc, &e);
		return;
	}
	sc->fresh = false;
	tab = table_render(ctl, ctl->top, n, (size_t)COLS, &with_cpus, &e);
	if (!tab) {
		fail_seg(sc, &e);
		return;
	}
	{
		int line = 0;

		width = strcspn(tab, "\n");
		if (ctl->hoff + (size_t)COLS > width)
			ctl->hoff = width > (size_t)COLS ? width - (size_t)COLS : 0;
		for (p = tab; *p && y + line < LINES - 1; line++) {
			size_t len = strcspn(p, "\n");

			put_clipped(y + line, p, len, ctl->hoff,
				    line == 0 ? A_REVERSE : A_NORMAL);
			p += len;
			if (*p == '\n')
				p++;
		}
		free(tab);
	}
	if (!ctl->norder && y + 1 < LINES - 1)
		mvaddnstr(y + 1, 0, ctl->filter[0] || ctl->active_only ||
			  ctl->threshold ? "  (no line matches)" :
			  "  (no active line)", COLS);
	draw_status(sc);
	if (sc->input == IN_FILTER)
		move(LINES - 1, (int)strlen("Filter by name: ") +
			       (int)strlen(ctl->filter));
	refresh();
}

/* ------------------------------------------------------------------ */
/* Events */

static void take_sample(struct screen *sc)
{
	struct seg_error e;

	if (seg_sample(&sc->ctl->seg, view_sample_flags(sc->ctl), &e)) {
		fail_seg(sc, &e);
		return;
	}
	sc->fresh = true;
	sc->samples++;
}

static void resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

static void set_sort(struct irqtop_ctl *ctl, enum irqtop_sort s)
{
	if (ctl->sort == s)
		ctl->reverse = !ctl->reverse;
	else
		ctl->reverse = false;
	ctl->sort = s;
	ctl->top = 0;
}

static void key_filter(struct screen *sc, int ch)
{
	struct irqtop_ctl *ctl = sc->ctl;
	size_t len = strlen(ctl->filter);

	switch (ch) {
	case 27:		/* Esc: back to the filter before */
		memcpy(ctl->filter, sc->old_filter, sizeof(ctl->filter));
		sc->input = IN_NORMAL;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		sc->input = IN_NORMAL;
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (len)
			ctl->filter[len - 1] = '\0';
		break;
	default:
		if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(ctl->filter)) {
			ctl->filter[len] = (char)ch;
			ctl->filter[len + 1] = '\0';
		}
		break;
	}
	ctl->top = 0;
}

static void key_normal(struct screen *sc, int ch)
{
	struct irqtop_ctl *ctl = sc->ctl;
	size_t page = sc->visible ? sc->visible : 1;

	switch (ch) {
	case 'q':
	case 'Q':
		sc->quit = true;
		break;
	case 'h':
	case '?':
	case KEY_F(1):
		sc->input = IN_HELP;
		break;
	case 'i': set_sort(ctl, SORT_IRQ); break;
	case 't': set_sort(ctl, SORT_TOTAL); break;
	case 'r': set_sort(ctl, SORT_RATE); break;
	case 'd': set_sort(ctl, SORT_DELTA); break;
	case 'n': set_sort(ctl, SORT_NAME); break;
	case 'T': set_sort(ctl, SORT_TIME); break;
	case 'R':
	case 'I':
		ctl->reverse = !ctl->reverse;
		break;
	case '/':
		memcpy(sc->old_filter, ctl->filter, sizeof(sc->old_filter));
		sc->input = IN_FILTER;
		break;
	case 'a':
		ctl->active_only = !ctl->active_only;
		ctl->top = 0;
		break;
	case 'c':
		ctl->cpustat = ctl->cpustat == CPUSTAT_AUTO ? CPUSTAT_ALWAYS :
			       ctl->cpustat == CPUSTAT_ALWAYS ? CPUSTAT_NEVER :
			       CPUSTAT_AUTO;
		break;
	case 'p':
	case ' ':
		ctl->paused = !ctl->paused;
		break;
	case '+':
	case '=':
		change_delay(sc, 1);
		break;
	case '-':
	case '_':
		change_delay(sc, -1);
		break;
	case KEY_UP:
	case 'k':
		if (ctl->top)
			ctl->top--;
		break;
	case KEY_DOWN:
	case 'j':
		ctl->top++;
		break;
	case KEY_PPAGE:
		ctl->top = ctl->top > page ? ctl->top - page : 0;
		break;
	case KEY_NPAGE:
		ctl->top += page;
		break;
	case KEY_HOME:
	case 'g':
		ctl->top = 0;
		break;
	case KEY_END:
	case 'G':
		ctl->top = ctl->norder;	/* draw() clamps */
		break;
	case KEY_LEFT:
		ctl->hoff = ctl->hoff > 8 ? ctl->hoff - 8 : 0;
		break;
	case KEY_RIGHT:
		ctl->hoff += 8;
		break;
	case 12:		/* Ctrl-L */
	case KEY_RESIZE:
		clearok(curscr, TRUE);
		break;
	default:
		break;
	}
}

static void on_keys(struct screen *sc)
{
	int ch;

	while (!sc->quit && (ch = getch()) != ERR) {
		if (sc->input == IN_HELP)
			sc->input = IN_NORMAL;
		else if (sc->input == IN_FILTER)
			key_filter(sc, ch);
		else
			key_normal(sc, ch);
	}
}

static int setup(struct screen *sc, sigset_t *old)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, old))
		return -1;
	sc->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	sc->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	sc->efd = epoll_create1(EPOLL_CLOEXEC);
	if (sc->sfd < 0 || sc->tfd < 0 || sc->efd < 0 || arm_timer(sc))
		return -1;
	ev.data.fd = sc->tfd;
	if (epoll_ctl(sc->efd, EPOLL_CTL_ADD, sc->tfd, &ev))
		return -1;
	ev.data.fd = sc->sfd;
	if (epoll_ctl(sc->efd, EPOLL_CTL_ADD, sc->sfd, &ev))
		return -1;
	ev.data.fd = STDIN_FILENO;
	if (epoll_ctl(sc->efd, EPOLL_CTL_ADD, STDIN_FILENO, &ev))
		return -1;
	return 0;
}

static int start_curses(void)
{
	/* newterm(), not initscr(): an unknown TERM is an error we report */
	if (!newterm(NULL, stdout, stdin))
		return -1;
	atexit(restore_terminal);
	curses_up = true;
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);
	}
	return 0;
}

int screen_run(struct irqtop_ctl *ctl)
{
	struct screen sc = { .ctl = ctl, .efd = -1, .tfd = -1, .sfd = -1 };
	sigset_t old;

	sc.fresh = true;
	sc.samples = 1;		/* main() took the first sample */
	sigprocmask(SIG_SETMASK, NULL, &old);
	if (setup(&sc, &old)) {
		fprintf(stderr, "irqtop: cannot set up the event loop: %s\n",
			strerror(errno));
		sc.status = 1;
		goto out;
	}
	if (start_curses()) {
		snprintf(sc.endmsg, sizeof(sc.endmsg), "irqtop: cannot use the "
			 "terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") :
			 "");
		sc.status = 1;
		goto out;
	}
	draw(&sc);
	if (ctl->iter == 1)
		sc.quit = true;

	while (!sc.quit) {
		struct epoll_event ev[3];
		int nev = epoll_wait(sc.efd, ev, 3, -1);

		if (nev < 0) {
			if (errno == EINTR)
				continue;
			sc.status = 1;
			snprintf(sc.endmsg, sizeof(sc.endmsg),
				 "irqtop: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < nev && !sc.quit; i++) {
			int fd = ev[i].data.fd;

			if (fd == sc.tfd) {
				uint64_t ticks;

				if (read(sc.tfd, &ticks, sizeof(ticks)) < 0)
					continue;
				if (!ctl->paused)
					take_sample(&sc);
			} else if (fd == sc.sfd) {
				struct signalfd_siginfo si;

				while (read(sc.sfd, &si, sizeof(si)) ==
				       (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGWINCH)
						resize();
					else
						sc.quit = true;
				}
			} else if (fd == STDIN_FILENO) {
				if (ev[i].events & (EPOLLHUP | EPOLLERR)) {
					sc.quit = true;
					break;
				}
				on_keys(&sc);
			}
		}
		if (!sc.quit && sc.fresh) {
			draw(&sc);
			/* -n: the last refresh drawn, then out */
			if (ctl->iter > 0 && sc.samples >= ctl->iter)
				sc.quit = true;
		} else if (!sc.quit) {
			draw(&sc);
		}
	}
out:
	restore_terminal();
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (sc.efd >= 0)
		close(sc.efd);
	if (sc.tfd >= 0)
		close(sc.tfd);
	if (sc.sfd >= 0)
		close(sc.sfd);
	if (sc.endmsg[0])
		fprintf(stderr, "%s\n", sc.endmsg);
	return sc.status;
}
