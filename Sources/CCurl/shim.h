#ifndef RESUME_INGEST_CCURL_SHIM_H
#define RESUME_INGEST_CCURL_SHIM_H
#include <curl/curl.h>

/// curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic, which Swift cannot call:
/// one typed wrapper per argument type used.
static inline CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ccurl_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ccurl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }

typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *user);
static inline CURLcode ccurl_setopt_write(CURL *h, ccurl_data_callback f, void *user) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f);
    return rc ? rc : curl_easy_setopt(h, CURLOPT_WRITEDATA, user);
}
static inline CURLcode ccurl_setopt_header(CURL *h, ccurl_data_callback f, void *user) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, f);
    return rc ? rc : curl_easy_setopt(h, CURLOPT_HEADERDATA, user);
}

typedef int (*ccurl_socket_callback)(CURL *easy, curl_socket_t s, int what, void *user, void *socketp);
typedef int (*ccurl_timer_callback)(CURLM *multi, long timeout_ms, void *user);
static inline CURLMcode ccurl_multi_callbacks(CURLM *m, ccurl_socket_callback s, ccurl_timer_callback t, void *user) {
    CURLMcode rc = curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, s);
    if (!rc) rc = curl_multi_setopt(m, CURLMOPT_SOCKETDATA, user);
    if (!rc) rc = curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, t);
    if (!rc) rc = curl_multi_setopt(m, CURLMOPT_TIMERDATA, user);
    return rc;
}
static inline CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

static inline CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode ccurl_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode ccurl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }

/// The fields of a finished transfer's CURLMsg (a union Swift reads awkwardly).
static inline int ccurl_info_read(CURLM *m, CURL **easy, CURLcode *result) {
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg == CURLMSG_DONE) {
            *easy = msg->easy_handle;
            *result = msg->data.result;
            return 1;
        }
    }
    return 0;
}

static inline int ccurl_poll_in(void) { return CURL_POLL_IN; }
static inline int ccurl_poll_out(void) { return CURL_POLL_OUT; }
static inline int ccurl_poll_remove(void) { return CURL_POLL_REMOVE; }
static inline int ccurl_cselect_in(void) { return CURL_CSELECT_IN; }
static inline int ccurl_cselect_out(void) { return CURL_CSELECT_OUT; }
static inline int ccurl_cselect_err(void) { return CURL_CSELECT_ERR; }
static inline curl_socket_t ccurl_socket_timeout(void) { return CURL_SOCKET_TIMEOUT; }
#endif
