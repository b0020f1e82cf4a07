/*  czmq_certs: CZMQ's own certificate code, for the interop test (test_czmq_interop.py).

    czmq_certs make PATH NAME   zcert_new, metadata name=NAME and made-by=czmq, zcert_save:
                                writes PATH and PATH_secret; prints the public key
    czmq_certs load PATH        zcert_load (which reads PATH_secret first if it exists);
                                prints "public-key KEY", "secret-key KEY" (forty '0' for a
                                public certificate) and "name NAME"

    Exit codes: 0 ok, 1 CZMQ failed, 2 usage.  */
#include <czmq.h>
#include <stdio.h>
#include <string.h>

static int s_make(const char* path, const char* name) {
    zcert_t* cert = zcert_new();
    if (!cert) return 1;
    zcert_set_meta(cert, "name", "%s", name);
    zcert_set_meta(cert, "made-by", "%s", "czmq");
    int rc = zcert_save(cert, path);
    if (rc == 0)
        printf("%s\n", zcert_public_txt(cert));
    else
        fprintf(stderr, "czmq_certs: zcert_save %s failed\n", path);
    zcert_destroy(&cert);
    return rc == 0 ? 0 : 1;
}

static int s_load(const char* path) {
    zcert_t* cert = zcert_load(path);
    if (!cert) {
        fprintf(stderr, "czmq_certs: zcert_load %s failed\n", path);
        return 1;
    }
    const char* name = zcert_meta(cert, "name");
    printf("public-key %s\nsecret-key %s\nname %s\n", zcert_public_txt(cert),
           zcert_secret_txt(cert), name ? name : "");
    zcert_destroy(&cert);
    return 0;
}

int main(int argc, char* argv[]) {
    if (argc == 4 && streq(argv[1], "make")) return s_make(argv[2], argv[3]);
    if (argc == 3 && streq(argv[1], "load")) return s_load(argv[2]);
    fprintf(stderr, "usage: czmq_certs make PATH NAME | czmq_certs load PATH\n");
    return 2;
}
