"""Vietnamese text as old Windows software writes it (shared by the bad-input and hostile-input tests)."""

import unicodedata


def cp1258(text: str) -> bytes:
    """Vietnamese in Windows-1258: precomposed vowels where the code page has them, combining tone marks otherwise."""
    out = []
    for ch in text:
        base, *marks = unicodedata.normalize("NFD", ch)
        candidates = [ch] + [unicodedata.normalize("NFC", base + m) + "".join(marks[:i] + marks[i + 1:])
                             for i, m in enumerate(marks)] + [base + "".join(marks)]  # fmt: skip
        for candidate in candidates:
            try:
                out.append(candidate.encode("cp1258"))
                break
            except UnicodeEncodeError:
                continue
        else:
            raise ValueError(f"{ch!r} has no Windows-1258 form")
    return b"".join(out)
