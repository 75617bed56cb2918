/* A deflate-like compressor: LZ77 with hash chains and lazy matching, then canonical
 * Huffman coding of literals/lengths and distances, in blocks of our own simple format:
 *
 *   block  := last:1 type:2 body
 *   type 0 := (pad to byte) len:16 bytes          -- stored
 *   type 1 := 286 x litlen-length:4, 30 x dist-length:4, symbols..., 256
 *
 * Lengths 3..258 and distances 1..32768 use base+extra-bits tables. Bits are packed
 * least-significant first; Huffman codes go most-significant bit first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum {
  NLIT = 286,
  NDIST = 30,
  MAXBITS = 15,
  WINDOW = 32768,
  MIN_MATCH = 3,
  MAX_MATCH = 258,
  HASH_BITS = 15,
  BLOCK_TOKENS = 1 << 16,
};

static uint16_t len_base[29], dist_base[30];
static uint8_t len_extra[29], dist_extra[30];

static void init_tables(void) {
  static bool done;
  if (done) return;
  int base = 3;
  for (int i = 0; i < 28; i++) {
    len_extra[i] = (uint8_t)(i < 8 ? 0 : (i - 4) / 4);
    len_base[i] = (uint16_t)base;
    base += 1 << len_extra[i];
  }
  len_base[28] = 258;
  len_extra[28] = 0;
  base = 1;
  for (int i = 0; i < 30; i++) {
    dist_extra[i] = (uint8_t)(i < 4 ? 0 : i / 2 - 1);
    dist_base[i] = (uint16_t)base;
    base += 1 << dist_extra[i];
  }
  done = true;
}

static int len_code(int len) {
  int i = 28;
  while (len_base[i] > len) i--;
  if (i == 28 && len != 258) i = 27;
  return i;
}

static int dist_code(int dist) {
  int lo = 0, hi = 29;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (dist_base[mid] <= dist) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

/* ---- bit I/O ---------------------------------------------------------------------- */

typedef struct {
  ByteVec out;
  uint64_t acc;
  int nbits;
} BitWriter;

static void bw_put(BitWriter *w, uint32_t bits, int n) {
  w->acc |= (uint64_t)bits << w->nbits;
  w->nbits += n;
  while (w->nbits >= 8) {
    bv_push(&w->out, (uint8_t)w->acc);
    w->acc >>= 8;
    w->nbits -= 8;
  }
}

static void bw_align(BitWriter *w) {
  if (w->nbits > 0) bw_put(w, 0, 8 - w->nbits);
}

typedef struct {
  const uint8_t *in;
  size_t len, pos;
  uint32_t acc;
  int nbits;
  bool overrun;
} BitReader;

static uint32_t br_get(BitReader *r, int n) {
  while (r->nbits < n) {
    if (r->pos >= r->len) {
      r->overrun = true;
      return 0;
    }
    r->acc |= (uint32_t)r->in[r->pos++] << r->nbits;
    r->nbits += 8;
  }
  uint32_t v = r->acc & ((n == 32) ? 0xffffffffu : ((1u << n) - 1));
  r->acc >>= n;
  r->nbits -= n;
  return v;
}

static void br_align(BitReader *r) {
  r->acc >>= r->nbits % 8;
  r->nbits -= r->nbits % 8;
}

/* ---- Huffman code construction ---------------------------------------------------- */

typedef struct {
  uint32_t freq;
  int left, right; /* children, -1 for leaves */
} HNode;

static void heap_push(int *heap, int *n, const HNode *nodes, int x) {
  int i = (*n)++;
  heap[i] = x;
  while (i > 0) {
    int parent = (i - 1) / 2;
    if (nodes[heap[parent]].freq <= nodes[heap[i]].freq) break;
    int t = heap[parent];
    heap[parent] = heap[i];
    heap[i] = t;
    i = parent;
  }
}

static int heap_pop(int *heap, int *n, const HNode *nodes) {
  int top = heap[0];
  heap[0] = heap[--(*n)];
  int i = 0;
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < *n && nodes[heap[l]].freq < nodes[heap[m]].freq) m = l;
    if (r < *n && nodes[heap[r]].freq < nodes[heap[m]].freq) m = r;
    if (m == i) break;
    int t = heap[m];
    heap[m] = heap[i];
    heap[i] = t;
    i = m;
  }
  return top;
}

static void node_depths(const HNode *nodes, int x, int depth, uint8_t *lengths, int nsym) {
  if (nodes[x].left < 0) {
    lengths[x] = (uint8_t)(depth ? depth : 1);
    return;
  }
  node_depths(nodes, nodes[x].left, depth + 1, lengths, nsym);
  node_depths(nodes, nodes[x].right, depth + 1, lengths, nsym);
}

/* Code lengths for `n` symbols, none longer than MAXBITS. */
static void build_lengths(const uint32_t *freq_in, int n, uint8_t *lengths) {
  uint32_t freq[NLIT];
  memcpy(freq, freq_in, (size_t)n * sizeof(uint32_t));
  for (;;) {
    HNode nodes[2 * NLIT];
    int heap[2 * NLIT], hn = 0, used = 0;
    memset(lengths, 0, (size_t)n);
    for (int i = 0; i < n; i++) {
      nodes[i].freq = freq[i];
      nodes[i].left = nodes[i].right = -1;
      if (freq[i]) {
        heap_push(heap, &hn, nodes, i);
        used++;
      }
    }
    if (used == 0) return;
    if (used == 1) {
      lengths[heap[0]] = 1;
      return;
    }
    int next = n;
    while (hn > 1) {
      int a = heap_pop(heap, &hn, nodes), b = heap_pop(heap, &hn, nodes);
      nodes[next].freq = nodes[a].freq + nodes[b].freq;
      nodes[next].left = a;
      nodes[next].right = b;
      heap_push(heap, &hn, nodes, next);
      next++;
    }
    node_depths(nodes, heap[0], 0, lengths, n);
    int maxlen = 0;
    for (int i = 0; i < n; i++)
      if (lengths[i] > maxlen) maxlen = lengths[i];
    if (maxlen <= MAXBITS) return;
    /* Flatten the distribution and try again. */
    for (int i = 0; i < n; i++)
      if (freq[i]) freq[i] = (freq[i] >> 1) | 1;
  }
}

static uint32_t reverse_bits(uint32_t code, int len) {
  uint32_t r = 0;
  for (int i = 0; i < len; i++) {
    r = (r << 1) | (code & 1);
    code >>= 1;
  }
  return r;
}

/* Canonical codes, stored bit-reversed so they can be written LSB-first. */
static void assign_codes(const uint8_t *lengths, int n, uint32_t *codes) {
  int count[MAXBITS + 1] = {0};
  for (int i = 0; i < n; i++) count[lengths[i]]++;
  count[0] = 0;
  uint32_t next[MAXBITS + 2], code = 0;
  for (int len = 1; len <= MAXBITS; len++) {
    code = (code + (uint32_t)count[len - 1]) << 1;
    next[len] = code;
  }
  for (int i = 0; i < n; i++)
    if (lengths[i]) codes[i] = reverse_bits(next[lengths[i]]++, lengths[i]);
}

typedef struct {
  int16_t count[MAXBITS + 1];
  int16_t symbol[NLIT];
} Decoder;

/* Returns false when the lengths over-subscribe the code space. */
static bool build_decoder(Decoder *d, const uint8_t *lengths, int n) {
  memset(d->count, 0, sizeof d->count);
  for (int i = 0; i < n; i++) d->count[lengths[i]]++;
  int left = 1;
  for (int len = 1; len <= MAXBITS; len++) {
    left <<= 1;
    left -= d->count[len];
    if (left < 0) return false;
  }
  int16_t offs[MAXBITS + 2];
  offs[1] = 0;
  for (int len = 1; len < MAXBITS; len++) offs[len + 1] = (int16_t)(offs[len] + d->count[len]);
  for (int i = 0; i < n; i++)
    if (lengths[i]) d->symbol[offs[lengths[i]]++] = (int16_t)i;
  return true;
}

static int decode_symbol(BitReader *r, const Decoder *d) {
  int code = 0, first = 0, index = 0;
  for (int len = 1; len <= MAXBITS; len++) {
    code |= (int)br_get(r, 1);
    int count = d->count[len];
    if (code - count < first) return d->symbol[index + (code - first)];
    index += count;
    first += count;
    first <<= 1;
    code <<= 1;
    if (r->overrun) return -1;
  }
  return -1;
}

/* ---- LZ77 ------------------------------------------------------------------------- */

typedef struct {
  uint16_t len; /* 0: literal */
  uint16_t dist;
  uint8_t lit;
} Token;

typedef struct {
  int32_t *head, *prev;
  int max_chain;
} Matcher;

static uint32_t hash3(const uint8_t *p) {
  uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
  return (v * 2654435761u) >> (32 - HASH_BITS);
}

static int longest_match(const Matcher *m, const uint8_t *in, size_t n, size_t pos,
                         int *dist_out) {
  if (pos + MIN_MATCH > n) return 0;
  int best = 0;
  int32_t cand = m->head[hash3(in + pos)];
  size_t limit = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
  for (int chain = 0; cand >= 0 && chain < m->max_chain; chain++) {
    size_t dist = pos - (size_t)cand;
    if (dist > WINDOW) break;
    if (in[cand + best] == in[pos + best]) {
      size_t l = 0;
      while (l < limit && in[cand + l] == in[pos + l]) l++;
      if ((int)l > best) {
        best = (int)l;
        *dist_out = (int)dist;
        if (l == limit) break;
      }
    }
    cand = m->prev[cand];
  }
  return best >= MIN_MATCH ? best : 0;
}

static void insert_hash(Matcher *m, const uint8_t *in, size_t n, size_t pos) {
  if (pos + MIN_MATCH > n) return;
  uint32_t h = hash3(in + pos);
  m->prev[pos] = m->head[h];
  m->head[h] = (int32_t)pos;
}

static Token *tokenize(const uint8_t *in, size_t n, int level, size_t *ntok) {
  Matcher m;
  m.head = xmalloc(sizeof(int32_t) << HASH_BITS);
  m.prev = xmalloc((n ? n : 1) * sizeof(int32_t));
  for (size_t i = 0; i < (size_t)1 << HASH_BITS; i++) m.head[i] = -1;
  m.max_chain = level <= 1 ? 4 : level <= 5 ? 32 : 256;
  bool lazy = level >= 4;
  Token *toks = xmalloc((n + 1) * sizeof(Token));
  size_t t = 0, pos = 0;
  while (pos < n) {
    int dist = 0, len = level == 0 ? 0 : longest_match(&m, in, n, pos, &dist);
    if (len && lazy && pos + 1 < n) {
      insert_hash(&m, in, n, pos);
      int dist2 = 0, len2 = longest_match(&m, in, n, pos + 1, &dist2);
      if (len2 > len) {
        toks[t++] = (Token){0, 0, in[pos]};
        pos++;
        len = len2;
        dist = dist2;
      } else {
        /* Undo: the position is inserted again below. */
        m.head[hash3(in + pos)] = m.prev[pos];
      }
    }
    if (len) {
      toks[t++] = (Token){(uint16_t)len, (uint16_t)dist, 0};
      for (int k = 0; k < len; k++) insert_hash(&m, in, n, pos + (size_t)k);
      pos += (size_t)len;
    } else {
      toks[t++] = (Token){0, 0, in[pos]};
      if (level) insert_hash(&m, in, n, pos);
      pos++;
    }
  }
  free(m.head);
  free(m.prev);
  *ntok = t;
  return toks;
}

/* ---- blocks ----------------------------------------------------------------------- */

static void write_block(BitWriter *w, const Token *toks, size_t n, const uint8_t *raw,
                        size_t rawlen, bool last) {
  uint32_t lf[NLIT] = {0}, df[NDIST] = {0};
  for (size_t i = 0; i < n; i++) {
    if (toks[i].len) {
      lf[257 + len_code(toks[i].len)]++;
      df[dist_code(toks[i].dist)]++;
    } else {
      lf[toks[i].lit]++;
    }
  }
  lf[256]++;
  uint8_t ll[NLIT], dl[NDIST];
  uint32_t lc[NLIT], dc[NDIST];
  build_lengths(lf, NLIT, ll);
  build_lengths(df, NDIST, dl);
  assign_codes(ll, NLIT, lc);
  assign_codes(dl, NDIST, dc);
  /* Estimate the coded size; fall back to a stored block when it does not pay. */
  uint64_t bits = 4 * (NLIT + NDIST);
  for (int i = 0; i < NLIT; i++) bits += (uint64_t)lf[i] * ll[i];
  for (int i = 0; i < NDIST; i++) bits += (uint64_t)df[i] * dl[i];
  for (size_t i = 0; i < n; i++) {
    if (toks[i].len) {
      bits += len_extra[len_code(toks[i].len)] + dist_extra[dist_code(toks[i].dist)];
    }
  }
  if (bits / 8 + 8 > rawlen && rawlen <= 0xffff) {
    bw_put(w, last, 1);
    bw_put(w, 0, 2);
    bw_align(w);
    bw_put(w, (uint32_t)rawlen, 16);
    for (size_t i = 0; i < rawlen; i++) bw_put(w, raw[i], 8);
    return;
  }
  bw_put(w, last, 1);
  bw_put(w, 1, 2);
  for (int i = 0; i < NLIT; i++) bw_put(w, ll[i], 4);
  for (int i = 0; i < NDIST; i++) bw_put(w, dl[i], 4);
  for (size_t i = 0; i < n; i++) {
    if (toks[i].len) {
      int lcd = len_code(toks[i].len), dcd = dist_code(toks[i].dist);
      bw_put(w, lc[257 + lcd], ll[257 + lcd]);
      bw_put(w, (uint32_t)(toks[i].len - len_base[lcd]), len_extra[lcd]);
      bw_put(w, dc[dcd], dl[dcd]);
      bw_put(w, (uint32_t)(toks[i].dist - dist_base[dcd]), dist_extra[dcd]);
    } else {
      bw_put(w, lc[toks[i].lit], ll[toks[i].lit]);
    }
  }
  bw_put(w, lc[256], ll[256]);
}

static ByteVec lz_compress(const uint8_t *in, size_t n, int level) {
  init_tables();
  size_t ntok;
  Token *toks = tokenize(in, n, level, &ntok);
  BitWriter w = {{0}, 0, 0};
  /* Header: original size, 32 bits. */
  bw_put(&w, (uint32_t)n & 0xffff, 16);
  bw_put(&w, (uint32_t)(n >> 16) & 0xffff, 16);
  size_t start = 0, raw_at = 0;
  if (ntok == 0) write_block(&w, toks, 0, in, 0, true);
  while (start < ntok) {
    size_t end = start + BLOCK_TOKENS < ntok ? start + BLOCK_TOKENS : ntok;
    size_t rawlen = 0;
    for (size_t i = start; i < end; i++) rawlen += toks[i].len ? toks[i].len : 1;
    write_block(&w, toks + start, end - start, in + raw_at, rawlen, end == ntok);
    raw_at += rawlen;
    start = end;
  }
  bw_align(&w);
  free(toks);
  return w.out;
}

/* Returns false on malformed input. */
static bool lz_decompress(const uint8_t *in, size_t n, ByteVec *out) {
  init_tables();
  BitReader r = {in, n, 0, 0, 0, false};
  size_t expect = br_get(&r, 16);
  expect |= (size_t)br_get(&r, 16) << 16;
  out->len = 0;
  bool last = false;
  while (!last) {
    last = br_get(&r, 1);
    uint32_t type = br_get(&r, 2);
    if (r.overrun) return false;
    if (type == 0) {
      br_align(&r);
      uint32_t len = br_get(&r, 16);
      for (uint32_t i = 0; i < len; i++) bv_push(out, (uint8_t)br_get(&r, 8));
      if (r.overrun) return false;
      continue;
    }
    if (type != 1) return false;
    uint8_t ll[NLIT], dl[NDIST];
    for (int i = 0; i < NLIT; i++) ll[i] = (uint8_t)br_get(&r, 4);
    for (int i = 0; i < NDIST; i++) dl[i] = (uint8_t)br_get(&r, 4);
    Decoder ld, dd;
    if (r.overrun || !build_decoder(&ld, ll, NLIT) || !build_decoder(&dd, dl, NDIST)) return false;
    for (;;) {
      int sym = decode_symbol(&r, &ld);
      if (sym < 0 || r.overrun) return false;
      if (sym < 256) {
        bv_push(out, (uint8_t)sym);
      } else if (sym == 256) {
        break;
      } else {
        sym -= 257;
        if (sym >= 29) return false;
        int len = len_base[sym] + (int)br_get(&r, len_extra[sym]);
        int dsym = decode_symbol(&r, &dd);
        if (dsym < 0 || dsym >= 30) return false;
        size_t dist = dist_base[dsym] + br_get(&r, dist_extra[dsym]);
        if (r.overrun || dist > out->len) return false;
        for (int k = 0; k < len; k++) bv_push(out, out->data[out->len - dist]);
      }
    }
  }
  return out->len == expect;
}

/* ---- other transforms: run-length and move-to-front ------------------------------- */

static ByteVec rle_encode(const uint8_t *in, size_t n) {
  ByteVec out = {0};
  for (size_t i = 0; i < n;) {
    size_t run = 1;
    while (i + run < n && in[i + run] == in[i] && run < 130) run++;
    if (run >= 3) {
      bv_push(&out, (uint8_t)(0x80 | (run - 3)));
      bv_push(&out, in[i]);
      i += run;
    } else {
      size_t lit = 0;
      while (i + lit < n && lit < 128) {
        if (i + lit + 2 < n && in[i + lit] == in[i + lit + 1] && in[i + lit] == in[i + lit + 2])
          break;
        lit++;
      }
      bv_push(&out, (uint8_t)(lit - 1));
      bv_append(&out, in + i, lit);
      i += lit;
    }
  }
  return out;
}

static ByteVec rle_decode(const uint8_t *in, size_t n) {
  ByteVec out = {0};
  for (size_t i = 0; i < n;) {
    uint8_t h = in[i++];
    if (h & 0x80) {
      size_t run = (size_t)(h & 0x7f) + 3;
      for (size_t k = 0; k < run && i < n; k++) bv_push(&out, in[i]);
      i++;
    } else {
      size_t lit = (size_t)h + 1;
      if (i + lit > n) lit = n - i;
      bv_append(&out, in + i, lit);
      i += lit;
    }
  }
  return out;
}

static void mtf_encode(uint8_t *data, size_t n) {
  uint8_t order[256];
  for (int i = 0; i < 256; i++) order[i] = (uint8_t)i;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = data[i], k = 0;
    while (order[k] != c) k++;
    memmove(order + 1, order, k);
    order[0] = c;
    data[i] = k;
  }
}

static void mtf_decode(uint8_t *data, size_t n) {
  uint8_t order[256];
  for (int i = 0; i < 256; i++) order[i] = (uint8_t)i;
  for (size_t i = 0; i < n; i++) {
    uint8_t k = data[i], c = order[k];
    memmove(order + 1, order, k);
    order[0] = c;
    data[i] = c;
  }
}

static bool roundtrip(const char *name, const uint8_t *data, size_t n, int level) {
  ByteVec packed = lz_compress(data, n, level);
  ByteVec unpacked = {0};
  bool ok = lz_decompress(packed.data, packed.len, &unpacked) && unpacked.len == n &&
            (n == 0 || memcmp(unpacked.data, data, n) == 0);
  g_checks++;
  if (!ok) {
    g_failures++;
    printf("FAIL lz roundtrip %s level %d\n", name, level);
  } else if (level == 6) {
    report("lz", "%-8s %7zu -> %7zu bytes (%5.1f%%), crc %08x adler %08x", name, n, packed.len,
           n ? 100.0 * (double)packed.len / (double)n : 0.0, crc32_of(data, n),
           adler32_of(data, n));
  }
  bv_free(&packed);
  bv_free(&unpacked);
  return ok;
}

void suite_lz(void) {
  init_tables();
  /* Code tables agree with their definitions. */
  for (int len = 3; len <= 258; len++) {
    int c = len_code(len);
    if (!(len >= len_base[c] && len - len_base[c] < (1 << len_extra[c]))) {
      CHECK(!"len_code");
      break;
    }
  }
  for (int d = 1; d <= WINDOW; d += 7) {
    int c = dist_code(d);
    if (!(d >= dist_base[c] && d - dist_base[c] < (1 << dist_extra[c]))) {
      CHECK(!"dist_code");
      break;
    }
  }
  char *text = make_corpus(300000, 3);
  size_t tn = strlen(text);
  Rng r;
  rng_seed(&r, 77);
  size_t rn = 50000;
  uint8_t *noise = xmalloc(rn);
  for (size_t i = 0; i < rn; i++) noise[i] = (uint8_t)rng_next(&r);
  uint8_t *zeros = xcalloc(100000, 1);
  uint8_t *ramp = xmalloc(70000);
  for (size_t i = 0; i < 70000; i++) ramp[i] = (uint8_t)(i / 300 + (i % 7));
  const char *sample = sample_text();
  for (int level = 0; level <= 6; level += 3) {
    roundtrip("corpus", (const uint8_t *)text, tn, level);
    roundtrip("noise", noise, rn, level);
    roundtrip("zeros", zeros, 100000, level);
    roundtrip("ramp", ramp, 70000, level);
    roundtrip("sample", (const uint8_t *)sample, strlen(sample), level);
    roundtrip("empty", (const uint8_t *)"", 0, level);
    roundtrip("one", (const uint8_t *)"x", 1, level);
  }

  /* Corrupted streams are rejected or decode to something else, never crash. */
  ByteVec packed = lz_compress((const uint8_t *)text, 20000, 6);
  int rejected = 0;
  for (int trial = 0; trial < 200; trial++) {
    uint8_t *copy = xmalloc(packed.len);
    memcpy(copy, packed.data, packed.len);
    size_t at = 4 + rng_below(&r, (uint32_t)(packed.len - 4));
    copy[at] ^= (uint8_t)(1u << rng_below(&r, 8));
    ByteVec out = {0};
    size_t cut = trial % 5 == 0 ? packed.len / 2 : packed.len;
    if (!lz_decompress(copy, cut, &out) || memcmp(out.data, text, 20000) != 0) rejected++;
    bv_free(&out);
    free(copy);
  }
  CHECK(rejected >= 190);
  bv_free(&packed);

  /* RLE and move-to-front. */
  ByteVec rle = rle_encode(zeros, 100000);
  ByteVec back = rle_decode(rle.data, rle.len);
  CHECK(back.len == 100000 && memcmp(back.data, zeros, 100000) == 0);
  CHECK(rle.len < 2000);
  bv_free(&rle);
  bv_free(&back);
  rle = rle_encode((const uint8_t *)text, tn);
  back = rle_decode(rle.data, rle.len);
  CHECK(back.len == tn && memcmp(back.data, text, tn) == 0);
  bv_free(&rle);
  bv_free(&back);
  uint8_t *m = xmalloc(tn);
  memcpy(m, text, tn);
  mtf_encode(m, tn);
  size_t small = 0;
  for (size_t i = 0; i < tn; i++) small += m[i] < 16;
  mtf_decode(m, tn);
  CHECK(memcmp(m, text, tn) == 0);
  report("lz", "rle+mtf ok; %zu%% of move-to-front codes below 16", 100 * small / tn);
  free(m);
  free(text);
  free(noise);
  free(zeros);
  free(ramp);
}
