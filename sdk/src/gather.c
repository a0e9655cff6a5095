/* SPDX-License-Identifier: MIT */
/* Fan-out: count a call's outstanding requests and continue once when all are done. */
#include <relayd/sdk.h>

struct relayd_gather {
	const struct relayd_host *host;
	struct relayd_call *call;
	relayd_call_fn all_done;
	void *arg;
	unsigned pending; /* requests in flight + holds (the initial one included) */
	bool started;
	bool fired;
};

/* One request's own callback and argument, wrapped so the gather can count. */
struct gather_request {
	struct relayd_gather *g;
	relayd_http_done_fn done;
	void *arg;
};

static void gather_maybe_fire(struct relayd_gather *g)
{
	if (g->pending > 0 || g->fired)
		return;
	g->fired = true;
	g->all_done(g->call, g->arg);
}

struct relayd_gather *relayd_gather_new(const struct relayd_host *host,
                                        struct relayd_call *call,
                                        relayd_call_fn all_done, void *arg)
{
	if (!host || !call || !all_done)
		return NULL;
	struct relayd_gather *g = host->call_alloc(call, sizeof *g);
	if (!g)
		return NULL;
	*g = (struct relayd_gather){
	    .host = host,
	    .call = call,
	    .all_done = all_done,
	    .arg = arg,
	    .pending = 1, /* held until relayd_gather_start */
	};
	return g;
}

static void gather_on_done(struct relayd_call *call, const struct relayd_http_response *resp,
                           void *arg)
{
	struct gather_request *r = arg;
	struct relayd_gather *g = r->g;
	/* The request's own callback runs while it still counts, so requests it
	 * adds (a second round) keep all_done from firing in between. */
	if (r->done)
		r->done(call, resp, r->arg);
	g->pending--;
	gather_maybe_fire(g);
}

void relayd_gather_http(struct relayd_gather *g, const struct relayd_http_request *req,
                        relayd_http_done_fn done, void *arg)
{
	struct gather_request *r = g->host->call_alloc(g->call, sizeof *r);
	if (!r) {
		const struct relayd_http_response oom = {
		    .error = RELAYD_HTTP_INTERNAL,
		    .reason = "",
		    .body = "",
		    .error_text = "out of memory",
		};
		if (done)
			done(g->call, &oom, arg);
		return;
	}
	*r = (struct gather_request){.g = g, .done = done, .arg = arg};
	/* Count before starting: the host may call gather_on_done before http() returns. */
	g->pending++;
	g->host->http(g->call, req, gather_on_done, r);
}

void relayd_gather_hold(struct relayd_gather *g)
{
	g->pending++;
}

void relayd_gather_release(struct relayd_gather *g)
{
	if (g->pending == 0)
		return; /* more releases than holds: ignore rather than wrap around */
	g->pending--;
	gather_maybe_fire(g);
}

void relayd_gather_start(struct relayd_gather *g)
{
	if (g->started)
		return; /* a second start would release a hold it does not own */
	g->started = true;
	relayd_gather_release(g);
}

unsigned relayd_gather_pending(const struct relayd_gather *g)
{
	return g->pending;
}
