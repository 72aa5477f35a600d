def sort_ints(xs: list[int]) -> list[int]:
    return sorted(xs)
