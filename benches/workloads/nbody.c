/* N-body: 5 bodies under gravity, leapfrog-style steps of dt = 0.01 (f64 arithmetic and
   sqrt). The initial state is made up here. run(n) = checksum of the bits of the system's
   energy and of the first body's position after n steps. */
#include "wl.h"

#define NB 5

typedef struct { double x, y, z, vx, vy, vz, m; } Body;

static Body bodies[NB];

static void init(void) {
    static const double x0[NB] = {0.0, 1.5, -3.25, 6.0, -9.5};
    static const double v0[NB] = {0.0, 0.6, -0.45, 0.3, -0.2};
    static const double m0[NB] = {40.0, 0.05, 0.02, 0.3, 0.1};
    for (int i = 0; i < NB; i++) {
        bodies[i].x = x0[i];
        bodies[i].y = x0[i] * 0.25 - 0.5 * i;
        bodies[i].z = 0.125 * i;
        bodies[i].vx = -v0[i] * 0.1;
        bodies[i].vy = v0[i];
        bodies[i].vz = 0.01 * (i - 2);
        bodies[i].m = m0[i];
    }
}

static double sqrt_(double x) { return __builtin_sqrt(x); }

static void advance(double dt) {
    for (int i = 0; i < NB; i++) {
        Body *a = &bodies[i];
        for (int j = i + 1; j < NB; j++) {
            Body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt_(d2));
            a->vx -= dx * b->m * mag;
            a->vy -= dy * b->m * mag;
            a->vz -= dz * b->m * mag;
            b->vx += dx * a->m * mag;
            b->vy += dy * a->m * mag;
            b->vz += dz * a->m * mag;
        }
    }
    for (int i = 0; i < NB; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static double energy(void) {
    double e = 0.0;
    for (int i = 0; i < NB; i++) {
        Body *a = &bodies[i];
        e += 0.5 * a->m * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < NB; j++) {
            Body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->m * b->m / sqrt_(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

EXPORT int32_t run(int32_t n) {
    init();
    for (int32_t s = 0; s < n; s++) advance(0.01);
    union { double d; uint64_t u; } e = {energy()}, x = {bodies[0].x};
    return (int32_t)mix(mix(mix((uint32_t)e.u, (uint32_t)(e.u >> 32)), (uint32_t)x.u),
                        (uint32_t)(x.u >> 32));
}
