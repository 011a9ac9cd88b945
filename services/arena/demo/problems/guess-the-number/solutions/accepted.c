#include <stdio.h>

int main(void) {
    long low = 1, high;
    char answer[4];
    if (scanf("%ld", &high) != 1) return 1;
    while (low < high) {
        long middle = (low + high) / 2;
        printf("? %ld\n", middle);
        fflush(stdout);
        if (scanf("%3s", answer) != 1) return 1;
        if (answer[0] == '=') low = high = middle;
        else if (answer[0] == '<') high = middle - 1;
        else low = middle + 1;
    }
    printf("! %ld\n", low);
    fflush(stdout);
    return 0;
}
