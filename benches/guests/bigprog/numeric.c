/* Numerics: dense linear algebra, FFT, quadrature, root finding, ODEs, statistics, and
 * a Mandelbrot set, each checked against a known answer or an independent method. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- matrices --------------------------------------------------------------------- */

typedef struct {
  int rows, cols;
  double *a;
} Mat;

static Mat mat_new(int rows, int cols) {
  Mat m = {rows, cols, xcalloc((size_t)rows * (size_t)cols, sizeof(double))};
  return m;
}

static double *at(Mat *m, int r, int c) { return &m->a[(size_t)r * (size_t)m->cols + (size_t)c]; }
static double get(const Mat *m, int r, int c) { return m->a[(size_t)r * (size_t)m->cols + (size_t)c]; }

static Mat mat_mul(const Mat *x, const Mat *y) {
  Mat r = mat_new(x->rows, y->cols);
  /* i-k-j order, blocked by 32 for locality. */
  for (int ii = 0; ii < x->rows; ii += 32)
    for (int kk = 0; kk < x->cols; kk += 32)
      for (int i = ii; i < ii + 32 && i < x->rows; i++)
        for (int k = kk; k < kk + 32 && k < x->cols; k++) {
          double v = get(x, i, k);
          double *row = at(&r, i, 0);
          const double *yr = &y->a[(size_t)k * (size_t)y->cols];
          for (int j = 0; j < y->cols; j++) row[j] += v * yr[j];
        }
  return r;
}

typedef struct {
  Mat lu;
  int *perm;
  int sign;
  bool singular;
} LU;

static LU lu_decompose(const Mat *m) {
  int n = m->rows;
  LU d = {mat_new(n, n), xmalloc((size_t)n * sizeof(int)), 1, false};
  memcpy(d.lu.a, m->a, (size_t)n * (size_t)n * sizeof(double));
  for (int i = 0; i < n; i++) d.perm[i] = i;
  for (int k = 0; k < n; k++) {
    int p = k;
    double best = fabs(get(&d.lu, k, k));
    for (int i = k + 1; i < n; i++) {
      double v = fabs(get(&d.lu, i, k));
      if (v > best) best = v, p = i;
    }
    if (best < 1e-300) {
      d.singular = true;
      return d;
    }
    if (p != k) {
      for (int j = 0; j < n; j++) {
        double t = get(&d.lu, k, j);
        *at(&d.lu, k, j) = get(&d.lu, p, j);
        *at(&d.lu, p, j) = t;
      }
      int t = d.perm[k];
      d.perm[k] = d.perm[p];
      d.perm[p] = t;
      d.sign = -d.sign;
    }
    for (int i = k + 1; i < n; i++) {
      double f = get(&d.lu, i, k) / get(&d.lu, k, k);
      *at(&d.lu, i, k) = f;
      for (int j = k + 1; j < n; j++) *at(&d.lu, i, j) -= f * get(&d.lu, k, j);
    }
  }
  return d;
}

static void lu_solve(const LU *d, const double *b, double *x) {
  int n = d->lu.rows;
  for (int i = 0; i < n; i++) {
    double s = b[d->perm[i]];
    for (int j = 0; j < i; j++) s -= get(&d->lu, i, j) * x[j];
    x[i] = s;
  }
  for (int i = n - 1; i >= 0; i--) {
    double s = x[i];
    for (int j = i + 1; j < n; j++) s -= get(&d->lu, i, j) * x[j];
    x[i] = s / get(&d->lu, i, i);
  }
}

static double lu_det(const LU *d) {
  if (d->singular) return 0;
  double det = d->sign;
  for (int i = 0; i < d->lu.rows; i++) det *= get(&d->lu, i, i);
  return det;
}

static void lu_free(LU *d) {
  free(d->lu.a);
  free(d->perm);
}

/* ---- FFT -------------------------------------------------------------------------- */

typedef struct {
  double re, im;
} Cx;

static void fft(Cx *x, int n, bool inverse) {
  for (int i = 1, j = 0; i < n; i++) {
    int bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      Cx t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
  }
  for (int len = 2; len <= n; len <<= 1) {
    double ang = 2 * M_PI / len * (inverse ? 1 : -1);
    Cx wl = {cos(ang), sin(ang)};
    for (int i = 0; i < n; i += len) {
      Cx w = {1, 0};
      for (int k = 0; k < len / 2; k++) {
        Cx u = x[i + k], v = x[i + k + len / 2];
        Cx t = {v.re * w.re - v.im * w.im, v.re * w.im + v.im * w.re};
        x[i + k] = (Cx){u.re + t.re, u.im + t.im};
        x[i + k + len / 2] = (Cx){u.re - t.re, u.im - t.im};
        w = (Cx){w.re * wl.re - w.im * wl.im, w.re * wl.im + w.im * wl.re};
      }
    }
  }
  if (inverse)
    for (int i = 0; i < n; i++) x[i].re /= n, x[i].im /= n;
}

/* ---- calculus --------------------------------------------------------------------- */

typedef double (*Fn)(double, void *);

static double simpson(Fn f, void *ctx, double a, double b, int n) {
  if (n % 2) n++;
  double h = (b - a) / n, s = f(a, ctx) + f(b, ctx);
  for (int i = 1; i < n; i++) s += f(a + i * h, ctx) * (i % 2 ? 4 : 2);
  return s * h / 3;
}

static double adaptive_rec(Fn f, void *ctx, double a, double b, double fa, double fm,
                           double fb, double whole, double eps, int depth, int *evals) {
  double m = (a + b) / 2, lm = (a + m) / 2, rm = (m + b) / 2;
  double flm = f(lm, ctx), frm = f(rm, ctx);
  *evals += 2;
  double left = (m - a) / 6 * (fa + 4 * flm + fm), right = (b - m) / 6 * (fm + 4 * frm + fb);
  double delta = left + right - whole;
  if (depth <= 0 || fabs(delta) <= 15 * eps) return left + right + delta / 15;
  return adaptive_rec(f, ctx, a, m, fa, flm, fm, left, eps / 2, depth - 1, evals) +
         adaptive_rec(f, ctx, m, b, fm, frm, fb, right, eps / 2, depth - 1, evals);
}

static double adaptive_simpson(Fn f, void *ctx, double a, double b, double eps, int *evals) {
  double fa = f(a, ctx), fb = f(b, ctx), fm = f((a + b) / 2, ctx);
  *evals = 3;
  return adaptive_rec(f, ctx, a, b, fa, fm, fb, (b - a) / 6 * (fa + 4 * fm + fb), eps, 50,
                      evals);
}

static double f_sin(double x, void *ctx) {
  (void)ctx;
  return sin(x);
}
static double f_gauss(double x, void *ctx) {
  (void)ctx;
  return exp(-x * x);
}
static double f_poly(double x, void *ctx) {
  const double *c = ctx;
  return ((c[3] * x + c[2]) * x + c[1]) * x + c[0];
}
static double f_sqrt_minus(double x, void *ctx) { return x * x - *(double *)ctx; }
static double f_sqrt_deriv(double x, void *ctx) {
  (void)ctx;
  return 2 * x;
}

static double newton(Fn f, Fn df, void *ctx, double x, int *iters) {
  for (*iters = 0; *iters < 100; (*iters)++) {
    double step = f(x, ctx) / df(x, ctx);
    x -= step;
    if (fabs(step) < 1e-15 * (1 + fabs(x))) break;
  }
  return x;
}

static double bisect(Fn f, void *ctx, double lo, double hi) {
  double flo = f(lo, ctx);
  for (int i = 0; i < 200 && hi - lo > 1e-14; i++) {
    double mid = (lo + hi) / 2, fm = f(mid, ctx);
    if ((fm < 0) == (flo < 0)) {
      lo = mid, flo = fm;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

/* RK4 for y'' = -y as a system; returns the energy drift after `steps`. */
static double rk4_oscillator(double dt, int steps, double *x_out) {
  double x = 1, v = 0;
  for (int i = 0; i < steps; i++) {
    double k1x = v, k1v = -x;
    double k2x = v + dt / 2 * k1v, k2v = -(x + dt / 2 * k1x);
    double k3x = v + dt / 2 * k2v, k3v = -(x + dt / 2 * k2x);
    double k4x = v + dt * k3v, k4v = -(x + dt * k3x);
    x += dt / 6 * (k1x + 2 * k2x + 2 * k3x + k4x);
    v += dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v);
  }
  *x_out = x;
  return fabs(0.5 * (x * x + v * v) - 0.5);
}

/* ---- statistics ------------------------------------------------------------------- */

typedef struct {
  long n;
  double mean, m2, min, max;
} Welford;

static void welford_add(Welford *w, double x) {
  if (w->n == 0) w->min = w->max = x;
  w->n++;
  double d = x - w->mean;
  w->mean += d / (double)w->n;
  w->m2 += d * (x - w->mean);
  if (x < w->min) w->min = x;
  if (x > w->max) w->max = x;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static uint64_t isqrt64(uint64_t n) {
  uint64_t x = n, y = n / 2 + 1; /* no overflow at UINT64_MAX */
  if (n < 2) return n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2;
  }
  return x;
}

/* ---- Mandelbrot ------------------------------------------------------------------- */

static int mandel_iters(double cr, double ci, int max) {
  double zr = 0, zi = 0;
  int i = 0;
  while (i < max && zr * zr + zi * zi <= 4) {
    double t = zr * zr - zi * zi + cr;
    zi = 2 * zr * zi + ci;
    zr = t;
    i++;
  }
  return i;
}

void suite_numeric(void) {
  /* Linear algebra: solve A x = b for a random diagonally dominant A, check residual;
   * determinant of a known matrix; A * A^-1 = I. */
  Rng r;
  rng_seed(&r, 123);
  int n = 60;
  Mat a = mat_new(n, n);
  for (int i = 0; i < n; i++) {
    double rowsum = 0;
    for (int j = 0; j < n; j++) {
      double v = rng_double(&r) * 2 - 1;
      *at(&a, i, j) = v;
      rowsum += fabs(v);
    }
    *at(&a, i, i) = rowsum + 1;
  }
  double *b = xmalloc((size_t)n * sizeof(double)), *x = xmalloc((size_t)n * sizeof(double));
  for (int i = 0; i < n; i++) b[i] = rng_double(&r) * 10;
  LU d = lu_decompose(&a);
  CHECK(!d.singular);
  lu_solve(&d, b, x);
  double resid = 0;
  for (int i = 0; i < n; i++) {
    double s = -b[i];
    for (int j = 0; j < n; j++) s += get(&a, i, j) * x[j];
    resid = fmax(resid, fabs(s));
  }
  CHECK(resid < 1e-10);
  Mat inv = mat_new(n, n);
  double *e = xcalloc((size_t)n, sizeof(double)), *col = xmalloc((size_t)n * sizeof(double));
  for (int j = 0; j < n; j++) {
    memset(e, 0, (size_t)n * sizeof(double));
    e[j] = 1;
    lu_solve(&d, e, col);
    for (int i = 0; i < n; i++) *at(&inv, i, j) = col[i];
  }
  Mat id = mat_mul(&a, &inv);
  double off = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) off = fmax(off, fabs(get(&id, i, j) - (i == j)));
  CHECK(off < 1e-12);
  lu_free(&d);
  Mat k3 = mat_new(3, 3);
  double k3v[] = {2, -3, 1, 2, 0, -1, 1, 4, 5};
  memcpy(k3.a, k3v, sizeof k3v);
  d = lu_decompose(&k3);
  CHECK_NEAR(lu_det(&d), 49, 1e-12);
  lu_free(&d);
  double sing[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  memcpy(k3.a, sing, sizeof sing);
  d = lu_decompose(&k3);
  CHECK(fabs(lu_det(&d)) < 1e-9);
  lu_free(&d);
  report("numeric", "LU solve n=%d residual %.2e, |A*inv(A) - I| %.2e", n, resid, off);
  free(a.a), free(inv.a), free(id.a), free(k3.a), free(b), free(x), free(e), free(col);

  /* FFT: round trip, Parseval, and convolution against the direct sum. */
  int fn = 1024;
  Cx *sig = xmalloc((size_t)fn * sizeof(Cx)), *orig = xmalloc((size_t)fn * sizeof(Cx));
  for (int i = 0; i < fn; i++) {
    sig[i].re = sin(2 * M_PI * 5 * i / fn) + 0.5 * cos(2 * M_PI * 40 * i / fn) + rng_double(&r) * 0.01;
    sig[i].im = 0;
  }
  memcpy(orig, sig, (size_t)fn * sizeof(Cx));
  double energy_t = 0, energy_f = 0;
  for (int i = 0; i < fn; i++) energy_t += orig[i].re * orig[i].re;
  fft(sig, fn, false);
  int peak = 1;
  for (int i = 0; i < fn; i++) {
    double m = sig[i].re * sig[i].re + sig[i].im * sig[i].im;
    energy_f += m;
    if (i > 0 && i < fn / 2 && m > sig[peak].re * sig[peak].re + sig[peak].im * sig[peak].im) peak = i;
  }
  CHECK_INT(peak, 5);
  CHECK_NEAR(energy_f / fn, energy_t, 1e-8 * energy_t);
  fft(sig, fn, true);
  double err = 0;
  for (int i = 0; i < fn; i++) err = fmax(err, fabs(sig[i].re - orig[i].re) + fabs(sig[i].im));
  CHECK(err < 1e-12);
  int cn = 256;
  double *p = xmalloc(128 * sizeof(double)), *q = xmalloc(128 * sizeof(double));
  Cx *pa = xcalloc((size_t)cn, sizeof(Cx)), *qa = xcalloc((size_t)cn, sizeof(Cx));
  for (int i = 0; i < 128; i++) {
    p[i] = (double)rng_below(&r, 10);
    q[i] = (double)rng_below(&r, 10);
    pa[i].re = p[i];
    qa[i].re = q[i];
  }
  fft(pa, cn, false);
  fft(qa, cn, false);
  for (int i = 0; i < cn; i++)
    pa[i] = (Cx){pa[i].re * qa[i].re - pa[i].im * qa[i].im, pa[i].re * qa[i].im + pa[i].im * qa[i].re};
  fft(pa, cn, true);
  double conv_err = 0;
  for (int k = 0; k < 255; k++) {
    double direct = 0;
    for (int i = 0; i <= k; i++)
      if (i < 128 && k - i < 128) direct += p[i] * q[k - i];
    conv_err = fmax(conv_err, fabs(direct - pa[k].re));
  }
  CHECK(conv_err < 1e-9);
  report("numeric", "FFT n=%d: peak bin %d, round-trip error %.2e, convolution error %.2e", fn,
         peak, err, conv_err);
  free(sig), free(orig), free(p), free(q), free(pa), free(qa);

  /* Quadrature and roots. */
  CHECK_NEAR(simpson(f_sin, NULL, 0, M_PI, 1000), 2.0, 1e-11);
  int evals;
  double g = adaptive_simpson(f_gauss, NULL, -6, 6, 1e-12, &evals);
  CHECK_NEAR(g, sqrt(M_PI), 1e-10);
  double coef[4] = {1, -2, 0.5, 3};
  /* integral of 3x^3 + 0.5x^2 - 2x + 1 over [0, 2] = 12 + 4/3 - 4 + 2 */
  CHECK_NEAR(simpson(f_poly, coef, 0, 2, 10), 12 + 4.0 / 3 - 4 + 2, 1e-12);
  double two = 2;
  int iters;
  double root = newton(f_sqrt_minus, f_sqrt_deriv, &two, 1, &iters);
  CHECK_NEAR(root, sqrt(2.0), 1e-15);
  CHECK_NEAR(bisect(f_sqrt_minus, &two, 0, 2), sqrt(2.0), 1e-13);
  double xend;
  double drift = rk4_oscillator(0.01, 628, &xend);
  CHECK(drift < 1e-8);
  CHECK_NEAR(xend, cos(6.28), 1e-8);
  report("numeric", "gauss integral %.12f (%d evaluations), sqrt(2) in %d Newton steps, "
                    "RK4 drift %.2e",
         g, evals, iters, drift);

  /* Statistics. */
  Welford w = {0};
  int sn = 100001;
  double *samples = xmalloc((size_t)sn * sizeof(double));
  for (int i = 0; i < sn; i++) {
    /* Sum of 12 uniforms minus 6: approximately standard normal. */
    double s = -6;
    for (int k = 0; k < 12; k++) s += rng_double(&r);
    samples[i] = s;
    welford_add(&w, s);
  }
  double var = w.m2 / (double)(w.n - 1);
  CHECK(fabs(w.mean) < 0.02);
  CHECK(fabs(var - 1) < 0.02);
  qsort(samples, (size_t)sn, sizeof(double), cmp_double);
  double median = samples[sn / 2];
  CHECK(fabs(median) < 0.02);
  report("numeric", "normal-ish samples: mean %.4f var %.4f median %.4f range [%.2f, %.2f]",
         w.mean, var, median, w.min, w.max);
  free(samples);
  uint64_t ok_sqrt = 0;
  for (uint64_t v = 0; v < 100000; v += 7) {
    uint64_t s = isqrt64(v * v + v);
    ok_sqrt += s == v;
  }
  CHECK_INT(ok_sqrt, (100000 + 6) / 7);
  CHECK_INT(isqrt64(UINT64_MAX), 4294967295ull);

  /* Mandelbrot: an ASCII picture, and its checksum. */
  StrBuf pic;
  sb_init(&pic);
  long total_iters = 0;
  for (int y = 0; y < 24; y++) {
    for (int xx = 0; xx < 64; xx++) {
      int it = mandel_iters(-2.2 + xx * 3.0 / 64, -1.2 + y * 2.4 / 24, 500);
      total_iters += it;
      sb_putc(&pic, " .:-=+*#%@"[it >= 500 ? 9 : it % 9]);
    }
    sb_putc(&pic, '\n');
  }
  long inside = 0;
  for (size_t i = 0; i < pic.len; i++) inside += pic.data[i] == '@';
  CHECK(inside > 200 && inside < 600);
  if (g_verbose) fputs(pic.data, stdout);
  report("numeric", "mandelbrot 64x24: %ld points inside, %ld iterations, crc %08x", inside,
         total_iters, crc32_of(pic.data, pic.len));
  sb_free(&pic);
}
