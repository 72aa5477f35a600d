def decode_ways(s: str) -> int:
    if any(c not in "0123456789" for c in s):
        raise ValueError("only ASCII digits are allowed")
    prev2, prev1 = 0, 1  # ways for s[:i-2], s[:i-1]
    for i in range(1, len(s) + 1):
        cur = 0
        if s[i - 1] != "0":
            cur += prev1
        if i >= 2 and "10" <= s[i - 2:i] <= "26":
            cur += prev2
        prev2, prev1 = prev1, cur
    return prev1
