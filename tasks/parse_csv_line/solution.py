def parse_csv_line(line: str) -> list[str]:
    fields: list[str] = []
    i, n = 0, len(line)
    while True:
        if i < n and line[i] == '"':
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise ValueError("unterminated quoted field")
                c = line[i]
                if c == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(c)
                i += 1
            if i < n and line[i] != ",":
                raise ValueError("unexpected character after closing quote")
            fields.append("".join(buf))
        else:
            j = line.find(",", i)
            if j == -1:
                j = n
            field = line[i:j]
            if '"' in field:
                raise ValueError("quote inside unquoted field")
            fields.append(field)
            i = j
        if i >= n:
            return fields
        i += 1  # skip the comma
        if i == n:
            fields.append("")
            return fields
