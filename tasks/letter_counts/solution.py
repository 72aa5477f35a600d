def letter_counts(s: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in s:
        if c.isalpha():
            key = c.lower()
            counts[key] = counts.get(key, 0) + 1
    return counts
