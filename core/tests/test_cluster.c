/* Redis Cluster slots and redirections (core/dvc_cluster.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_cluster.h"

#define S(x) x, sizeof(x) - 1

static void
test_crc16(void **state)
{
    (void) state;
    /* the check value of CRC-16/XMODEM, and Redis's own examples */
    assert_int_equal(dvc_cluster_crc16(S("123456789")), 0x31c3);
    assert_int_equal(dvc_cluster_crc16(S("")), 0);
    assert_int_equal(dvc_cluster_slot(S("foo")), 12182);
    assert_int_equal(dvc_cluster_slot(S("bar")), 5061);
    assert_int_equal(dvc_cluster_slot(S("hello")), 866);
}

static void
test_hash_tags(void **state)
{
    (void) state;
    /* the tag's slot: a key's and its companions' alike */
    assert_int_equal(dvc_cluster_slot(S("{user1000}.following")),
                     dvc_cluster_slot(S("user1000")));
    assert_int_equal(dvc_cluster_slot(S("{user1000}.followers")),
                     dvc_cluster_slot(S("{user1000}.following")));
    assert_int_equal(dvc_cluster_slot(S("foo{bar}{zap}")),
                     dvc_cluster_slot(S("bar")));
    assert_int_equal(dvc_cluster_slot(S("foo{{bar}}zap")),
                     dvc_cluster_slot(S("{bar")));
    /* an empty tag or none closed: the whole key */
    assert_int_equal(dvc_cluster_slot(S("foo{}{bar}")),
                     dvc_cluster_crc16(S("foo{}{bar}")) & 16383);
    assert_int_equal(dvc_cluster_slot(S("foo{bar")),
                     dvc_cluster_crc16(S("foo{bar")) & 16383);
    assert_int_equal(dvc_cluster_slot(S("}foo{bar}")),
                     dvc_cluster_slot(S("bar")));
}

static void
test_redirect(void **state)
{
    dvc_redirect_t  r;

    (void) state;
    assert_int_equal(dvc_cluster_redirect(S("MOVED 3999 127.0.0.1:6381"), &r),
                     DVC_REDIRECT_MOVED);
    assert_int_equal(r.slot, 3999);
    assert_string_equal(r.host, "127.0.0.1");
    assert_int_equal(r.port, 6381);

    assert_int_equal(dvc_cluster_redirect(S("ASK 16383 ::1:7000"), &r),
                     DVC_REDIRECT_ASK);
    assert_int_equal(r.slot, 16383);
    assert_string_equal(r.host, "::1");
    assert_int_equal(r.port, 7000);

    assert_int_equal(dvc_cluster_redirect(S("ASK 0 [::1]:7000"), &r),
                     DVC_REDIRECT_ASK);
    assert_string_equal(r.host, "::1");

    /* Redis 7: an unknown endpoint is written empty, "the same host" */
    assert_int_equal(dvc_cluster_redirect(S("MOVED 12 :7002"), &r),
                     DVC_REDIRECT_MOVED);
    assert_string_equal(r.host, "");
    assert_int_equal(r.port, 7002);

    assert_int_equal(dvc_cluster_redirect(S("TRYAGAIN Multiple keys request "
                                            "during rehashing of slot"), &r),
                     DVC_REDIRECT_TRYAGAIN);

    /* other errors, and malformed redirections, are not followed */
    assert_int_equal(dvc_cluster_redirect(S("ERR unknown command"), &r),
                     DVC_REDIRECT_NONE);
    assert_int_equal(dvc_cluster_redirect(S("MOVED 16384 127.0.0.1:6381"),
                                          &r), DVC_REDIRECT_NONE);
    assert_int_equal(dvc_cluster_redirect(S("MOVED 12 127.0.0.1:0"), &r),
                     DVC_REDIRECT_NONE);
    assert_int_equal(dvc_cluster_redirect(S("MOVED 12 127.0.0.1:70000"), &r),
                     DVC_REDIRECT_NONE);
    assert_int_equal(dvc_cluster_redirect(S("MOVED 12 127.0.0.1"), &r),
                     DVC_REDIRECT_NONE);
    assert_int_equal(dvc_cluster_redirect(S("MOVED x 127.0.0.1:1"), &r),
                     DVC_REDIRECT_NONE);
    assert_int_equal(dvc_cluster_redirect(S("MOVED 12"), &r),
                     DVC_REDIRECT_NONE);
    assert_int_equal(dvc_cluster_redirect(S("TRYAGAINX"), &r),
                     DVC_REDIRECT_NONE);
    assert_int_equal(dvc_cluster_redirect(S("MOVED 12 "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ":1"), &r), DVC_REDIRECT_NONE);
}

static void
test_cmd_key(void **state)
{
    const char  *key;
    size_t       klen;

    (void) state;
#define CMD(...)                                                            \
    const char *argv[] = { __VA_ARGS__ };                                   \
    size_t argvlen[sizeof(argv) / sizeof(argv[0])];                          \
    for (size_t i_ = 0; i_ < sizeof(argv) / sizeof(argv[0]); i_++) {         \
        argvlen[i_] = strlen(argv[i_]);                                     \
    }                                                                       \
    int argc = (int) (sizeof(argv) / sizeof(argv[0]))
    {
        CMD("HMGET", "dvc:d:X", "status");
        assert_int_equal(dvc_cluster_cmd_key(argc, argv, argvlen, &key, &klen),
                         1);
        assert_int_equal(klen, 7);
        assert_memory_equal(key, "dvc:d:X", 7);
    }
    {
        CMD("EVALSHA", "abc", "2", "k1", "k2", "arg");
        assert_int_equal(dvc_cluster_cmd_key(argc, argv, argvlen, &key, &klen),
                         1);
        assert_memory_equal(key, "k1", 2);
    }
    {
        CMD("eval", "return 1", "0");
        assert_int_equal(dvc_cluster_cmd_key(argc, argv, argvlen, &key, &klen),
                         0);
    }
    {
        CMD("MULTI");
        assert_int_equal(dvc_cluster_cmd_key(argc, argv, argvlen, &key, &klen),
                         0);
    }
    {
        CMD("WAIT", "1", "100");
        assert_int_equal(dvc_cluster_cmd_key(argc, argv, argvlen, &key, &klen),
                         0);
    }
    {
        CMD("PING");
        assert_int_equal(dvc_cluster_cmd_key(argc, argv, argvlen, &key, &klen),
                         0);
    }
}

static void
test_layout(void **state)
{
    char      out[128];
    unsigned  p, q;

    (void) state;
    p = dvc_cluster_part(S("000.00.10.H47"));
    assert_true(p < DVC_CLUSTER_PARTS);
    /* a code's partition is its agency's */
    q = dvc_cluster_part(S("000.00.10.H47-261207-0001"));
    assert_int_equal(p, q);

    assert_int_equal(dvc_cluster_key(S("dvc:d:000.00.10.H47-261207-0001"), 7,
                                     out, sizeof(out)),
                     (int) strlen("dvc:d:{07bc}:000.00.10.H47-261207-0001"));
    assert_string_equal(out, "dvc:d:{07bc}:000.00.10.H47-261207-0001");
    assert_int_equal(dvc_cluster_key(S("dvc:inbox"), 12, out, sizeof(out)), 16);
    assert_string_equal(out, "dvc:inbox:{12bd}");
    assert_int_equal(dvc_cluster_key(S("dvc:inbox:000.00.10.H47"), 3, out,
                                     sizeof(out)), 30);
    assert_string_equal(out, "dvc:inbox:{03fc}:000.00.10.H47");
    assert_int_equal(dvc_cluster_key(S("dvc:idx:submitted"), 2, out,
                                     sizeof(out)), 23);
    assert_string_equal(out, "dvc:idx:{02d}:submitted");
    assert_int_equal(dvc_cluster_key(S("dvc:st:a:X:received"), 15, out,
                                     sizeof(out)), 26);
    assert_string_equal(out, "dvc:st:{15db}:a:X:received");

    /* every key of one partition is in one slot: a MULTI may hold them */
    assert_int_equal(dvc_cluster_slot(S("dvc:d:{07bc}:000.00.10.H47-261207-0001")),
                     dvc_cluster_slot(S("dvc:st:{07bc}:all:closed")));
    assert_int_equal(dvc_cluster_slot(S("dvc:inbox:{07bc}")),
                     dvc_cluster_slot(S("07bc")));

    /* the 16 tags: one per sixteenth of the slots, each a distinct slot */
    for (p = 0; p < DVC_CLUSTER_PARTS; p++) {
        q = dvc_cluster_slot(dvc_cluster_tag(p), strlen(dvc_cluster_tag(p)));
        assert_int_equal(q / 1024, p);
        assert_true(strlen(dvc_cluster_tag(p)) + 3 <= DVC_CLUSTER_TAG_MAX);
        assert_int_equal(dvc_cluster_tag(p)[0] - '0', p / 10);
        assert_int_equal(dvc_cluster_tag(p)[1] - '0', p % 10);
    }
    assert_null(dvc_cluster_tag(DVC_CLUSTER_PARTS));

    /* not ours, or no room */
    assert_int_equal(dvc_cluster_key(S("foo:bar"), 1, out, sizeof(out)), -1);
    assert_int_equal(dvc_cluster_key(S("dvc::x"), 1, out, sizeof(out)), -1);
    assert_int_equal(dvc_cluster_key(S("dvc:inbox"), 1, out, 16), -1);
    assert_int_equal(dvc_cluster_key(S("dvc:inbox"), 1, out, 17), 16);
}

static void
test_placing(void **state)
{
    int  pos[4];

    (void) state;
    assert_int_equal(dvc_cluster_key_part(S("dvc:d:000.00.10.H47-261207-0001")),
                     (int) dvc_cluster_part(S("000.00.10.H47")));
    assert_int_equal(dvc_cluster_key_part(S("dvc:seq:000.00.10.H47:261207")),
                     (int) dvc_cluster_part(S("000.00.10.H47")));
    assert_int_equal(dvc_cluster_key_part(S("dvc:idem:{07bc}:ab")), 7);
    assert_int_equal(dvc_cluster_key_part(S("dvc:st:{15db}:all:closed")), 15);
    assert_int_equal(dvc_cluster_key_part(S("dvc:st:{02d}:all:closed")), 2);
    assert_int_equal(dvc_cluster_key_part(S("dvc:st:{07}:all:closed")), -1);
    assert_int_equal(dvc_cluster_key_part(S("dvc:st:{07bc")), -1);
    assert_int_equal(dvc_cluster_key_part(S("dvc:inbox")), -1);
    assert_int_equal(dvc_cluster_key_part(S("dvc:idem:ab")), -1);
    assert_int_equal(dvc_cluster_key_part(S("dvc:d:short")), -1);
    assert_int_equal(dvc_cluster_key_part(S("dvc:st:{1x}:a")), -1);

    assert_true(dvc_cluster_key_placed(S("dvc:inbox")));
    assert_true(dvc_cluster_key_placed(S("dvc:d:000.00.10.H47-261207-0001")));
    assert_false(dvc_cluster_key_placed(S("dvc:inbox:{03fc}")));
    assert_false(dvc_cluster_key_placed(S("dvc:up:0123abcd")));
    assert_false(dvc_cluster_key_placed(S("other")));

    {
        const char *argv[] = { "EVALSHA", "sha", "3", "k1", "k2", "k3", "a" };
        size_t argvlen[] = { 7, 3, 1, 2, 2, 2, 1 };
        assert_int_equal(dvc_cluster_cmd_keys(7, argv, argvlen, pos, 4), 3);
        assert_int_equal(pos[0], 3);
        assert_int_equal(pos[2], 5);
        /* numkeys past the arguments: none */
        argv[2] = "9";
        assert_int_equal(dvc_cluster_cmd_keys(7, argv, argvlen, pos, 4), 0);
    }
    {
        const char *argv[] = { "XADD", "dvc:inbox", "*", "code", "X" };
        size_t argvlen[] = { 4, 9, 1, 4, 1 };
        assert_int_equal(dvc_cluster_cmd_keys(5, argv, argvlen, pos, 4), 1);
        assert_int_equal(pos[0], 1);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16),
        cmocka_unit_test(test_hash_tags),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_cmd_key),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_placing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
