/* Text processing: substring search (KMP, Horspool), edit distance, longest common
 * subsequence and a line diff, word wrapping, UTF-8 decoding, and a tokenizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static long kmp_search(const char *hay, size_t hn, const char *needle, size_t nn, size_t from) {
  if (nn == 0) return (long)from;
  int *fail = xmalloc(nn * sizeof(int));
  fail[0] = 0;
  for (size_t i = 1, k = 0; i < nn; i++) {
    while (k && needle[i] != needle[k]) k = (size_t)fail[k - 1];
    if (needle[i] == needle[k]) k++;
    fail[i] = (int)k;
  }
  long found = -1;
  for (size_t i = from, k = 0; i < hn; i++) {
    while (k && hay[i] != needle[k]) k = (size_t)fail[k - 1];
    if (hay[i] == needle[k]) k++;
    if (k == nn) {
      found = (long)(i + 1 - nn);
      break;
    }
  }
  free(fail);
  return found;
}

static long horspool_search(const char *hay, size_t hn, const char *needle, size_t nn,
                            size_t from) {
  if (nn == 0) return (long)from;
  size_t shift[256];
  for (int i = 0; i < 256; i++) shift[i] = nn;
  for (size_t i = 0; i + 1 < nn; i++) shift[(unsigned char)needle[i]] = nn - 1 - i;
  for (size_t i = from; i + nn <= hn;) {
    size_t k = nn;
    while (k > 0 && hay[i + k - 1] == needle[k - 1]) k--;
    if (k == 0) return (long)i;
    i += shift[(unsigned char)hay[i + nn - 1]];
  }
  return -1;
}

static int count_occurrences(long (*search)(const char *, size_t, const char *, size_t, size_t),
                             const char *hay, const char *needle) {
  size_t hn = strlen(hay), nn = strlen(needle);
  int count = 0;
  for (long at = search(hay, hn, needle, nn, 0); at >= 0;
       at = search(hay, hn, needle, nn, (size_t)at + 1))
    count++;
  return count;
}

static int levenshtein(const char *a, const char *b) {
  size_t an = strlen(a), bn = strlen(b);
  int *row = xmalloc((bn + 1) * sizeof(int));
  for (size_t j = 0; j <= bn; j++) row[j] = (int)j;
  for (size_t i = 1; i <= an; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= bn; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  int d = row[bn];
  free(row);
  return d;
}

/* Line diff by LCS: writes " x", "-x", "+x" lines; returns the number of changed lines. */
static int diff_lines(char **a, int an, char **b, int bn, StrBuf *out) {
  int *t = xcalloc((size_t)(an + 1) * (size_t)(bn + 1), sizeof(int));
#define T(i, j) t[(size_t)(i) * (size_t)(bn + 1) + (size_t)(j)]
  for (int i = an - 1; i >= 0; i--)
    for (int j = bn - 1; j >= 0; j--)
      T(i, j) = strcmp(a[i], b[j]) == 0 ? T(i + 1, j + 1) + 1
                                        : (T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
  int i = 0, j = 0, changes = 0;
  while (i < an || j < bn) {
    if (i < an && j < bn && strcmp(a[i], b[j]) == 0) {
      sb_printf(out, " %s\n", a[i]);
      i++, j++;
    } else if (j < bn && (i == an || T(i, j + 1) >= T(i + 1, j))) {
      sb_printf(out, "+%s\n", b[j++]);
      changes++;
    } else {
      sb_printf(out, "-%s\n", a[i++]);
      changes++;
    }
  }
#undef T
  free(t);
  return changes;
}

static char *word_wrap(const char *text, int width) {
  StrBuf out;
  sb_init(&out);
  int col = 0;
  const char *p = text;
  while (*p) {
    while (*p == ' ' || *p == '\n') p++;
    const char *w = p;
    while (*p && *p != ' ' && *p != '\n') p++;
    int wl = (int)(p - w);
    if (!wl) break;
    if (col && col + 1 + wl > width) {
      sb_putc(&out, '\n');
      col = 0;
    } else if (col) {
      sb_putc(&out, ' ');
      col++;
    }
    sb_putn(&out, w, (size_t)wl);
    col += wl;
  }
  return sb_take(&out);
}

/* Decodes one UTF-8 sequence; returns its length, or 0 if malformed (overlong forms,
 * surrogates and values above U+10FFFF are malformed). */
static int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  if (!n) return 0;
  unsigned char c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  int len;
  uint32_t v, min;
  if ((c & 0xe0) == 0xc0) {
    len = 2, v = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3, v = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if ((size_t)len > n) return 0;
  for (int i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return 0;
  *cp = v;
  return len;
}

static long utf8_count(const char *s, size_t n) {
  long count = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    int l = utf8_decode((const unsigned char *)s + i, n - i, &cp);
    if (!l) return -1;
    i += (size_t)l;
    count++;
  }
  return count;
}

typedef enum { TK_WORD, TK_NUMBER, TK_PUNCT, TK_SPACE } TokKind;

static int tokenize_counts(const char *s, int counts[4]) {
  memset(counts, 0, 4 * sizeof(int));
  int total = 0;
  while (*s) {
    TokKind k;
    if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
      while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '\'') s++;
      k = TK_WORD;
    } else if (*s >= '0' && *s <= '9') {
      while ((*s >= '0' && *s <= '9') || *s == '.') s++;
      k = TK_NUMBER;
    } else if (*s == ' ' || *s == '\n' || *s == '\t') {
      while (*s == ' ' || *s == '\n' || *s == '\t') s++;
      k = TK_SPACE;
    } else {
      s++;
      k = TK_PUNCT;
    }
    counts[k]++;
    total++;
  }
  return total;
}

static void rot13(char *s) {
  for (; *s; s++) {
    if (*s >= 'a' && *s <= 'z') *s = (char)('a' + (*s - 'a' + 13) % 26);
    else if (*s >= 'A' && *s <= 'Z') *s = (char)('A' + (*s - 'A' + 13) % 26);
  }
}

void suite_text(void) {
  char *text = make_corpus(150000, 21);
  static const char *const needles[] = {"the", "module", "value stack", "of the", "zzz", "e",
                                        "validate the memory"};
  int total = 0;
  for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
    int a = count_occurrences(kmp_search, text, needles[i]);
    int b = count_occurrences(horspool_search, text, needles[i]);
    int c = 0;
    for (const char *p = strstr(text, needles[i]); p; p = strstr(p + 1, needles[i])) c++;
    CHECK(a == b && b == c);
    total += a;
  }
  report("text", "substring search: %d occurrences of %zu needles, three methods agree", total,
         sizeof needles / sizeof needles[0]);

  CHECK_INT(levenshtein("kitten", "sitting"), 3);
  CHECK_INT(levenshtein("", "abc"), 3);
  CHECK_INT(levenshtein("flaw", "lawn"), 2);
  CHECK_INT(levenshtein("intention", "execution"), 5);
  CHECK_INT(levenshtein("same", "same"), 0);

  char *a_lines[] = {"a", "b", "c", "d", "e", "f"};
  char *b_lines[] = {"a", "c", "d", "x", "e", "f", "g"};
  StrBuf d;
  sb_init(&d);
  int changes = diff_lines(a_lines, 6, b_lines, 7, &d);
  CHECK_INT(changes, 3);
  CHECK_STR(d.data, " a\n-b\n c\n d\n+x\n e\n f\n+g\n");
  sb_free(&d);

  char *wrapped = word_wrap(sample_text(), 40);
  int longest = 0, lines = 0, cur = 0;
  for (const char *p = wrapped;; p++) {
    if (*p == '\n' || !*p) {
      if (cur > longest) longest = cur;
      lines++;
      cur = 0;
      if (!*p) break;
    } else {
      cur++;
    }
  }
  CHECK(longest <= 40);
  if (g_verbose) printf("%s\n", wrapped);
  free(wrapped);

  const char *utf = "na\xc3\xafve caf\xc3\xa9 \xe2\x82\xac 5 \xf0\x9f\xa7\xb5";
  CHECK_INT(utf8_count(utf, strlen(utf)), 16);
  CHECK_INT(utf8_count("\xc0\xaf", 2), -1);         /* overlong */
  CHECK_INT(utf8_count("\xed\xa0\x80", 3), -1);     /* surrogate */
  CHECK_INT(utf8_count("\xf4\x90\x80\x80", 4), -1); /* above U+10FFFF */
  CHECK_INT(utf8_count("\xe2\x82", 2), -1);         /* truncated */

  int counts[4];
  int ntok = tokenize_counts(text, counts);
  char *copy = xstrdup(text);
  rot13(copy);
  CHECK(strcmp(copy, text) != 0);
  rot13(copy);
  CHECK(strcmp(copy, text) == 0);
  free(copy);
  report("text", "wrapped sample to %d lines (longest %d); %d tokens: %d words, %d punct",
         lines, longest, ntok, counts[TK_WORD], counts[TK_PUNCT]);
  free(text);
}
