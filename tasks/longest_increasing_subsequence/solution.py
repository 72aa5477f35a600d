from bisect import bisect_left


def longest_increasing_subsequence(xs: list[int]) -> int:
    tails: list[int] = []
    for x in xs:
        i = bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)
