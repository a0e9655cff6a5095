/* SPDX-License-Identifier: MIT */
/* Fixture server TLS: self-signed certificate generation and the server SSL_CTX. */
#ifndef FIXTURE_TLS_H
#define FIXTURE_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/**
 * Write a new self-signed certificate (CN 127.0.0.1, SAN IP:127.0.0.1 and DNS:localhost,
 * EC P-256, valid from one hour ago for 365 days) to dir/cert.pem and its key to dir/key.pem
 * (mode 0600).
 * @return 0, or -1 with a one-line reason in err.
 */
int fx_tls_generate_self_signed(const char *dir, char *err, size_t errlen);

/**
 * Build a server context serving cert_file (PEM chain) with key_file.
 * @return a context the caller frees with SSL_CTX_free, or NULL with a reason in err.
 */
SSL_CTX *fx_tls_server_ctx_new(const char *cert_file, const char *key_file, char *err,
	size_t errlen);

#endif
