def binary_to_gray(n: int) -> int:
    if n < 0:
        raise ValueError("n must be non-negative")
    return n ^ (n >> 1)
