/* f64 matrix multiply: C = A * B for n x n matrices (n <= 256), naive i-k-j order.
   run(n) = a checksum of the bits of the sum of C's entries and of its diagonal. */
#include "wl.h"

#define MAXN 256

static double A[MAXN * MAXN], B[MAXN * MAXN], C[MAXN * MAXN];

EXPORT int32_t run(int32_t n) {
    if (n < 1 || n > MAXN) return -1;
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = 0; j < n; j++) {
            A[i * n + j] = (double)((i * 7 + j * 3) % 17) / 8.0 - 1.0;
            B[i * n + j] = (double)((i * 5 + j * 11) % 13) / 4.0 + 0.125;
            C[i * n + j] = 0.0;
        }
    for (int32_t i = 0; i < n; i++)
        for (int32_t k = 0; k < n; k++) {
            double a = A[i * n + k];
            for (int32_t j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
        }
    double sum = 0.0, diag = 0.0;
    for (int32_t i = 0; i < n; i++) {
        diag += C[i * n + i];
        for (int32_t j = 0; j < n; j++) sum += C[i * n + j] * (double)(j + 1);
    }
    union { double d; uint64_t u; } s = {sum}, t = {diag};
    return (int32_t)mix(mix(mix((uint32_t)s.u, (uint32_t)(s.u >> 32)), (uint32_t)t.u),
                        (uint32_t)(t.u >> 32));
}
