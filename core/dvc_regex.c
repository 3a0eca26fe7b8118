/*
 * ECMA-262 (unicode mode) to PCRE2 translation, and the compiled regex.
 *
 * The translator reads the ECMA pattern once and writes a PCRE2 pattern in
 * which every character class is spelt out with \x{...} code points, so no
 * PCRE2-only meaning (POSIX [:classes:], \v as a class, \Q...\E) can leak in.
 * Grouping, alternation and quantifiers are copied; PCRE2 then checks the
 * structure (balanced parentheses, quantifier targets, back-references).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dvc_regex.h"
#include "dvc_utf8.h"

/* One step of a simple pattern: a set of code points, repeated min..max
 * times (see simple_parse). */
typedef struct {
    uint64_t  ascii[2];     /* ASCII code points of the set */
    uint8_t   other;        /* every code point above U+007F too */
    uint32_t  min, max;
    /* per byte: SIMPLE_CP a code point of the set starts here,
     * SIMPLE_CONT the rest of one (a UTF-8 continuation byte, when the
     * set holds non-ASCII code points), 0 no match */
    uint8_t   tab[256];
} simple_item_t;

/* both odd: the AND of any entries in the set is non-zero (simple_match
 * tests eight bytes with one AND) */
#define SIMPLE_CP         1
#define SIMPLE_CONT       3
#define SIMPLE_MAX_ITEMS  16
#define SIMPLE_UNBOUNDED  UINT32_MAX

struct dvc_regex {
    pcre2_code     *code;
    int             jit;            /* JIT-compiled: pcre2_jit_match */
    /* nitems > 0: a simple pattern, searched without PCRE2 */
    size_t          nitems;
    int             anchored_end;   /* ends with $ */
    simple_item_t   items[SIMPLE_MAX_ITEMS];
};

struct dvc_regex_scratch {
    pcre2_general_context  *gctx;
    pcre2_match_context    *mctx;
    pcre2_match_data       *md;
    pcre2_jit_stack        *jit;
};

/* ECMA-262 WhiteSpace and LineTerminator, and the complements of \s \d \w
 * as ranges (PCRE2's own \S \D \W follow its character tables instead). */
#define WS_SET  "\\x{9}-\\x{d}\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}" \
                "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}"
#define NWS_SET "\\x{0}-\\x{8}\\x{e}-\\x{1f}\\x{21}-\\x{9f}\\x{a1}-\\x{167f}" \
                "\\x{1681}-\\x{1fff}\\x{200b}-\\x{2027}\\x{202a}-\\x{202e}" \
                "\\x{2030}-\\x{205e}\\x{2060}-\\x{2fff}\\x{3001}-\\x{fefe}" \
                "\\x{ff00}-\\x{10ffff}"
#define D_SET   "0-9"
#define ND_SET  "\\x{0}-\\x{2f}\\x{3a}-\\x{10ffff}"
#define W_SET   "A-Za-z0-9_"
#define NW_SET  "\\x{0}-\\x{2f}\\x{3a}-\\x{40}\\x{5b}-\\x{5e}\\x{60}" \
                "\\x{7b}-\\x{10ffff}"
#define ANY_SET "\\x{0}-\\x{10ffff}"

#define TR_MAX_DEPTH 250    /* PCRE2's default parentheses nesting limit */

typedef struct {
    const unsigned char  *start;
    const unsigned char  *p;
    const unsigned char  *end;
    dvc_buf_t            *out;
    char                 *err;
    size_t                errlen;
    /* open groups, 1 for a lookaround: ECMA-262 (unicode mode) does not let
     * a quantifier follow an assertion, PCRE2 does */
    unsigned char         group[TR_MAX_DEPTH];
    int                   depth;
} tr_t;

/* A class atom: one code point, or a set (\d, \p{..}) already spelt out. */
typedef struct {
    int          is_set;
    uint32_t     cp;
    const char  *set;
    char         prop[80];
} atom_t;

static int
tr_fail(tr_t *t, const char *msg)
{
    if (t->errlen > 0) {
        snprintf(t->err, t->errlen, "%s at offset %zu", msg,
                 (size_t) (t->p - t->start));
    }
    return -1;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static int
is_syntax_char(int c)
{
    return c != 0 && strchr("^$\\.*+?()[]{}|/", c) != NULL;
}

/* Reads exactly n hex digits. */
static int
read_hex(tr_t *t, int n, uint32_t *v)
{
    int  i, h;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (t->p >= t->end || (h = hexval(*t->p)) < 0) {
            return -1;
        }
        *v = *v * 16 + (uint32_t) h;
        t->p++;
    }
    return 0;
}

/* After "\u": XXXX (a surrogate pair \uHHHH\uLLLL is one code point) or
 * {X...}.  *cp gets 0xD800.. for a lone surrogate. */
static int
read_u_escape(tr_t *t, uint32_t *cp)
{
    uint32_t             lo;
    const unsigned char *save;
    int                  h, n = 0;

    if (t->p < t->end && *t->p == '{') {
        t->p++;
        *cp = 0;
        while (t->p < t->end && (h = hexval(*t->p)) >= 0) {
            *cp = *cp * 16 + (uint32_t) h;
            if (*cp > 0x10FFFF) {
                return tr_fail(t, "\\u{...} beyond U+10FFFF");
            }
            t->p++;
            n++;
        }
        if (n == 0 || t->p >= t->end || *t->p != '}') {
            return tr_fail(t, "malformed \\u{...} escape");
        }
        t->p++;
        return 0;
    }
    if (read_hex(t, 4, cp) != 0) {
        return tr_fail(t, "malformed \\u escape");
    }
    if (*cp >= 0xD800 && *cp <= 0xDBFF && t->end - t->p >= 6
        && t->p[0] == '\\' && t->p[1] == 'u')
    {
        save = t->p;
        t->p += 2;
        if (read_hex(t, 4, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
            return 0;
        }
        t->p = save;
    }
    return 0;
}

static const struct {
    const char  *name;
    const char  *pcre;
} gc_names[] = {
    { "Letter", "L" }, { "Cased_Letter", "L&" }, { "Uppercase_Letter", "Lu" },
    { "Lowercase_Letter", "Ll" }, { "Titlecase_Letter", "Lt" },
    { "Modifier_Letter", "Lm" }, { "Other_Letter", "Lo" }, { "Mark", "M" },
    { "Combining_Mark", "M" }, { "Nonspacing_Mark", "Mn" },
    { "Spacing_Mark", "Mc" }, { "Enclosing_Mark", "Me" }, { "Number", "N" },
    { "Decimal_Number", "Nd" }, { "digit", "Nd" }, { "Letter_Number", "Nl" },
    { "Other_Number", "No" }, { "Punctuation", "P" }, { "punct", "P" },
    { "Connector_Punctuation", "Pc" }, { "Dash_Punctuation", "Pd" },
    { "Open_Punctuation", "Ps" }, { "Close_Punctuation", "Pe" },
    { "Initial_Punctuation", "Pi" }, { "Final_Punctuation", "Pf" },
    { "Other_Punctuation", "Po" }, { "Symbol", "S" }, { "Math_Symbol", "Sm" },
    { "Currency_Symbol", "Sc" }, { "Modifier_Symbol", "Sk" },
    { "Other_Symbol", "So" }, { "Separator", "Z" }, { "Space_Separator", "Zs" },
    { "Line_Separator", "Zl" }, { "Paragraph_Separator", "Zp" },
    { "Other", "C" }, { "Control", "Cc" }, { "cntrl", "Cc" }, { "Format", "Cf" },
    { "Surrogate", "Cs" }, { "Private_Use", "Co" }, { "Unassigned", "Cn" },
    { "LC", "L&" },
};

static const char *
gc_lookup(const char *v, size_t n)
{
    size_t  i;

    for (i = 0; i < sizeof(gc_names) / sizeof(gc_names[0]); i++) {
        if (strlen(gc_names[i].name) == n && memcmp(gc_names[i].name, v, n) == 0) {
            return gc_names[i].pcre;
        }
    }
    return NULL;
}

/* After "\p" or "\P": {Name}, {Name=Value}; written into a->prop as a PCRE2
 * \p{...} / \P{...}.  Long General_Category names, which PCRE2 10.42 does
 * not know, are mapped to the short ones. */
static int
read_property(tr_t *t, int negated, atom_t *a)
{
    const unsigned char  *name, *eq = NULL, *q;
    const char           *mapped, *prefix = "";
    size_t                nlen, vlen;
    const char           *val;

    if (t->p >= t->end || *t->p != '{') {
        return tr_fail(t, "\\p needs {property}");
    }
    name = ++t->p;
    for (q = name; q < t->end && *q != '}'; q++) {
        if (*q == '=' && eq == NULL) {
            eq = q;
        } else if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z')
                     || (*q >= '0' && *q <= '9') || *q == '_'))
        {
            return tr_fail(t, "invalid character in \\p{...}");
        }
    }
    if (q >= t->end || q == name) {
        return tr_fail(t, "unterminated or empty \\p{...}");
    }
    t->p = q + 1;
    if (eq != NULL) {
        nlen = (size_t) (eq - name);
        val = (const char *) eq + 1;
        vlen = (size_t) (q - eq - 1);
        if (vlen == 0) {
            return tr_fail(t, "empty value in \\p{...}");
        }
        if ((nlen == 16 && memcmp(name, "General_Category", 16) == 0)
            || (nlen == 2 && memcmp(name, "gc", 2) == 0))
        {
            mapped = gc_lookup(val, vlen);
            if (mapped != NULL) {
                val = mapped;
                vlen = strlen(mapped);
            }
        } else if ((nlen == 6 && memcmp(name, "Script", 6) == 0)
                   || (nlen == 2 && memcmp(name, "sc", 2) == 0))
        {
            prefix = "sc:";
        } else if ((nlen == 18 && memcmp(name, "Script_Extensions", 17) == 0)
                   || (nlen == 17 && memcmp(name, "Script_Extensions", 17) == 0)
                   || (nlen == 3 && memcmp(name, "scx", 3) == 0))
        {
            prefix = "scx:";
        } else {
            return tr_fail(t, "unknown property name in \\p{...}");
        }
    } else {
        val = (const char *) name;
        vlen = (size_t) (q - name);
        mapped = gc_lookup(val, vlen);
        if (mapped != NULL) {
            val = mapped;
            vlen = strlen(mapped);
        }
    }
    if (vlen + 16 > sizeof(a->prop)) {
        return tr_fail(t, "property name too long");
    }
    snprintf(a->prop, sizeof(a->prop), "\\%c{%s%.*s}", negated ? 'P' : 'p',
             prefix, (int) vlen, val);
    a->is_set = 1;
    a->set = a->prop;
    return 0;
}

/*
 * The escapes ECMA allows both inside and outside a class (after the
 * backslash): control escapes, \c, \0, \x, \u, \p, class escapes and
 * identity escapes of syntax characters.  Returns 1 when handled, 0 when
 * the caller must decide (\b, \B, \k, digits, \-), -1 on error.
 */
static int
read_common_escape(tr_t *t, atom_t *a)
{
    int       c = *t->p;
    uint32_t  v;

    memset(a, 0, sizeof(*a));
    switch (c) {
    case 'f': a->cp = 0x0C; break;
    case 'n': a->cp = 0x0A; break;
    case 'r': a->cp = 0x0D; break;
    case 't': a->cp = 0x09; break;
    case 'v': a->cp = 0x0B; break;
    case 'd': a->is_set = 1; a->set = "d"; break;
    case 'D': a->is_set = 1; a->set = "D"; break;
    case 'w': a->is_set = 1; a->set = "w"; break;
    case 'W': a->is_set = 1; a->set = "W"; break;
    case 's': a->is_set = 1; a->set = "s"; break;
    case 'S': a->is_set = 1; a->set = "S"; break;
    case 'c':
        t->p++;
        if (t->p >= t->end || !((*t->p >= 'A' && *t->p <= 'Z')
                                || (*t->p >= 'a' && *t->p <= 'z')))
        {
            return tr_fail(t, "\\c must be followed by a letter");
        }
        a->cp = (uint32_t) (*t->p % 32);
        break;
    case '0':
        if (t->p + 1 < t->end && t->p[1] >= '0' && t->p[1] <= '9') {
            return tr_fail(t, "octal escapes are not allowed");
        }
        a->cp = 0;
        break;
    case 'x':
        t->p++;
        if (read_hex(t, 2, &v) != 0) {
            return tr_fail(t, "\\x needs two hex digits");
        }
        a->cp = v;
        return 1;
    case 'u':
        t->p++;
        if (read_u_escape(t, &v) != 0) {
            return -1;
        }
        a->cp = v;
        return 1;
    case 'p':
    case 'P':
        t->p++;
        return read_property(t, c == 'P', a) == 0 ? 1 : -1;
    default:
        if (is_syntax_char(c)) {
            a->cp = (uint32_t) c;
            break;
        }
        return 0;
    }
    t->p++;
    return 1;
}

static void
emit_cp(tr_t *t, uint32_t cp)
{
    dvc_buf_printf(t->out, "\\x{%x}", (unsigned) cp);
}

static int
is_surrogate(uint32_t cp)
{
    return cp >= 0xD800 && cp <= 0xDFFF;
}

/* A set atom inside a class: the ranges it stands for. */
static void
emit_set_in_class(tr_t *t, const atom_t *a)
{
    const char  *s = a->set;

    if (s == a->prop) {
        dvc_buf_puts(t->out, s);
    } else if (*s == 'd') {
        dvc_buf_puts(t->out, D_SET);
    } else if (*s == 'D') {
        dvc_buf_puts(t->out, ND_SET);
    } else if (*s == 'w') {
        dvc_buf_puts(t->out, W_SET);
    } else if (*s == 'W') {
        dvc_buf_puts(t->out, NW_SET);
    } else if (*s == 's') {
        dvc_buf_puts(t->out, WS_SET);
    } else {
        dvc_buf_puts(t->out, NWS_SET);
    }
}

/* One class atom at t->p (not ']'). */
static int
read_class_atom(tr_t *t, atom_t *a)
{
    size_t  n;
    int     r;

    memset(a, 0, sizeof(*a));
    if (*t->p != '\\') {
        n = dvc_utf8_decode(t->p, (size_t) (t->end - t->p), &a->cp);
        t->p += n;
        return 0;
    }
    t->p++;
    if (t->p >= t->end) {
        return tr_fail(t, "\\ at end of pattern");
    }
    r = read_common_escape(t, a);
    if (r < 0) {
        return -1;
    }
    if (r == 1) {
        return 0;
    }
    if (*t->p == 'b') {
        a->cp = 0x08;
    } else if (*t->p == '-') {
        a->cp = '-';
    } else {
        return tr_fail(t, "invalid escape in character class");
    }
    t->p++;
    return 0;
}

/* After '[' (t->p on the first character inside). */
static int
translate_class(tr_t *t)
{
    int      negated = 0, items = 0;
    atom_t   lo, hi;
    size_t   start;

    if (t->p < t->end && *t->p == '^') {
        negated = 1;
        t->p++;
    }
    if (t->p < t->end && *t->p == ']') {
        t->p++;
        /* [] matches nothing, [^] any character (line terminators too) */
        dvc_buf_puts(t->out, negated ? "[" ANY_SET "]" : "(?!)");
        return 0;
    }
    start = t->out->len;
    dvc_buf_puts(t->out, negated ? "[^" : "[");
    for ( ;; ) {
        if (t->p >= t->end) {
            return tr_fail(t, "missing ] of a character class");
        }
        if (*t->p == ']') {
            t->p++;
            break;
        }
        if (read_class_atom(t, &lo) != 0) {
            return -1;
        }
        if (t->end - t->p >= 2 && t->p[0] == '-' && t->p[1] != ']') {
            t->p++;
            if (read_class_atom(t, &hi) != 0) {
                return -1;
            }
            if (lo.is_set || hi.is_set) {
                return tr_fail(t, "a class escape cannot bound a range");
            }
            if (lo.cp > hi.cp) {
                return tr_fail(t, "range out of order in character class");
            }
            if (is_surrogate(lo.cp) && is_surrogate(hi.cp)) {
                continue;   /* lone surrogates never occur in UTF-8 text */
            }
            emit_cp(t, is_surrogate(lo.cp) ? 0xE000 : lo.cp);
            dvc_buf_putc(t->out, '-');
            emit_cp(t, is_surrogate(hi.cp) ? 0xD7FF : hi.cp);
            items++;
            continue;
        }
        if (lo.is_set) {
            emit_set_in_class(t, &lo);
        } else if (!is_surrogate(lo.cp)) {
            emit_cp(t, lo.cp);
        } else {
            continue;
        }
        items++;
    }
    if (items == 0) {
        /* only lone surrogates: like [] or [^] */
        t->out->len = start;
        dvc_buf_puts(t->out, negated ? "[" ANY_SET "]" : "(?!)");
        return 0;
    }
    dvc_buf_putc(t->out, ']');
    return 0;
}

static int
is_quantifier_brace(const unsigned char *p, const unsigned char *end)
{
    const unsigned char  *q = p + 1;

    if (q >= end || !(*q >= '0' && *q <= '9')) {
        return 0;
    }
    while (q < end && *q >= '0' && *q <= '9') {
        q++;
    }
    if (q < end && *q == ',') {
        q++;
        while (q < end && *q >= '0' && *q <= '9') {
            q++;
        }
    }
    return q < end && *q == '}' ? (int) (q - p + 1) : 0;
}

static int
is_group_name_char(int c, int first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$'
           || (!first && c >= '0' && c <= '9');
}

/* After "\k": <name>. */
static int
translate_named_ref(tr_t *t)
{
    const unsigned char  *q;

    if (t->p >= t->end || *t->p != '<') {
        return tr_fail(t, "\\k needs <name>");
    }
    for (q = t->p + 1; q < t->end && *q != '>'; q++) {
        if (!is_group_name_char(*q, q == t->p + 1)) {
            return tr_fail(t, "invalid group name");
        }
    }
    if (q >= t->end || q == t->p + 1) {
        return tr_fail(t, "unterminated group name");
    }
    dvc_buf_puts(t->out, "\\k");
    dvc_buf_append(t->out, t->p, (size_t) (q - t->p + 1));
    t->p = q + 1;
    return 0;
}

/* After '\\' outside a class. */
static int
translate_escape(tr_t *t)
{
    atom_t                a;
    int                   r;
    const unsigned char  *q;

    if (t->p >= t->end) {
        return tr_fail(t, "\\ at end of pattern");
    }
    r = read_common_escape(t, &a);
    if (r < 0) {
        return -1;
    }
    if (r == 1) {
        if (a.is_set) {
            if (a.set == a.prop) {
                dvc_buf_puts(t->out, a.prop);
            } else {
                dvc_buf_putc(t->out, '[');
                emit_set_in_class(t, &a);
                dvc_buf_putc(t->out, ']');
            }
        } else if (is_surrogate(a.cp)) {
            dvc_buf_puts(t->out, "(?!)");
        } else {
            emit_cp(t, a.cp);
        }
        return 0;
    }
    switch (*t->p) {
    case 'b':
    case 'B':
        /* ASCII word boundary, as PCRE2 without UCP */
        dvc_buf_putc(t->out, '\\');
        dvc_buf_putc(t->out, (char) *t->p);
        t->p++;
        return 0;
    case 'k':
        t->p++;
        return translate_named_ref(t);
    default:
        if (*t->p >= '1' && *t->p <= '9') {
            for (q = t->p; q < t->end && *q >= '0' && *q <= '9'; q++) {
                /* the whole decimal number is the group */
            }
            if (q - t->p > 5) {
                return tr_fail(t, "back-reference number too large");
            }
            dvc_buf_puts(t->out, "\\g{");
            dvc_buf_append(t->out, t->p, (size_t) (q - t->p));
            dvc_buf_putc(t->out, '}');
            t->p = q;
            return 0;
        }
    }
    return tr_fail(t, "invalid escape (not ECMA-262)");
}

/* After "(?". */
static int
translate_group(tr_t *t)
{
    const unsigned char  *q;
    int                   on = 0, off = 0, seen_dash = 0;

    if (t->p >= t->end) {
        return tr_fail(t, "unterminated group");
    }
    if (*t->p == ':' || *t->p == '=' || *t->p == '!') {
        t->group[t->depth - 1] = *t->p != ':';
        dvc_buf_puts(t->out, "(?");
        dvc_buf_putc(t->out, (char) *t->p++);
        return 0;
    }
    if (*t->p == '<') {
        if (t->p + 1 < t->end && (t->p[1] == '=' || t->p[1] == '!')) {
            t->group[t->depth - 1] = 1;
            dvc_buf_puts(t->out, "(?<");
            dvc_buf_putc(t->out, (char) t->p[1]);
            t->p += 2;
            return 0;
        }
        for (q = t->p + 1; q < t->end && *q != '>'; q++) {
            if (!is_group_name_char(*q, q == t->p + 1)) {
                return tr_fail(t, "invalid group name");
            }
        }
        if (q >= t->end || q == t->p + 1) {
            return tr_fail(t, "unterminated group name");
        }
        dvc_buf_puts(t->out, "(?");
        dvc_buf_append(t->out, t->p, (size_t) (q - t->p + 1));
        t->p = q + 1;
        return 0;
    }
    /* ES2025 modifiers (?ims-ims:...); a global (?i) is not ECMA-262 */
    for (q = t->p; q < t->end && *q != ':'; q++) {
        if (*q == '-' && !seen_dash) {
            seen_dash = 1;
        } else if (*q == 'i' || *q == 'm' || *q == 's') {
            int  bit = *q == 'i' ? 1 : *q == 'm' ? 2 : 4;

            if ((on | off) & bit) {
                return tr_fail(t, "repeated flag in group modifiers");
            }
            if (seen_dash) {
                off |= bit;
            } else {
                on |= bit;
            }
        } else {
            return tr_fail(t, "invalid group (not ECMA-262)");
        }
    }
    if (q >= t->end || (on == 0 && off == 0)) {
        return tr_fail(t, "invalid group (not ECMA-262)");
    }
    dvc_buf_puts(t->out, "(?");
    dvc_buf_append(t->out, t->p, (size_t) (q - t->p + 1));
    t->p = q + 1;
    return 0;
}

int
dvc_regex_translate(const char *pat, size_t len, dvc_buf_t *out,
                    char *err, size_t errlen)
{
    tr_t  t;
    int   n, quantified = 0, was_quantified;

    t.depth = 0;
    t.start = (const unsigned char *) pat;
    t.p = t.start;
    t.end = t.p + len;
    t.out = out;
    t.err = err;
    t.errlen = errlen;
    if (errlen > 0) {
        err[0] = '\0';
    }
    if (!dvc_utf8_valid(t.p, len)) {
        return tr_fail(&t, "pattern is not valid UTF-8");
    }
    while (t.p < t.end) {
        if (out->len > DVC_REGEX_MAX_TRANSLATION) {
            return tr_fail(&t, "pattern too long");
        }
        /* a quantifier may be followed by one '?' (lazy), nothing else:
         * PCRE2's possessive a++ and a{2}* are errors in ECMA-262 */
        was_quantified = quantified;
        quantified = 0;
        if (was_quantified && (*t.p == '*' || *t.p == '+' || *t.p == '{'
                               || (*t.p == '?' && was_quantified >= 2)))
        {
            return tr_fail(&t, was_quantified == 3 ? "an assertion cannot be repeated"
                                                   : "nothing to repeat");
        }
        switch (*t.p) {
        case '*':
        case '+':
            t.p++;
            dvc_buf_putc(out, (char) t.p[-1]);
            quantified = 1;
            break;
        case '?':
            t.p++;
            dvc_buf_putc(out, '?');
            quantified = was_quantified ? 2 : 1;
            break;
        case '\\':
            t.p++;
            if (translate_escape(&t) != 0) {
                return -1;
            }
            break;
        case '[':
            t.p++;
            if (translate_class(&t) != 0) {
                return -1;
            }
            break;
        case '.':
            t.p++;
            dvc_buf_puts(out, "[^\\n\\r\\x{2028}\\x{2029}]");
            break;
        case '(':
            t.p++;
            if (t.depth == TR_MAX_DEPTH) {
                return tr_fail(&t, "parentheses nested too deeply");
            }
            t.group[t.depth++] = 0;
            if (t.p < t.end && *t.p == '?') {
                t.p++;
                if (translate_group(&t) != 0) {
                    return -1;
                }
            } else if (t.p < t.end && *t.p == '*') {
                /* PCRE2 verbs such as (*ACCEPT); ECMA: nothing to repeat */
                return tr_fail(&t, "nothing to repeat");
            } else {
                dvc_buf_putc(out, '(');
            }
            break;
        case ')':
            t.p++;
            dvc_buf_putc(out, ')');
            if (t.depth > 0) {
                /* an assertion can't be repeated: mark it like a quantifier
                 * that allows no further one */
                quantified = t.group[--t.depth] ? 3 : 0;
            }
            break;
        case '{':
            n = is_quantifier_brace(t.p, t.end);
            if (n == 0) {
                return tr_fail(&t, "lone { (not a quantifier)");
            }
            dvc_buf_append(out, t.p, (size_t) n);
            t.p += n;
            quantified = 1;
            break;
        case '}':
            return tr_fail(&t, "lone }");
        case ']':
            return tr_fail(&t, "lone ]");
        default:
            /* literals (any UTF-8) and ^ $ | * + ? ) mean the same */
            n = (int) dvc_utf8_valid_prefix(t.p, (size_t) (t.end - t.p));
            if (n == 1 && (*t.p < 0x20 || *t.p == '#' || *t.p == ' ')) {
                emit_cp(&t, *t.p);
            } else {
                dvc_buf_append(out, t.p, (size_t) n);
            }
            t.p += n;
        }
    }
    if (out->failed) {
        return tr_fail(&t, "out of memory");
    }
    return 0;
}

static void *
pcre_malloc(PCRE2_SIZE size, void *ud)
{
    return dvc_malloc((const dvc_alloc_t *) ud, size);
}

static void
pcre_free(void *p, void *ud)
{
    if (p != NULL) {
        dvc_free((const dvc_alloc_t *) ud, p);
    }
}

/* Compiles the translation; *pcre_err gets PCRE2's error code on failure. */
static pcre2_code *
compile_translated(const dvc_alloc_t *a, const char *pat, size_t len,
                   char *err, size_t errlen, int *pcre_err)
{
    pcre2_general_context  *gctx;
    pcre2_compile_context  *cctx = NULL;
    pcre2_code             *code = NULL;
    dvc_buf_t               b;
    PCRE2_SIZE              off;
    char                    msg[160];

    *pcre_err = 0;
    dvc_buf_init(&b, a);
    if (dvc_regex_translate(pat, len, &b, err, errlen) != 0) {
        dvc_buf_free(&b);
        return NULL;
    }
    gctx = pcre2_general_context_create(pcre_malloc, pcre_free, (void *) a);
    if (gctx != NULL) {
        cctx = pcre2_compile_context_create(gctx);
    }
    if (cctx == NULL || b.failed) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    code = pcre2_compile((PCRE2_SPTR) (b.data ? b.data : ""), b.len,
                         PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
                         pcre_err, &off, cctx);
    if (code == NULL && errlen > 0) {
        pcre2_get_error_message(*pcre_err, (PCRE2_UCHAR *) msg, sizeof(msg));
        snprintf(err, errlen, "%s", msg);
    }
done:
    pcre2_compile_context_free(cctx);
    pcre2_general_context_free(gctx);
    dvc_buf_free(&b);
    return code;
}

/* ------------------------------------------------------------ simple */

/*
 * Most schema patterns are anchored runs of ASCII classes: ^[0-9]{12}$,
 * ^[A-Z]{2}$, ^[^0-9<>{}]+$, ^\d{3}-\d{4}$.  Those are matched here in one
 * pass, without PCRE2's call overhead: a pattern is "simple" when it is ^,
 * then items (an ASCII literal or escaped syntax character, \d \D \w \W, or
 * a class [...] of those and ASCII ranges, each with an optional greedy
 * quantifier * + ? {n} {n,} {n,m}), then an optional $; and when every item
 * whose count can vary shares no code point with any later item.  Then a
 * greedy walk is exact: in any match, the character after a variable item's
 * run cannot belong to it (a later item, disjoint, takes it), so the run is
 * the longest one, up to its maximum; no backtracking is ever needed.  The
 * meanings are ECMA-262's (\d is [0-9], \w [A-Za-z0-9_], a negated class
 * holds every non-ASCII code point, counts are code points, $ is the very
 * end).  Anything else (groups, alternation, ., \s, lazy quantifiers,
 * non-ASCII in the pattern) goes to PCRE2.  PCRE2 still compiles every
 * pattern first: it alone decides what is valid.
 */

static void
set_add(simple_item_t *it, unsigned c)
{
    it->ascii[c >> 6] |= (uint64_t) 1 << (c & 63);
}

static void
set_add_digits(simple_item_t *it)
{
    unsigned c;

    for (c = '0'; c <= '9'; c++) {
        set_add(it, c);
    }
}

static void
set_add_word(simple_item_t *it)
{
    unsigned c;

    set_add_digits(it);
    for (c = 'A'; c <= 'Z'; c++) {
        set_add(it, c);
        set_add(it, c + 32);
    }
    set_add(it, '_');
}

static void
set_negate(simple_item_t *it)
{
    it->ascii[0] = ~it->ascii[0];
    it->ascii[1] = ~it->ascii[1];
    it->other = !it->other;
}

static void
set_or(simple_item_t *dst, const simple_item_t *src)
{
    dst->ascii[0] |= src->ascii[0];
    dst->ascii[1] |= src->ascii[1];
    dst->other |= src->other;
}

static int
is_syntax(int c)
{
    return c != '\0' && strchr("^$\\.*+?()[]{}|/", c) != NULL;
}

/* \d \D \w \W as a set into *it (1), or 0 if esc is not one of them. */
static int
class_escape(int esc, simple_item_t *it)
{
    memset(it, 0, sizeof(*it));
    switch (esc) {
    case 'd':
    case 'D':
        set_add_digits(it);
        break;
    case 'w':
    case 'W':
        set_add_word(it);
        break;
    default:
        return 0;
    }
    if (esc == 'D' || esc == 'W') {
        set_negate(it);
    }
    return 1;
}

/* A class [...] at *pp (after the '['); 0 if it is not a simple one. */
static int
simple_class(const unsigned char **pp, const unsigned char *end,
             simple_item_t *it)
{
    const unsigned char *p = *pp;
    simple_item_t        esc;
    int                  negated = 0, c, hi, n = 0;

    if (p < end && *p == '^') {
        negated = 1;
        p++;
    }
    while (p < end && *p != ']') {
        if (*p == '\\') {
            if (p + 1 >= end) {
                return 0;
            }
            if (class_escape(p[1], &esc)) {
                set_or(it, &esc);
                p += 2;
                n++;
                if (p < end && *p == '-' && p + 1 < end && p[1] != ']') {
                    return 0;       /* a set as a range end: an error */
                }
                continue;
            }
            if (!is_syntax(p[1]) && p[1] != '-') {
                return 0;
            }
            c = p[1];
            p += 2;
        } else if (*p >= 0x20 && *p < 0x7f) {
            c = *p++;
        } else {
            return 0;
        }
        hi = c;
        if (p + 1 < end && *p == '-' && p[1] != ']') {
            p++;
            if (*p == '\\') {
                if (p + 1 >= end || !(is_syntax(p[1]) || p[1] == '-')) {
                    return 0;
                }
                hi = p[1];
                p += 2;
            } else if (*p >= 0x20 && *p < 0x7f) {
                hi = *p++;
            } else {
                return 0;
            }
            if (hi < c) {
                return 0;
            }
        }
        for (; c <= hi; c++) {
            set_add(it, (unsigned) c);
        }
        n++;
    }
    if (p >= end || n == 0) {
        return 0;               /* unterminated, or [] / [^] */
    }
    if (negated) {
        set_negate(it);
    }
    *pp = p + 1;
    return 1;
}

static int
read_bound(const unsigned char **pp, const unsigned char *end, uint32_t *v)
{
    const unsigned char *p = *pp;
    uint32_t             n = 0;

    if (p >= end || *p < '0' || *p > '9') {
        return 0;
    }
    while (p < end && *p >= '0' && *p <= '9') {
        n = n * 10 + (uint32_t) (*p++ - '0');
        if (n > 65535) {
            return 0;
        }
    }
    *v = n;
    *pp = p;
    return 1;
}

/* A quantifier at *pp, if any, into it->min/max; 0 if not simple. */
static int
simple_quantifier(const unsigned char **pp, const unsigned char *end,
                  simple_item_t *it)
{
    const unsigned char *p = *pp;

    it->min = it->max = 1;
    if (p < end && *p == '*') {
        it->min = 0;
        it->max = SIMPLE_UNBOUNDED;
        p++;
    } else if (p < end && *p == '+') {
        it->max = SIMPLE_UNBOUNDED;
        p++;
    } else if (p < end && *p == '?') {
        it->min = 0;
        p++;
    } else if (p < end && *p == '{') {
        p++;
        if (!read_bound(&p, end, &it->min)) {
            return 0;
        }
        it->max = it->min;
        if (p < end && *p == ',') {
            p++;
            it->max = SIMPLE_UNBOUNDED;
            if (p < end && *p != '}' && !read_bound(&p, end, &it->max)) {
                return 0;
            }
        }
        if (p >= end || *p != '}' || it->max < it->min) {
            return 0;
        }
        p++;
    }
    if (p < end && (*p == '?' || *p == '*' || *p == '+' || *p == '{')) {
        return 0;               /* lazy, or a quantifier quantified */
    }
    *pp = p;
    return 1;
}

static int
simple_parse(dvc_regex_t *re, const char *pat, size_t len)
{
    const unsigned char *p = (const unsigned char *) pat, *end = p + len;
    simple_item_t       *it;
    size_t               n = 0, i, j;

    if (len == 0 || *p++ != '^') {
        return 0;
    }
    while (p < end) {
        if (*p == '$' && p + 1 == end) {
            re->anchored_end = 1;
            break;
        }
        if (n == SIMPLE_MAX_ITEMS) {
            return 0;
        }
        it = &re->items[n++];
        memset(it, 0, sizeof(*it));
        if (*p == '[') {
            p++;
            if (!simple_class(&p, end, it)) {
                return 0;
            }
        } else if (*p == '\\') {
            if (p + 1 >= end) {
                return 0;
            }
            if (!class_escape(p[1], it)) {
                if (!is_syntax(p[1])) {
                    return 0;
                }
                set_add(it, p[1]);
            }
            p += 2;
        } else if (*p >= 0x20 && *p < 0x7f && (!is_syntax(*p) || *p == '/')) {
            set_add(it, *p++);
        } else {
            return 0;
        }
        if (!simple_quantifier(&p, end, it)) {
            return 0;
        }
    }
    /* greedy is exact only if a variable item shares nothing with later
     * items */
    for (i = 0; i < n; i++) {
        if (re->items[i].min == re->items[i].max) {
            continue;
        }
        for (j = i + 1; j < n; j++) {
            if ((re->items[i].ascii[0] & re->items[j].ascii[0])
                || (re->items[i].ascii[1] & re->items[j].ascii[1])
                || (re->items[i].other && re->items[j].other))
            {
                return 0;
            }
        }
    }
    for (i = 0; i < n; i++) {
        simple_item_t *x = &re->items[i];

        for (j = 0; j < 256; j++) {
            if (j < 0x80) {
                x->tab[j] = (x->ascii[j >> 6] >> (j & 63)) & 1 ? SIMPLE_CP : 0;
            } else if (x->other) {
                x->tab[j] = j < 0xC0 ? SIMPLE_CONT : SIMPLE_CP;
            }
        }
    }
    re->nitems = n;
    return n > 0;
}

/* The simple pattern against valid UTF-8: 1 match, 0 not. */
static int
simple_match(const dvc_regex_t *re, const unsigned char *s, size_t len)
{
    const simple_item_t *it;
    size_t               pos = 0, i;
    uint32_t             n;
    unsigned             t;

    for (i = 0; i < re->nitems; i++) {
        it = &re->items[i];
        if (it->max == SIMPLE_UNBOUNDED && it->min <= 1) {
            /* x+ or x*: the whole run, code points or not */
            size_t start = pos;

            /* eight bytes a test while all are in the class (one branch
             * instead of eight), then byte by byte to the run's end */
            while (pos + 8 <= len
                   && (it->tab[s[pos]] & it->tab[s[pos + 1]]
                       & it->tab[s[pos + 2]] & it->tab[s[pos + 3]]
                       & it->tab[s[pos + 4]] & it->tab[s[pos + 5]]
                       & it->tab[s[pos + 6]] & it->tab[s[pos + 7]]))
            {
                pos += 8;
            }
            while (pos < len && it->tab[s[pos]]) {
                pos++;
            }
            if (it->min == 1 && pos == start) {
                return 0;
            }
            continue;
        }
        if (it->min == it->max && !it->other) {
            /* x{n} of ASCII: exactly n bytes */
            size_t end = pos + it->min;

            if (end > len) {
                return 0;
            }
            for (; pos + 8 <= end; pos += 8) {
                if (!(it->tab[s[pos]] & it->tab[s[pos + 1]]
                      & it->tab[s[pos + 2]] & it->tab[s[pos + 3]]
                      & it->tab[s[pos + 4]] & it->tab[s[pos + 5]]
                      & it->tab[s[pos + 6]] & it->tab[s[pos + 7]]))
                {
                    return 0;
                }
            }
            for (; pos < end; pos++) {
                if (!it->tab[s[pos]]) {
                    return 0;
                }
            }
            continue;
        }
        for (n = 0; pos < len; pos++) {
            t = it->tab[s[pos]];
            if (t == SIMPLE_CP) {
                if (n == it->max) {
                    break;
                }
                n++;
            } else if (t != SIMPLE_CONT) {
                break;
            }
        }
        if (n < it->min) {
            return 0;
        }
    }
    return !re->anchored_end || pos == len;
}

int
dvc_regex_is_simple(const dvc_regex_t *re)
{
    return re->nitems > 0;
}

dvc_regex_t *
dvc_regex_compile(const dvc_alloc_t *a, const char *pat, size_t len,
                  char *err, size_t errlen)
{
    dvc_regex_t  *re;
    pcre2_code   *code;
    int           pe;

    code = compile_translated(a, pat, len, err, errlen, &pe);
    if (code == NULL) {
        return NULL;
    }
    re = dvc_calloc(a, 1, sizeof(*re));
    if (re == NULL) {
        pcre2_code_free(code);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    re->code = code;
    /* JIT when this PCRE2 has it; the interpreter otherwise, same answers */
    re->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    if (!simple_parse(re, pat, len)) {
        re->nitems = 0;
        re->anchored_end = 0;
    }
    return re;
}

void
dvc_regex_free(const dvc_alloc_t *a, dvc_regex_t *re)
{
    if (re == NULL) {
        return;
    }
    pcre2_code_free(re->code);
    dvc_free(a, re);
}

int
dvc_regex_valid(const dvc_alloc_t *a, const char *pat, size_t len)
{
    pcre2_code  *code;
    int          pe;
    char         err[160];

    code = compile_translated(a, pat, len, err, sizeof(err), &pe);
    if (code != NULL) {
        pcre2_code_free(code);
        return 1;
    }
    /* valid ECMA-262 (ES2018) that PCRE2 10.42 cannot run */
    return pe == PCRE2_ERROR_LOOKBEHIND_NOT_FIXED_LENGTH;
}

dvc_regex_scratch_t *
dvc_regex_scratch_new(const dvc_alloc_t *a)
{
    dvc_regex_scratch_t  *s;

    s = dvc_calloc(a, 1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->gctx = pcre2_general_context_create(pcre_malloc, pcre_free, (void *) a);
    if (s->gctx == NULL) {
        goto fail;
    }
    s->mctx = pcre2_match_context_create(s->gctx);
    /* one ovector pair: a search needs no captures */
    s->md = pcre2_match_data_create(1, s->gctx);
    if (s->mctx == NULL || s->md == NULL) {
        goto fail;
    }
    pcre2_set_match_limit(s->mctx, DVC_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, DVC_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(s->mctx, DVC_REGEX_HEAP_LIMIT);
    /* JIT matching starts on PCRE2's 32 KiB machine-stack area; a bigger
     * JIT stack (an mmap) is made only when a search needs it */
    return s;
fail:
    dvc_regex_scratch_free(a, s);
    return NULL;
}

void
dvc_regex_scratch_free(const dvc_alloc_t *a, dvc_regex_scratch_t *s)
{
    if (s == NULL) {
        return;
    }
    pcre2_jit_stack_free(s->jit);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_general_context_free(s->gctx);
    dvc_free(a, s);
}

/* PCRE2 on a subject; opts PCRE2_NO_UTF_CHECK when it is known valid. */
static int
pcre_search(const dvc_regex_t *re, dvc_regex_scratch_t *s,
            const char *subject, size_t len, uint32_t opts)
{
    PCRE2_SPTR  sub = (PCRE2_SPTR) (subject ? subject : "");
    int         rc;

    /* pcre2_jit_match skips pcre2_match's checks, the UTF one included:
     * only for subjects known valid */
    if (re->jit && (opts & PCRE2_NO_UTF_CHECK)) {
        rc = pcre2_jit_match(re->code, sub, len, 0, 0, s->md, s->mctx);
    } else {
        rc = pcre2_match(re->code, sub, len, 0, opts, s->md, s->mctx);
    }
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && s->jit == NULL) {
        s->jit = pcre2_jit_stack_create(32 * 1024, DVC_REGEX_JIT_STACK_MAX, s->gctx);
        if (s->jit == NULL) {
            return -1;
        }
        pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
        rc = pcre2_match(re->code, sub, len, 0, opts, s->md, s->mctx);
    }
    if (rc >= 0) {
        return 1;
    }
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

int
dvc_regex_search(const dvc_regex_t *re, dvc_regex_scratch_t *s,
                 const char *subject, size_t len)
{
    if (re->nitems > 0) {
        if (!dvc_utf8_valid((const unsigned char *) subject, len)) {
            return -1;
        }
        return simple_match(re, (const unsigned char *) subject, len);
    }
    return pcre_search(re, s, subject, len, 0);
}

int
dvc_regex_search_utf8(const dvc_regex_t *re, dvc_regex_scratch_t *s,
                      const char *subject, size_t len)
{
    if (re->nitems > 0) {
        return simple_match(re, (const unsigned char *) subject, len);
    }
    return pcre_search(re, s, subject, len, PCRE2_NO_UTF_CHECK);
}
