def second_largest(xs: list[int]) -> int | None:
    distinct = sorted(set(xs))
    if len(distinct) < 2:
        return None
    return distinct[-2]
