def pascal_row(n: int) -> list[int]:
    if n < 0:
        raise ValueError("n must be non-negative")
    row = [1]
    for _ in range(n):
        row = [1] + [row[i] + row[i + 1] for i in range(len(row) - 1)] + [1]
    return row
