#include <stdio.h>
#include <string.h>
static char s[100005];
int main(void) {
    if (scanf("%100001s", s) != 1) return 1;
    for (int i = (int)strlen(s) - 1; i >= 0; i--) putchar(s[i]);
    putchar('\n');
    return 0;
}
