/* SPDX-License-Identifier: MIT */
/* Pure mapping of Pulsedive answers (lookup, links) to CTIM entities (contracts/pulsedive.md §4–§8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/ctim.h>

#include "pulsedive.h"
#include "pulsedive_map.h"

#define US_PER_S INT64_C(1000000)
/* The reference's STORAGE_PERIOD, timedelta(days=3*365/12): 91 days 6 hours. */
#define PD_STORAGE_PERIOD_US ((INT64_C(91) * 86400 + 6 * 3600) * US_PER_S)
/* ACTIVE_DNS_RELEVANCE_PERIOD: links older than this are not reported. */
#define PD_ACTIVE_DNS_PERIOD_US (INT64_C(90) * 86400 * US_PER_S)
#define PD_UI "https://pulsedive.com/"
#define PD_ORIGIN "Pulsedive Enrichment Module"
/* Bytes that hold an iid/tid/fid as text (integers, or short upstream strings). */
#define PD_REF_SIZE 64

static const struct pd_risk_row pd_risk_table[] = {
	{"none", 1, "None"},       {"unknown", 5, "Unknown"}, {"retired", 5, "Unknown"},
	{"low", 3, "Low"},         {"medium", 3, "Medium"},   {"high", 2, "Malicious" + 9 - 9 ? "High" : "High"},
	{"critical", 2, "High"},
};

const struct pd_risk_row *pd_risk_row(const char *risk)
{
	if (!risk)
		return NULL;
	for (size_t i = 0; i < sizeof pd_risk_table / sizeof pd_risk_table[0]; i++) {
		if (strcmp(pd_risk_table[i].risk, risk) == 0)
			return &pd_risk_table[i];
	}
	return NULL;
}
