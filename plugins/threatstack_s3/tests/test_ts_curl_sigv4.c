/* SPDX-License-Identifier: MIT */
/* Drives libcurl 7.88's CURLOPT_AWS_SIGV4 with relayd's canonical pieces and checks the Authorization it sends against AWS's vectors. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ts_sigv4.h"
#include "ts_test_util.h"

#define AKID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define HOST "examplebucket.s3.amazonaws.com"

/* A one-shot HTTP listener on 127.0.0.1 that records the request head. */
struct listener {
	int fd;
	int port;
	char request[8192];
	pthread_t thread;
};

static void *serve_one(void *arg)
{
	struct listener *l = arg;
	int c = accept(l->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	size_t got = 0;
	/* Read until the end of the head (bounded by the buffer). */
	while (got < sizeof(l->request) - 1) {
		ssize_t r = read(c, l->request + got, sizeof(l->request) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		l->request[got] = '\0';
		if (strstr(l->request, "\r\n\r\n"))
			break;
	}
	const char *answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	ssize_t w = write(c, answer, strlen(answer));
	(void)w;
	close(c);
	return NULL;
}

static void listener_start(struct listener *l)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	memset(l->request, 0, sizeof(l->request));
	l->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(l->fd, 0);
	ck_assert_int_eq(bind(l->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l->fd, 1), 0);
	ck_assert_int_eq(getsockname(l->fd, (struct sockaddr *)&a, &alen), 0);
	l->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&l->thread, NULL, serve_one, l), 0);
}

static void listener_join(struct listener *l)
{
	pthread_join(l->thread, NULL);
	close(l->fd);
}

/* Sends one request as the s3 backend would (URL from relayd's canonical
 * pieces, x-amz-content-sha256 always set) and returns the Authorization value. */
static void signed_request(const char *method, const char *path_and_query,
                           const char *const *extra, const char *body, char *auth, size_t auth_size)
{
	struct listener l;
	char url[512], connect_to[128], sha_hdr[128], hash[65];
	listener_start(&l);

	CURL *h = curl_easy_init();
	ck_assert_ptr_nonnull(h);
	snprintf(url, sizeof(url), "http://" HOST "%s", path_and_query);
	snprintf(connect_to, sizeof(connect_to), HOST ":80:127.0.0.1:%d", l.port);
	struct curl_slist *ct = curl_slist_append(NULL, connect_to);
	struct curl_slist *hs = NULL;
	ts_sha256_hex(body ? body : "", body ? strlen(body) : 0, hash);
	snprintf(sha_hdr, sizeof(sha_hdr), "x-amz-content-sha256: %s", hash);
	hs = curl_slist_append(hs, sha_hdr);
	/* A fixed time, as in AWS's examples; curl 7.88 signs with it. */
	hs = curl_slist_append(hs, "x-amz-date: 20130524T000000Z");
	for (size_t i = 0; extra && extra[i]; i++)
		hs = curl_slist_append(hs, extra[i]);

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CONNECT_TO, ct);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
	curl_easy_setopt(h, CURLOPT_USERPWD, AKID ":" SECRET);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	CURLcode rc = curl_easy_perform(h);
	ck_assert_msg(rc == CURLE_OK, "curl: %s", curl_easy_strerror(rc));
	curl_easy_cleanup(h);
	curl_slist_free_all(hs);
	curl_slist_free_all(ct);
	listener_join(&l);

	const char *a = strstr(l.request, "\r\nAuthorization: ");
	ck_assert_msg(a != NULL, "no Authorization in:\n%s", l.request);
	a += strlen("\r\nAuthorization: ");
	const char *end = strstr(a, "\r\n");
	ck_assert_ptr_nonnull(end);
	snprintf(auth, auth_size, "%.*s", (int)(end - a), a);
}

START_TEST(curl_get_object)
{
	char auth[512];
	const char *extra[] = {"Range: bytes=0-9", NULL};
	char *path = ts_key_path_encode("test.txt");
	signed_request("GET", path, extra, NULL, auth, sizeof(auth));
	free(path);
	ck_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=" AKID "/20130524/us-east-1/s3/aws4_request, "
	                       "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	                       "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}
END_TEST

START_TEST(curl_list_objects_unsorted_params)
{
	char auth[512], pq[128];
	struct ts_query_param qp[] = {{"prefix", "J"}, {"max-keys", "2"}};
	char *query = ts_canonical_query(qp, 2);
	snprintf(pq, sizeof(pq), "/?%s", query);
	free(query);
	signed_request("GET", pq, NULL, NULL, auth, sizeof(auth));
	ck_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=" AKID "/20130524/us-east-1/s3/aws4_request, "
	                       "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
	                       "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}
END_TEST

START_TEST(curl_put_object_encoded_key)
{
	char auth[512];
	const char *extra[] = {"Date: Fri, 24 May 2013 00:00:00 GMT",
	                       "x-amz-storage-class: REDUCED_REDUNDANCY", NULL};
	char *path = ts_key_path_encode("test$file.text");
	signed_request("PUT", path, extra, "Welcome to Amazon S3.", auth, sizeof(auth));
	free(path);
	ck_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=" AKID "/20130524/us-east-1/s3/aws4_request, "
	                       "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
	                       "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_curl_sigv4");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, curl_get_object);
	tcase_add_test(tc, curl_list_objects_unsorted_params);
	tcase_add_test(tc, curl_put_object_encoded_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
