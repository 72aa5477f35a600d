def top_k_words(text: str, k: int) -> list[str]:
    counts: dict[str, int] = {}
    word: list[str] = []
    for c in text + " ":
        if c.isalpha():
            word.append(c)
        elif word:
            w = "".join(word).lower()
            counts[w] = counts.get(w, 0) + 1
            word = []
    if k <= 0:
        return []
    return sorted(counts, key=lambda w: (-counts[w], w))[:k]
