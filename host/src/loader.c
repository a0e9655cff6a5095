/* SPDX-License-Identifier: MIT */
/* dlopen, the entry symbol and the ABI guard fields. */
#include "loader.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *path_join3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s%s", a, b, c);
	return p;
}

char *loader_find(const char *plugin_dir, const char *name, const char *explicit_path,
                  char *looked, size_t looked_len)
{
	if (explicit_path) {
		snprintf(looked, looked_len, "%s", explicit_path);
		return access(explicit_path, R_OK) == 0 ? strdup(explicit_path) : NULL;
	}
	char *flat = path_join3(plugin_dir, "/", name);
	char *a = flat ? path_join3(flat, ".so", "") : NULL;
	char *b = flat ? path_join3(flat, "/", name) : NULL;
	char *b2 = b ? path_join3(b, ".so", "") : NULL;
	free(flat);
	free(b);
	char *found = NULL;
	if (a && access(a, R_OK) == 0) {
		found = a;
		a = NULL;
	} else if (b2 && access(b2, R_OK) == 0) {
		found = b2;
		b2 = NULL;
	}
	snprintf(looked, looked_len, "%s, %s", a ? a : "?", b2 ? b2 : "?");
	free(a);
	free(b2);
	return found;
}

int loader_check_descriptor(const struct relayd_plugin *d, char *reason, size_t reason_len)
{
	if (d->magic != RELAYD_PLUGIN_MAGIC) {
		snprintf(reason, reason_len, "bad magic 0x%08x, expected 0x%08x", d->magic,
		         RELAYD_PLUGIN_MAGIC);
		return RELAYD_EINVAL;
	}
	if (d->abi_major != RELAYD_ABI_MAJOR) {
		snprintf(reason, reason_len, "ABI major %u, host supports %u", d->abi_major,
		         RELAYD_ABI_MAJOR);
		return RELAYD_EUNSUPPORTED;
	}
	if (d->abi_minor > RELAYD_ABI_MINOR) {
		snprintf(reason, reason_len, "ABI minor %u is newer than host %u.%u", d->abi_minor,
		         RELAYD_ABI_MAJOR, RELAYD_ABI_MINOR);
		return RELAYD_EUNSUPPORTED;
	}
	if (d->struct_size < LOADER_ABI_1_0_SIZE) {
		snprintf(reason, reason_len, "struct_size %u smaller than ABI 1.0 (%zu)",
		         d->struct_size, (size_t)LOADER_ABI_1_0_SIZE);
		return RELAYD_EINVAL;
	}
	if (!d->name || !d->name[0] || !d->version || !d->init) {
		snprintf(reason, reason_len, "descriptor lacks name, version or init");
		return RELAYD_EINVAL;
	}
	for (const char *p = d->name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) {
			snprintf(reason, reason_len, "plugin name '%s' is not [a-z0-9_]+", d->name);
			return RELAYD_EINVAL;
		}
	}
	return RELAYD_OK;
}

int loader_open(const char *file, struct loaded_plugin *out, char *reason, size_t reason_len)
{
	memset(out, 0, sizeof(*out));
	void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(reason, reason_len, "dlopen failed: %s", dlerror());
		return RELAYD_EIO;
	}
	relayd_plugin_entry_fn entry;
	/* POSIX blesses this conversion; the union keeps -Wpedantic quiet. */
	*(void **)&entry = dlsym(h, RELAYD_ENTRY_SYMBOL);
	if (!entry) {
		snprintf(reason, reason_len, "no symbol %s", RELAYD_ENTRY_SYMBOL);
		dlclose(h);
		return RELAYD_EINVAL;
	}
	const struct relayd_plugin *d = entry(RELAYD_ABI_MAJOR, RELAYD_ABI_MINOR);
	if (!d) {
		snprintf(reason, reason_len, "entry returned NULL");
		dlclose(h);
		return RELAYD_EUNSUPPORTED;
	}
	/* The guard fields are read before anything else; only then is it safe
	 * to trust struct_size for the rest. */
	int rc = loader_check_descriptor(d, reason, reason_len);
	if (rc) {
		dlclose(h);
		return rc;
	}
	size_t n = d->struct_size < sizeof(out->copy) ? d->struct_size : sizeof(out->copy);
	memcpy(&out->copy, d, n); /* fields past the plugin's size stay zero = absent */
	out->handle = h;
	out->desc = &out->copy;
	return RELAYD_OK;
}

void loader_close(struct loaded_plugin *p)
{
	if (p->handle)
		dlclose(p->handle);
	p->handle = NULL;
	p->desc = NULL;
}
