/* SPDX-License-Identifier: MIT */
/* Maps failed upstream requests to the relay's {code, message} (DECISIONS.md §9). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <relayd/sdk.h>

static const char *const code_unknown = "unknown";

static const char *provider_or_default(const char *provider)
{
	return provider && *provider ? provider : "the upstream service";
}

static const char *text_or_default(const char *text)
{
	return text && *text ? text : "unknown error";
}

const char *relayd_reason_code(const struct relayd_host *host, struct relayd_call *call,
                               const struct relayd_http_response *resp)
{
	if (!resp || resp->error != RELAYD_HTTP_OK || !resp->reason || !*resp->reason)
		return code_unknown;
	char *code = host->call_strdup(call, resp->reason);
	if (!code)
		return code_unknown;
	for (char *p = code; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return code;
}

/* The TLS reason as the plugin's contract words it; @p out is NUL-terminated. */
static void word_tls_reason(const char *text, unsigned wording, char *out, size_t size)
{
	snprintf(out, size, "%s", text);
	size_t len = strlen(out);
	if (len > 0 && (wording & RELAYD_TLS_LOWER_REST)) {
		for (size_t i = 1; i < len; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
	}
	if (len > 0 && (wording & RELAYD_TLS_CAPITALIZE))
		out[0] = (char)toupper((unsigned char)out[0]);
	if ((wording & RELAYD_TLS_PERIOD) && (len == 0 || out[len - 1] != '.') && len + 1 < size) {
		out[len] = '.';
		out[len + 1] = '\0';
	}
}

static void fail_tls(const struct relayd_host *host, struct relayd_call *call, json_t *partial,
                     const struct relayd_upstream_style *style,
                     const struct relayd_http_response *resp)
{
	char reason[512];
	word_tls_reason(text_or_default(resp->error_text), style->tls_wording, reason, sizeof reason);
	host->fail(call, partial, style->tls_code ? style->tls_code : code_unknown,
	           "Unable to verify SSL certificate: %s", reason);
}

void relayd_fail_upstream_style(const struct relayd_host *host, struct relayd_call *call,
                                json_t *partial, const struct relayd_upstream_style *style,
                                const struct relayd_http_response *resp)
{
	const char *provider = provider_or_default(style ? style->provider : NULL);
	const struct relayd_upstream_style fallback = {.provider = provider};
	if (!style)
		style = &fallback;
	if (!resp) {
		host->fail(call, partial, code_unknown, "Request to %s failed: %s", provider,
		           text_or_default(NULL));
		return;
	}
	switch (resp->error) {
	case RELAYD_HTTP_OK:
		host->fail(call, partial, relayd_reason_code(host, call, resp),
		           "%s answered with HTTP status %ld.", provider, resp->status);
		return;
	case RELAYD_HTTP_TIMEOUT:
		host->fail(call, partial, "request timeout", "%s did not answer within %ld ms.",
		           provider, resp->timeout_ms);
		return;
	case RELAYD_HTTP_CONNECT:
		host->fail(call, partial, code_unknown, "Unable to reach %s: %s", provider,
		           text_or_default(resp->error_text));
		return;
	case RELAYD_HTTP_TLS:
		fail_tls(host, call, partial, style, resp);
		return;
	case RELAYD_HTTP_TOO_LARGE:
		host->fail(call, partial, code_unknown,
		           "%s answered with more data than max_response_body allows.", provider);
		return;
	case RELAYD_HTTP_BUSY:
		host->fail(call, partial, "too many requests",
		           "Too many requests to %s in flight (relayd max_upstream_inflight); "
		           "try again later.",
		           provider);
		return;
	case RELAYD_HTTP_INTERNAL:
	default:
		host->fail(call, partial, code_unknown, "Request to %s failed: %s", provider,
		           text_or_default(resp->error_text));
		return;
	}
}

void relayd_fail_upstream(const struct relayd_host *host, struct relayd_call *call,
                          json_t *partial, const char *provider_display_name,
                          const struct relayd_http_response *resp)
{
	const struct relayd_upstream_style style = {
	    .provider = provider_display_name,
	    .tls_code = NULL,
	    .tls_wording = RELAYD_TLS_AS_IS,
	};
	relayd_fail_upstream_style(host, call, partial, &style, resp);
}

void relayd_fail_upstream_status(const struct relayd_host *host, struct relayd_call *call,
                                 json_t *partial, const struct relayd_http_response *resp,
                                 const char *message)
{
	const char *code = relayd_reason_code(host, call, resp);
	if (message) {
		host->fail(call, partial, code, "%s", message);
		return;
	}
	/* A NULL format is the services table's way to send "message": null. */
	host->fail(call, partial, code, NULL);
}

void relayd_fail_invalid_json(const struct relayd_host *host, struct relayd_call *call,
                              json_t *partial, const char *provider_display_name)
{
	host->fail(call, partial, code_unknown, "%s answered with invalid JSON.",
	           provider_or_default(provider_display_name));
}

void relayd_fail_rate_limited(const struct relayd_host *host, struct relayd_call *call,
                              json_t *partial, const char *provider_display_name)
{
	host->fail(call, partial, "too many requests",
	           "Too many requests to %s (relayd rate_limit); try again later.",
	           provider_or_default(provider_display_name));
}
