/* Quicksort (median of three, insertion sort below 16 elements, recursion on the smaller
   side) of n pseudo-random 32-bit integers (n <= 1,048,576). run(n) = checksum of the
   sorted array, or -1 if it is not sorted. */
#include "wl.h"

#define MAXN (1 << 20)

static uint32_t arr[MAXN];

static void insertion(uint32_t *a, int32_t lo, int32_t hi) {
    for (int32_t i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        int32_t j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static inline void swap(uint32_t *a, int32_t i, int32_t j) {
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(uint32_t *a, int32_t lo, int32_t hi) {
    while (hi - lo >= 16) {
        int32_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        uint32_t pivot = a[mid];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                swap(a, i, j);
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion(a, lo, hi);
}

EXPORT int32_t run(int32_t n) {
    if (n < 1 || n > MAXN) return -1;
    uint32_t s = 0x9e3779b9;
    for (int32_t i = 0; i < n; i++) arr[i] = xs32(&s) % 1000003u;
    quicksort(arr, 0, n - 1);
    uint32_t h = 2166136261u;
    for (int32_t i = 0; i < n; i++) {
        if (i > 0 && arr[i - 1] > arr[i]) return -1;
        h = mix(h, arr[i]);
    }
    return (int32_t)h;
}
