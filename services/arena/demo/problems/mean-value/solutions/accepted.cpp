#include <cstdio>
#include <iostream>
int main() {
    int n;
    std::cin >> n;
    double sum = 0, x;
    for (int i = 0; i < n; i++) { std::cin >> x; sum += x; }
    std::printf("%.9f\n", sum / n);
}
