n = int(input())
count = 0
for k in range(2, n + 1):
    if all(k % d for d in range(2, int(k**0.5) + 1)):
        count += 1
print(count)
