/* ECMA-262 regular expressions on PCRE2: translation, search, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "dvc_regex.h"
#include "suite.h"

static const dvc_alloc_t *A = &dvc_alloc_std;

/* 1 match, 0 no match, -1 search error, -2 the pattern did not compile */
static int
search(const char *pat, const char *subject)
{
    dvc_regex_t          *re;
    dvc_regex_scratch_t  *s;
    char                  err[200];
    int                   r;

    re = dvc_regex_compile(A, pat, strlen(pat), err, sizeof(err));
    if (re == NULL) {
        return -2;
    }
    s = dvc_regex_scratch_new(A);
    assert_non_null(s);
    r = dvc_regex_search(re, s, subject, strlen(subject));
    dvc_regex_scratch_free(A, s);
    dvc_regex_free(A, re);
    return r;
}

static int
valid(const char *pat)
{
    return dvc_regex_valid(A, pat, strlen(pat));
}

static void
test_ecma_classes(void **state)
{
    (void) state;
    assert_int_equal(search("^\\d+$", "0123456789"), 1);
    assert_int_equal(search("^\\d$", "\xdf\x80"), 0);            /* NKO digit zero */
    assert_int_equal(search("^\\D$", "\xdf\x80"), 1);
    assert_int_equal(search("^\\w$", "\xc3\xa9"), 0);            /* e-acute */
    assert_int_equal(search("^\\W$", "\xc3\xa9"), 1);
    assert_int_equal(search("^[\\w]$", "_"), 1);
    assert_int_equal(search("^[^\\W]$", "\xc3\xa9"), 0);
    assert_int_equal(search("^\\s$", "\xef\xbb\xbf"), 1);        /* U+FEFF */
    assert_int_equal(search("^\\s$", "\xc2\xa0"), 1);            /* NBSP */
    assert_int_equal(search("^\\s$", "\xe2\x80\xa9"), 1);        /* U+2029 */
    assert_int_equal(search("^\\s$", "\xe2\x80\x83"), 1);        /* EM SPACE */
    assert_int_equal(search("^\\s$", "\xe2\x80\x93"), 0);        /* EN DASH */
    assert_int_equal(search("^\\S$", "\xc2\xa0"), 0);
    assert_int_equal(search("^[\\S]$", "\xc2\xa0"), 0);
    assert_int_equal(search("^[\\S]$", "\xe2\x80\x93"), 1);
    assert_int_equal(search("^[\\s\\d]+$", "1 2\t3"), 1);
    /* . excludes every ECMA line terminator */
    assert_int_equal(search("^.$", "\r"), 0);
    assert_int_equal(search("^.$", "\xe2\x80\xa8"), 0);
    assert_int_equal(search("^.$", "\xf0\x9f\x90\xb2"), 1);      /* one code point */
    assert_int_equal(search("^[^]$", "\n"), 1);
    assert_int_equal(search("[]", "anything"), 0);
    assert_int_equal(search("^[^]*$", ""), 1);
    /* word boundaries are ASCII in ECMA-262 */
    assert_int_equal(search("\\bcole", "l'\xc3\xa9" "cole"), 1);
    assert_int_equal(search("\\p{Letter}cole", "l'\xc3\xa9" "cole"), 1);
    assert_int_equal(search("^\\p{Lu}", "\xc3\x89"), 1);
    assert_int_equal(search("^\\p{gc=Lowercase_Letter}$", "\xc3\xa9"), 1);
    assert_int_equal(search("^\\p{Script=Greek}+$", "\xcf\x80"), 1);
    assert_int_equal(search("^\\P{Script=Greek}$", "p"), 1);
    assert_int_equal(search("^\\p{digit}+$", "\xe0\xa7\xaa\xe0\xa7\xa8"), 1);
    /* Vietnamese letters with a class of precomposed characters */
    assert_int_equal(search("^[\\p{L} ]+$", "Nguy\xe1\xbb\x85n V\xc4\x83n A"), 1);
}

static void
test_ecma_escapes(void **state)
{
    (void) state;
    assert_int_equal(search("^\\cC$", "\x03"), 1);
    assert_int_equal(search("^\\cc$", "\x03"), 1);
    assert_int_equal(search("^\\t$", "\t"), 1);
    assert_int_equal(search("^\\t$", "\\t"), 0);
    assert_int_equal(search("^\\v$", "\x0b"), 1);
    assert_int_equal(search("^\\v$", "\n"), 0);                   /* not PCRE2's \v */
    assert_int_equal(search("^\\u00e9$", "\xc3\xa9"), 1);
    assert_int_equal(search("^\\u{1F432}$", "\xf0\x9f\x90\xb2"), 1);
    assert_int_equal(search("^\\uD83D\\uDC32*$", "\xf0\x9f\x90\xb2\xf0\x9f\x90\xb2"), 1);
    assert_int_equal(search("^\\uD83D\\uDC32*$", "\xf0\x9f\x90\x89"), 0);
    assert_int_equal(search("^[\\uD83D\\uDC32-\\uD83D\\uDC3F]$", "\xf0\x9f\x90\xb5"), 1);
    assert_int_equal(search("^\\x41$", "A"), 1);
    assert_int_equal(search("^a\\0$", "a"), 0);
    assert_int_equal(search("^[\\b]$", "\b"), 1);
    assert_int_equal(search("^\\/\\.\\*$", "/.*"), 1);
    assert_int_equal(search("^[\\-a]+$", "-a-"), 1);
    assert_int_equal(search("(?<y>\\d{4})-\\k<y>", "2024-2024"), 1);
    assert_int_equal(search("(a)\\1", "aa"), 1);
    assert_int_equal(search("(?i:abc)", "xABC"), 1);
    /* no POSIX classes: [[:a] is the class of '[', ':' and 'a' */
    assert_int_equal(search("^[[:a]+$", "[:a"), 1);
    assert_int_equal(search("^[[:a]+$", "b"), 0);
    assert_int_equal(search("a b#c", "a b#c"), 1);
    /* $ only at the very end; a search, not anchored */
    assert_int_equal(search("^abc$", "abc\n"), 0);
    assert_int_equal(search("a+", "xxaayy"), 1);
    assert_int_equal(search("x{2,3}", "axxb"), 1);
    assert_int_equal(search("a*?b", "aab"), 1);
}

static void
test_rejected(void **state)
{
    static const char *bad[] = {
        "\\a", "\\e", "\\z", "\\Z", "\\A", "\\h", "\\R", "\\Q.\\E", "\\K", "\\G",
        "(?i)abc", "(?ims)abc", "(?P<name>x)", "(?P<n>a)(?P=n)", "(?#comment)a",
        "^(abc]", "a{", "a}", "]", "a++", "a{2}*", "a???", "(*ACCEPT)", "\\c1",
        "\\u12", "\\u{110000}", "\\x4", "[z-a]", "[\\d-z]", "\\p{Nonsense}",
        "\\p{Foo=Bar}", "\\01", "(?<1a>x)", "\\k<n>", "(", "[a", "\\", "\\2(a)",
        "*a", "a{2,1}", "[[:alpha:]]", "(?=a)*", "(?!a){2}", "(?<=a)?",
        "(?<!a)+", "^*", "\\b+",
    };
    size_t  i;
    char    err[200];

    (void) state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (valid(bad[i])) {
            fail_msg("accepted /%s/", bad[i]);
        }
        assert_null(dvc_regex_compile(A, bad[i], strlen(bad[i]), err, sizeof(err)));
        assert_true(err[0] != '\0');
    }
    assert_null(dvc_regex_compile(A, "a\xff", 2, err, sizeof(err)));
    assert_non_null(strstr(err, "UTF-8"));
    assert_true(valid("(?<=a+)b"));                 /* ES2018, beyond PCRE2 10.42 */
    assert_true(valid("[]"));
    assert_true(valid("[^]"));
    assert_true(valid("\\cA"));
    assert_true(valid("(?<name>x)"));
    assert_true(valid("(?<n>a)\\k<n>"));
    assert_true(valid("([abc])+\\s+$"));
    assert_true(valid("^[0-9]{2,}$"));
    assert_true(valid("((?=a)b)*"));
    assert_true(valid("(?:a)*?"));
    assert_true(valid("(a)+(?=b)"));
}

/* Catastrophic backtracking gives -1 quickly instead of hanging a worker. */
static void
test_limits(void **state)
{
    char     subject[64];
    clock_t  t0;

    (void) state;
    memset(subject, 'a', sizeof(subject) - 2);
    subject[sizeof(subject) - 2] = '!';
    subject[sizeof(subject) - 1] = '\0';
    t0 = clock();
    assert_int_equal(search("^(a+)+$", subject), -1);
    assert_int_equal(search("^(a|a)*$", subject), -1);
    assert_true((double) (clock() - t0) / CLOCKS_PER_SEC < 5.0);
    /* invalid UTF-8 in a subject is an error, not a silent mismatch */
    {
        char                  e[100];
        dvc_regex_t          *re = dvc_regex_compile(A, "a", 1, e, sizeof(e));
        dvc_regex_scratch_t  *s = dvc_regex_scratch_new(A);

        assert_int_equal(dvc_regex_search(re, s, "a\xc3", 2), -1);
        assert_int_equal(dvc_regex_search(re, s, "", 0), 0);
        dvc_regex_scratch_free(A, s);
        dvc_regex_free(A, re);
    }
}

/* A long subject that needs more than PCRE2's default JIT stack still
 * matches: the scratch grows its stack on demand. */
static void
test_long_subject(void **state)
{
    size_t                n = 100000;
    char                 *sub = malloc(n + 1), e[100];
    dvc_regex_t          *re = dvc_regex_compile(A, "^(a|b)*c$", 9, e, sizeof(e));
    dvc_regex_scratch_t  *s = dvc_regex_scratch_new(A);

    (void) state;
    assert_non_null(sub);
    assert_non_null(re);
    memset(sub, 'a', n);
    sub[n] = 'c';
    assert_int_equal(dvc_regex_search(re, s, sub, n + 1), 1);
    assert_int_equal(dvc_regex_search(re, s, sub, n), 0);
    dvc_regex_scratch_free(A, s);
    dvc_regex_free(A, re);
    free(sub);
}

/* A long pattern of classes is refused before it costs memory. */
static void
test_translation_bound(void **state)
{
    size_t  n = 200000, i;
    char   *pat = malloc(n * 2), err[100];

    (void) state;
    assert_non_null(pat);
    for (i = 0; i < n; i++) {
        pat[2 * i] = '\\';
        pat[2 * i + 1] = 'S';
    }
    assert_null(dvc_regex_compile(A, pat, n * 2, err, sizeof(err)));
    assert_non_null(strstr(err, "too long"));
    assert_false(dvc_regex_valid(A, pat, n * 2));
    free(pat);
}

/* One scratch serves many regexes, one regex many scratches. */
static void
test_shared(void **state)
{
    char                  e[100];
    dvc_regex_t          *r1 = dvc_regex_compile(A, "^\\d{12}$", 8, e, sizeof(e));
    dvc_regex_t          *r2 = dvc_regex_compile(A, "H\\d\\d$", 6, e, sizeof(e));
    dvc_regex_scratch_t  *s1 = dvc_regex_scratch_new(A), *s2 = dvc_regex_scratch_new(A);

    (void) state;
    assert_non_null(r1);
    assert_non_null(r2);
    assert_int_equal(dvc_regex_search(r1, s1, "001099012345", 12), 1);
    assert_int_equal(dvc_regex_search(r2, s1, "000.00.10.H47", 13), 1);
    assert_int_equal(dvc_regex_search(r1, s2, "00109901234", 11), 0);
    assert_int_equal(dvc_regex_search(r2, s2, "000.00.10.H4", 12), 0);
    dvc_regex_scratch_free(A, s1);
    dvc_regex_scratch_free(A, s2);
    dvc_regex_free(A, r1);
    dvc_regex_free(A, r2);
}

static int
schema_allows(yajl_val sub, yajl_val v)
{
    yajl_val  type;

    if (YAJL_IS_TRUE(sub)) {
        return 1;
    }
    if (YAJL_IS_FALSE(sub)) {
        return 0;
    }
    type = suite_get(sub, "type");
    if (type != NULL && strcmp(type->u.string, "integer") == 0) {
        return YAJL_IS_INTEGER(v);
    }
    if (type != NULL && strcmp(type->u.string, "number") == 0) {
        return YAJL_IS_NUMBER(v);
    }
    return -1;
}

static int
regex_case(yajl_val schema, yajl_val data, int *applies)
{
    yajl_val    pat = suite_get(schema, "pattern"), pp, addl, fmt, t;
    const char *p;
    size_t      i;
    int         ok = 1, m, a;

    *applies = 1;
    fmt = suite_get(schema, "format");
    if (fmt != NULL && strcmp(fmt->u.string, "regex") == 0) {
        return !YAJL_IS_STRING(data) || valid(data->u.string);
    }
    t = suite_get(schema, "type");
    if (t != NULL && strcmp(t->u.string, "string") == 0 && !YAJL_IS_STRING(data)) {
        return 0;
    }
    if (pat != NULL) {
        if (!YAJL_IS_STRING(data)) {
            return 1;
        }
        m = search(pat->u.string, data->u.string);
        assert_true(m >= 0);
        return m;
    }
    pp = suite_get(schema, "patternProperties");
    if (pp == NULL || pp->u.object.len != 1) {
        *applies = 0;
        return 0;
    }
    if (!YAJL_IS_OBJECT(data)) {
        return 1;
    }
    addl = suite_get(schema, "additionalProperties");
    p = pp->u.object.keys[0];
    for (i = 0; i < data->u.object.len; i++) {
        m = search(p, data->u.object.keys[i]);
        assert_true(m >= 0);
        if (m) {
            a = schema_allows(pp->u.object.values[0], data->u.object.values[i]);
            if (a < 0) {
                *applies = 0;
            }
            ok &= a == 1;
        } else if (addl != NULL && YAJL_IS_FALSE(addl)) {
            ok = 0;
        }
    }
    return ok;
}

static void
test_suite_files(void **state)
{
    static const char *files[] = {
        "tests/draft2020-12/pattern.json", "tests/draft2020-12/patternProperties.json",
        "tests/draft2020-12/optional/ecmascript-regex.json",
        "tests/draft2020-12/optional/non-bmp-regex.json",
        "tests/draft2020-12/optional/format/regex.json",
        "tests/draft2020-12/optional/format/ecmascript-regex.json",
    };

    (void) state;
    suite_check_files(files, sizeof(files) / sizeof(files[0]), regex_case, "regex");
}

/* Simple patterns (searched without PCRE2) answer as PCRE2 does: each is
 * compared with the same pattern inside a group, which PCRE2 runs. */
static void
test_simple_patterns(void **state)
{
    static const char *simple[] = {
        "^[0-9]{12}$", "^[0-9]{2}$", "^[A-Z]{2}$", "^[^0-9<>{}]+$",
        "^\\d{3}-\\d{4}$", "^[a-f0-9]{64}$", "^[a-z]+[0-9]*$", "^\\w+$",
        "^[A-Z][a-z]*$", "^[^a]*a", "^x?y$", "^\\D\\W$", "^[\\]\\-.]+$",
        "^a{2,}b{0,3}$", "^[^\\d]+\\d$", "^/[a-z/]*$", "^0[35789]\\d{8}$",
        "^[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9]{2}$",
    };
    static const char *not_simple[] = {
        "^[a-z]*[a-z]$", "^(0|\\+84)[0-9]{9}$", "[0-9]+$", "^.+$",
        "^\\s*$", "^a+?$", "^[^a]*[^b]$", "^\\w+\\d$", "^\u00e9+$", "^$",
    };
    static const char *subjects[] = {
        "", "0", "00", "001089012345", "00108901234", "0010890123456",
        "VN", "vn", "V", "Nguy\xe1\xbb\x85n V\xc4\x83n H\xc3\xb9ng",
        "An 2", "<b>", "123-4567", "1234567", "abc", "abc123", "abc1x",
        "Ab", "Abc", "AbC", "xa", "bbba", "y", "xy", "xxy", "a\xc3\xa9",
        "9\xc3\xa9", "]-.", "aab", "aabbbb", "aa", "abc1", "\xc3\xa9\xc3\xa9",
        "/a/b", "a/b", "0912345678", "0212345678", "000.00.10.H47",
        "000.00.10.h47", "\xe1\xbb\x85", "9f86d081884c7d659a2feaa0c55ad015"
        "a3bf4f1b2b0b822cd15d6c15b0f00a08",
        /* runs tested eight bytes at a time: a byte outside the class at
         * each end of a block of eight, and just past a block */
        "9f86d08g884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "9f86d081g84c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "9f86d081884c7d6g9a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0G",
        "00108901x345", "0010890123x5", "00108901234x",
        "Tr\xe1\xba\xa7n Th\xe1\xbb\x8b Thu H\xc6\xb0\xc6\xa1ng",
        "Tr\xe1\xba\xa7n Th\xe1\xbb\x8b 7hu H\xc6\xb0\xc6\xa1ng",
        "S\xe1\xbb\x91 12 ng\xc3\xb5 34", "abcdefgh<", "abcdefg{h",
    };
    dvc_regex_scratch_t *sc = dvc_regex_scratch_new(A);
    char                 err[200], wrapped[128];
    size_t               i, j, n;
    dvc_regex_t         *re, *ref;

    (void) state;
    assert_non_null(sc);
    for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
        re = dvc_regex_compile(A, simple[i], strlen(simple[i]), err,
                               sizeof(err));
        assert_non_null(re);
        if (!dvc_regex_is_simple(re)) {
            fail_msg("%s: expected simple", simple[i]);
        }
        /* "^X$" -> "^(?:X)$", "^X" -> "^(?:X)" */
        n = strlen(simple[i]);
        if (simple[i][n - 1] == '$') {
            snprintf(wrapped, sizeof(wrapped), "^(?:%.*s)$", (int) n - 2,
                     simple[i] + 1);
        } else {
            snprintf(wrapped, sizeof(wrapped), "^(?:%s)", simple[i] + 1);
        }
        ref = dvc_regex_compile(A, wrapped, strlen(wrapped), err,
                                sizeof(err));
        assert_non_null(ref);
        assert_false(dvc_regex_is_simple(ref));
        for (j = 0; j < sizeof(subjects) / sizeof(subjects[0]); j++) {
            int a = dvc_regex_search(re, sc, subjects[j], strlen(subjects[j]));
            int b = dvc_regex_search(ref, sc, subjects[j],
                                     strlen(subjects[j]));
            int c = dvc_regex_search_utf8(re, sc, subjects[j],
                                          strlen(subjects[j]));

            if (a != b || a != c) {
                fail_msg("%s on \"%s\": simple %d/%d, PCRE2 %d", simple[i],
                         subjects[j], a, c, b);
            }
        }
        /* invalid UTF-8 is an error on the checking path, as with PCRE2 */
        assert_int_equal(dvc_regex_search(re, sc, "a\xc3", 2), -1);
        dvc_regex_free(A, ref);
        dvc_regex_free(A, re);
    }
    for (i = 0; i < sizeof(not_simple) / sizeof(not_simple[0]); i++) {
        re = dvc_regex_compile(A, not_simple[i], strlen(not_simple[i]), err,
                               sizeof(err));
        assert_non_null(re);
        if (dvc_regex_is_simple(re)) {
            fail_msg("%s: expected PCRE2", not_simple[i]);
        }
        dvc_regex_free(A, re);
    }
    assert_int_equal(search("^[0-9]{12}$", "001089012345"), 1);
    assert_int_equal(search("^[^0-9<>{}]+$", "Tr\xe1\xba\xa7n Th\xe1\xbb\x8b"), 1);
    assert_int_equal(search("^[^0-9<>{}]+$", "Tr\xe1\xba\xa7n 2"), 0);
    dvc_regex_scratch_free(A, sc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecma_classes),
        cmocka_unit_test(test_simple_patterns),
        cmocka_unit_test(test_ecma_escapes),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_shared),
        cmocka_unit_test(test_translation_bound),
        cmocka_unit_test(test_long_subject),
        cmocka_unit_test(test_suite_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
