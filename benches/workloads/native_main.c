/* Native driver for `build.sh --check`: runs a C workload on the host and prints
   run(argv[1]) as a signed 32-bit integer, as the Wasm runtimes print an i32 result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int32_t run(int32_t n);

#ifdef NATIVE_SELFTEST
void sha256_abc(uint32_t out[8]);
#endif

int main(int argc, char **argv) {
#ifdef NATIVE_SELFTEST
    if (argc > 1 && argv[1][0] == 'a') {
        uint32_t d[8];
        sha256_abc(d);
        for (int i = 0; i < 8; i++) printf("%08x", d[i]);
        printf("\n");
        return 0;
    }
#endif
    if (argc < 2) return 2;
    printf("%d\n", run((int32_t)atoi(argv[1])));
    return 0;
}
