def flatten_list(xs: list) -> list:
    out = []
    stack = [iter(xs)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out
