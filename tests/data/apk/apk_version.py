#!/usr/bin/python3
"""apk-tools 3's version comparison (src/version.c: token_first, token_next, token_cmp,
apk_version_compare_fuzzy without fuzzy matching), ported statement by statement from the C, as
the reference the version_diff test compares imagegate's `apk_cmp` with.

Reads lines `A<TAB>B` on stdin and writes one of `<`, `=`, `>` per line (A against B), then a
space and `1`/`0` for whether A is a valid version (apk_version_validate).
"""
import sys

(TOKEN_INITIAL_DIGIT, TOKEN_DIGIT, TOKEN_LETTER, TOKEN_SUFFIX, TOKEN_SUFFIX_NO,
 TOKEN_COMMIT_HASH, TOKEN_REVISION_NO, TOKEN_END, TOKEN_INVALID) = range(9)
(SUFFIX_INVALID, SUFFIX_ALPHA, SUFFIX_BETA, SUFFIX_PRE, SUFFIX_RC, SUFFIX_NONE,
 SUFFIX_CVS, SUFFIX_SVN, SUFFIX_GIT, SUFFIX_HG, SUFFIX_P) = range(11)
LITERALS = {SUFFIX_ALPHA: b"alpha", SUFFIX_BETA: b"beta", SUFFIX_PRE: b"pre", SUFFIX_RC: b"rc",
            SUFFIX_CVS: b"cvs", SUFFIX_SVN: b"svn", SUFFIX_GIT: b"git", SUFFIX_HG: b"hg", SUFFIX_P: b"p"}
VERSUF = set(b"abcdefghijklmnopqrstuvwxyz")
HEXDGT = set(b"0123456789abcdef")


def suffix_value(suf):
    if len(suf) == 0:
        return SUFFIX_INVALID
    first = chr(suf[0])
    if first == "a":
        val = SUFFIX_ALPHA
    elif first == "b":
        val = SUFFIX_BETA
    elif first == "c":
        val = SUFFIX_CVS
    elif first == "g":
        val = SUFFIX_GIT
    elif first == "h":
        val = SUFFIX_HG
    elif first == "p":
        val = SUFFIX_PRE if len(suf) > 1 else SUFFIX_P
    elif first == "r":
        val = SUFFIX_RC
    elif first == "s":
        val = SUFFIX_SVN
    else:
        return SUFFIX_INVALID
    if suf != LITERALS[val]:
        return SUFFIX_INVALID
    return val


class Token:
    def __init__(self):
        self.token = TOKEN_INITIAL_DIGIT
        self.suffix = 0
        self.number = 0
        self.value = b""


class Blob:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def len(self):
        return len(self.data) - self.pos

    def ch(self, i=0):
        return self.data[self.pos + i]


def pull_uint(b):
    """apk_blob_pull_uint(b, 10): digits until a non-digit or NUL, wrapping at 2^64."""
    val = 0
    while b.len() and b.ch() != 0:
        c = b.ch()
        if not (0x30 <= c <= 0x39):
            break
        val = (val * 10 + (c - 0x30)) % (1 << 64)
        b.pos += 1
    return val


def token_parse_digits(t, b):
    start = b.pos
    t.number = pull_uint(b)
    t.value = b.data[start:b.pos]
    if len(t.value) == 0:
        t.token = TOKEN_INVALID


def token_first(t, b):
    t.token = TOKEN_INITIAL_DIGIT
    token_parse_digits(t, b)


def spn(b, accept):
    start = b.pos
    while b.len() and b.ch() in accept:
        b.pos += 1
    return b.data[start:b.pos]


def token_next(t, b):
    if b.len() == 0:
        t.token = TOKEN_END
        return
    c = b.ch()
    if 0x61 <= c <= 0x7A:  # 'a' ... 'z'
        if t.token > TOKEN_DIGIT:
            t.token = TOKEN_INVALID
            return
        t.value = b.data[b.pos:b.pos + 1]
        t.token = TOKEN_LETTER
        b.pos += 1
    elif c == 0x2E or 0x30 <= c <= 0x39:  # '.' falls through to the digits
        if c == 0x2E:
            if t.token > TOKEN_DIGIT:
                t.token = TOKEN_INVALID
                return
            b.pos += 1
        if t.token in (TOKEN_INITIAL_DIGIT, TOKEN_DIGIT):
            t.token = TOKEN_DIGIT
        elif t.token == TOKEN_SUFFIX:
            t.token = TOKEN_SUFFIX_NO
        else:
            t.token = TOKEN_INVALID
            return
        token_parse_digits(t, b)
    elif c == 0x5F:  # '_'
        if t.token > TOKEN_SUFFIX_NO:
            t.token = TOKEN_INVALID
            return
        b.pos += 1
        t.value = spn(b, VERSUF)
        t.suffix = suffix_value(t.value)
        if t.suffix == SUFFIX_INVALID:
            t.token = TOKEN_INVALID
            return
        t.token = TOKEN_SUFFIX
    elif c == 0x7E:  # '~'
        if t.token >= TOKEN_COMMIT_HASH:
            t.token = TOKEN_INVALID
            return
        b.pos += 1
        t.value = spn(b, HEXDGT)
        if len(t.value) == 0:
            t.token = TOKEN_INVALID
            return
        t.token = TOKEN_COMMIT_HASH
    elif c == 0x2D:  # '-'
        if t.token >= TOKEN_REVISION_NO:
            t.token = TOKEN_INVALID
            return
        if not (b.len() >= 2 and b.data[b.pos:b.pos + 2] == b"-r"):
            t.token = TOKEN_INVALID
            return
        b.pos += 2
        t.token = TOKEN_REVISION_NO
        token_parse_digits(t, b)
    else:
        t.token = TOKEN_INVALID


def blob_sort(a, b):
    n = min(len(a), len(b))
    for x, y in zip(a[:n], b[:n]):
        if x != y:
            return x - y
    return len(a) - len(b)


def token_cmp(ta, tb):
    tok = ta.token
    if tok == TOKEN_DIGIT and ((ta.value[:1] == b"0") or (tb.value[:1] == b"0")):
        r = blob_sort(ta.value, tb.value)
        return -1 if r < 0 else 1 if r > 0 else 0
    if tok in (TOKEN_DIGIT, TOKEN_INITIAL_DIGIT, TOKEN_SUFFIX_NO, TOKEN_REVISION_NO):
        a, b = ta.number, tb.number
    elif tok == TOKEN_LETTER:
        a, b = ta.value[0], tb.value[0]
    elif tok == TOKEN_SUFFIX:
        a, b = ta.suffix, tb.suffix
    else:
        r = blob_sort(ta.value, tb.value)
        return -1 if r < 0 else 1 if r > 0 else 0
    return -1 if a < b else 1 if a > b else 0


def compare(a, b):
    ta, tb = Token(), Token()
    ba, bb = Blob(a), Blob(b)
    token_first(ta, ba)
    token_first(tb, bb)
    while ta.token == tb.token and ta.token < TOKEN_END:
        r = token_cmp(ta, tb)
        if r != 0:
            return r
        token_next(ta, ba)
        token_next(tb, bb)
    if ta.token == tb.token:
        return 0
    if ta.token == TOKEN_SUFFIX and ta.suffix < SUFFIX_NONE:
        return -1
    if tb.token == TOKEN_SUFFIX and tb.suffix < SUFFIX_NONE:
        return 1
    if ta.token > tb.token:
        return -1
    if tb.token > ta.token:
        return 1
    return 0


def validate(v):
    t, b = Token(), Blob(v)
    token_first(t, b)
    while t.token < TOKEN_END:
        token_next(t, b)
    return t.token == TOKEN_END


for line in sys.stdin.buffer:
    a, b = line.rstrip(b"\n").split(b"\t")
    print("<=>"[compare(a, b) + 1], 1 if validate(a) else 0)
