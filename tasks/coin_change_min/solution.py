def coin_change_min(coins: list[int], amount: int) -> int:
    if amount < 0:
        raise ValueError("amount must be non-negative")
    values = sorted(set(c for c in coins if c > 0))
    inf = amount + 1
    best = [0] + [inf] * amount
    for a in range(1, amount + 1):
        for c in values:
            if c > a:
                break
            if best[a - c] + 1 < best[a]:
                best[a] = best[a - c] + 1
    return best[amount] if best[amount] <= amount else -1
