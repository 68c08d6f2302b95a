/*
 * accept-budget.c - at most ACCEPT_BUDGET connections a turn for an evconnlistener (see
 * accept-budget.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "accept-budget.h"

struct accept_budget {
	struct evconnlistener *listener;
	struct event *resume;		/* activated at the budget: runs after the ready events */
	unsigned int turn;		/* accepted in this turn */
	unsigned int turn_max;
	bool paused;			/* disabled by the budget, until resume */
};

/* The loop has turned: a new budget, and the listener back if the budget paused it. */
static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct accept_budget *b = arg;

	(void)fd;
	(void)what;
	b->turn = 0;
	if (b->paused) {
		b->paused = false;
		evconnlistener_enable(b->listener);
	}
}

struct accept_budget *accept_budget_new(struct event_base *base, struct evconnlistener *l)
{
	struct accept_budget *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->listener = l;
	b->resume = event_new(base, -1, 0, on_resume, b);
	if (!b->resume) {
		free(b);
		return NULL;
	}
	return b;
}

void accept_budget_free(struct accept_budget *b)
{
	if (!b)
		return;
	event_free(b->resume);
	free(b);
}

void accept_budget_charge(struct accept_budget *b)
{
	/* The first accept of a turn: the resume, run after this turn's ready events, starts
	 * the next turn's count whether or not the budget is reached. */
	if (b->turn++ == 0)
		event_active(b->resume, EV_TIMEOUT, 0);
	if (b->turn > b->turn_max)
		b->turn_max = b->turn;
	if (b->turn == ACCEPT_BUDGET) {
		b->paused = true;
		evconnlistener_disable(b->listener);	/* ends libevent's accept loop */
	}
}

unsigned int accept_budget_turn_max(const struct accept_budget *b)
{
	return b->turn_max;
}
