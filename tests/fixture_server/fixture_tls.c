/* SPDX-License-Identifier: MIT */
/* Fixture server TLS: self-signed certificate generation and the server SSL_CTX. */
#include "fixture_tls.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define FX_CERT_DAYS 365

static void set_ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long code = ERR_get_error();
	char detail[256] = "no OpenSSL detail";

	if (code != 0)
		ERR_error_string_n(code, detail, sizeof(detail));
	snprintf(err, errlen, "%s: %s", what, detail);
	ERR_clear_error();
}

static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static int set_random_serial(X509 *cert)
{
	unsigned char bytes[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		return -1;
	bytes[0] &= 0x7f; /* serials must be positive */
	bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
	if (bn == NULL)
		return -1;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

/*
 * CA:TRUE like `openssl req -x509` makes: the same file then works both as the server's
 * certificate and as the client's trust anchor (CURLOPT_CAINFO).
 */
static X509 *build_cert(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_NAME *name;

	if (cert == NULL)
		return NULL;
	name = X509_get_subject_name(cert);
	if (X509_set_version(cert, 2) != 1 || set_random_serial(cert) != 0 ||
		X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
		X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * FX_CERT_DAYS) == NULL ||
		X509_set_pubkey(cert, key) != 1 ||
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
			(const unsigned char *)"127.0.0.1", -1, -1, 0) != 1 ||
		X509_set_issuer_name(cert, name) != 1 ||
		add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
		add_ext(cert, NID_key_usage, "critical,digitalSignature,keyCertSign") != 0 ||
		add_ext(cert, NID_ext_key_usage, "serverAuth") != 0 ||
		add_ext(cert, NID_subject_key_identifier, "hash") != 0 ||
		add_ext(cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") != 0 ||
		X509_sign(cert, key, EVP_sha256()) == 0) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static int write_pem(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	if (cert != NULL)
		ok = PEM_write_X509(f, cert) == 1;
	else
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int fx_tls_generate_self_signed(const char *dir, char *err, size_t errlen)
{
	char cert_path[4096];
	char key_path[4096];
	EVP_PKEY *key;
	X509 *cert = NULL;
	int rc = -1;

	if ((size_t)snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir) >=
		sizeof(cert_path) ||
		(size_t)snprintf(key_path, sizeof(key_path), "%s/key.pem", dir) >=
		sizeof(key_path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	key = EVP_EC_gen("P-256");
	if (key == NULL) {
		set_ssl_err(err, errlen, "key generation failed");
		return -1;
	}
	cert = build_cert(key);
	if (cert == NULL) {
		set_ssl_err(err, errlen, "certificate creation failed");
		goto out;
	}
	if (write_pem(key_path, 0600, NULL, key) != 0) {
		snprintf(err, errlen, "cannot write %s", key_path);
		goto out;
	}
	if (write_pem(cert_path, 0644, cert, NULL) != 0) {
		snprintf(err, errlen, "cannot write %s", cert_path);
		goto out;
	}
	rc = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

SSL_CTX *fx_tls_server_ctx_new(const char *cert_file, const char *key_file, char *err,
	size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		set_ssl_err(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		set_ssl_err(err, errlen, cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		set_ssl_err(err, errlen, key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		set_ssl_err(err, errlen, "certificate and key do not match");
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
