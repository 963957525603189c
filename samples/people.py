"""Synthetic personal data: applicants (names, citizen IDs, phones, e-mails, addresses, organisations) and officials.

Nothing here is real. Every value is a pure function of (seed, dossier index, field), through a counter-based hash,
so a dossier re-sent on a later day carries the same applicant without storing anything per dossier, and whole
columns are built at once (numpy for the hashes, polars gathers and concatenations for the strings).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import polars as pl

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective, well-mixed hash of uint64 values."""
    z = np.asarray(x, dtype=np.uint64) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class Hasher:
    """h(ids, salt): independent uint64 streams per field (salt) for any set of dossier indices."""

    def __init__(self, seed: int):
        self.key = mix64(np.asarray([seed], dtype=np.uint64))[0]

    def __call__(self, ids: np.ndarray, salt: int) -> np.ndarray:
        salted = self.key ^ mix64(np.asarray([salt], dtype=np.uint64))[0]
        return mix64(np.asarray(ids, dtype=np.uint64) ^ salted)

    def unit(self, ids: np.ndarray, salt: int) -> np.ndarray:
        """Uniform floats in [0, 1)."""
        return (self(ids, salt) >> np.uint64(11)).astype(np.float64) / float(1 << 53)

    def below(self, ids: np.ndarray, salt: int, n: int | np.ndarray) -> np.ndarray:
        """Uniform integers in [0, n)."""
        return (self(ids, salt) % np.asarray(n, dtype=np.uint64)).astype(np.int64)


def nfc(words) -> list[str]:
    return [unicodedata.normalize("NFC", w) for w in words]


def ascii_fold(s: str) -> str:
    s = s.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


# Surnames with rough frequencies in north-central Vietnam (Hồ, Đậu, Thái are typical of Nghệ An).
SURNAMES = {
    "Nguyễn": 31, "Trần": 10, "Lê": 9, "Phạm": 5, "Hoàng": 5, "Phan": 5, "Hồ": 4, "Võ": 3, "Vũ": 2, "Đặng": 2,
    "Bùi": 2, "Đỗ": 1.5, "Ngô": 1.5, "Đinh": 1.5, "Dương": 1, "Thái": 1, "Đậu": 1, "Cao": 1, "Trương": 1, "Chu": 0.7,
    "Lương": 0.8, "Hà": 0.8, "Mai": 0.5, "Lưu": 0.4, "Tăng": 0.3,
}
# Thái, Khơ Mú and H'Mông family names of the western highland communes.
HIGHLAND_SURNAMES = {
    "Lô": 8, "Vi": 7, "Lương": 6, "Lang": 4, "Sầm": 3, "Ngân": 3, "Kha": 2, "Quang": 2, "Moong": 2, "Xồng": 2,
    "Và": 2, "Lầu": 2, "Lữ": 2, "Hà": 2, "Cụt": 1, "Nguyễn": 6, "Lê": 2,
}
MIDDLE_MALE = {"Văn": 40, "Đình": 8, "Hữu": 8, "Đức": 8, "Công": 6, "Quang": 6, "Minh": 6, "Xuân": 5, "Trọng": 4,
               "Bá": 3, "Ngọc": 3, "Thanh": 3}
MIDDLE_FEMALE = {"Thị": 55, "Ngọc": 6, "Thu": 5, "Thanh": 5, "Hồng": 5, "Phương": 4, "Minh": 4, "Thùy": 4,
                 "Khánh": 3, "Mai": 3, "Bảo": 3}
GIVEN_MALE = nfc(
    "Hùng Dũng Tuấn Hải Nam Long Minh Quân Thắng Sơn Trung Cường Phong Đạt Tâm Hiếu Hoàng Huy Khánh Lâm Lộc Phúc "
    "Quang Thành Tiến Toàn Tùng Vinh Việt Bình Chiến Đông Đức Giang Hà Hậu Hòa Kiên Nghĩa Nhân Phương Tài Thái Thịnh "
    "Trường An Bảo Dương Khôi Nguyên".split())
GIVEN_FEMALE = nfc(
    "Lan Hương Hoa Mai Linh Trang Thảo Hằng Nga Huyền Ngọc Nhung Thủy Yến Hà Phương Loan Anh Chi Dung Giang Hạnh "
    "Hiền Hồng Huệ Lệ Liên Ly My Nguyệt Oanh Quỳnh Tâm Thu Thúy Trâm Tuyết Uyên Vân Xuân Hải Hòa Ngân Vy Diệp Hậu "
    "Lam Như Thanh Duyên".split())
PHONE_PREFIXES = ["090", "091", "093", "094", "096", "097", "098", "086", "088", "089", "032", "033", "034",
                  "035", "036", "037", "038", "039", "081", "082", "083", "084", "085"]
MAIL_DOMAINS = ["gmail.com"] * 8 + ["yahoo.com", "outlook.com", "nghean.gov.vn", "icloud.com"]
# Provinces of birth (first three digits of a citizen ID, the codes of the ID-card decree) besides the home one.
BIRTH_ELSEWHERE = [38, 42, 1, 79, 44, 36, 30, 26, 48, 34]
HAMLETS = nfc(["Đông Sơn", "Tân Hợp", "Trung Thành", "Yên Lạc", "Phú Lợi", "Hồng Phong", "Quyết Tiến", "Tân Lập",
               "Bắc Sơn", "Nam Hồng", "Thượng Khê", "Hạ Long", "Đồng Tâm", "Kim Tiến", "Xuân Mai", "Thanh Bình"])
VILLAGES_HIGHLAND = nfc(["Na Khướng", "Huồi Cọ", "Xốp Mạt", "Piêng Phô", "Cha Lúm", "Tà Cạ", "Khe Nằn", "Phà Nọi",
                         "Hòa Sơn", "Mường Hinh", "Pủng", "Na Cướm", "Huồi Mới", "Cánh Tráp", "Phà Khảo", "Xiềng Líp"])
ORG_FORMS = nfc(["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân", "Hợp tác xã"])
ORG_TRADES = nfc(["Xây dựng", "Thương mại", "Dịch vụ", "Vận tải", "Nông nghiệp", "Đầu tư", "Du lịch", "Thực phẩm",
                  "Dược phẩm", "Môi trường", "Cơ khí", "Điện tử", "Kỹ thuật", "Bất động sản"])
ORG_BRANDS = nfc(["Minh Phát", "Hoàng Long", "Trường Thịnh", "Phú Cường", "Sông Lam", "Hồng Lĩnh", "An Khang",
                  "Đại Việt", "Thành Vinh", "Bắc Trung Bộ", "Hưng Thịnh", "Tân Phát", "Việt Á", "Lam Hồng",
                  "Đông Nam", "Kim Liên", "Bình Minh", "Phúc Lộc", "Quang Minh", "Hải Đăng"])
STATE_ORGS = nfc(["Trường Tiểu học", "Trường Mầm non", "Trường Trung học cơ sở", "Trạm Y tế", "Ban Quản lý dự án"])
SOCIAL_ORGS = nfc(["Hội Nông dân", "Hội Liên hiệp Phụ nữ", "Hội Cựu chiến binh", "Đoàn Thanh niên", "Hội Chữ thập đỏ"])


def _pool(d: dict[str, float]) -> tuple[pl.Series, np.ndarray]:
    names = nfc(d)
    w = np.asarray(list(d.values()), dtype=np.float64)
    return pl.Series(names, dtype=pl.String), np.cumsum(w) / w.sum()


_SUR, _SUR_CUM = _pool(SURNAMES)
_SUR_HL, _SUR_HL_CUM = _pool(HIGHLAND_SURNAMES)
_MID_M, _MID_M_CUM = _pool(MIDDLE_MALE)
_MID_F, _MID_F_CUM = _pool(MIDDLE_FEMALE)
_ASCII = {s: ascii_fold(s).lower() for s in list(SURNAMES) + list(HIGHLAND_SURNAMES) + GIVEN_MALE + GIVEN_FEMALE}


def _weighted(pool: pl.Series, cum: np.ndarray, u: np.ndarray) -> pl.Series:
    return pool.gather(np.minimum(np.searchsorted(cum, u, side="right"), len(pool) - 1))


def pick(pool: list[str], h: np.ndarray) -> pl.Series:
    """pool[h mod len(pool)] for each hash value."""
    return pl.Series(pool, dtype=pl.String).gather((h % np.uint64(len(pool))).astype(np.int64))


def _digits(values: np.ndarray, width: int) -> pl.Series:
    return pl.Series(values.astype(np.int64)).cast(pl.String).str.zfill(width)


def person_names(h: Hasher, ids: np.ndarray, salt: int, highland: np.ndarray) -> pl.DataFrame:
    """Full names with diacritics, gender, birth year and an ASCII e-mail stem for each id."""
    male = h.below(ids, salt, 2) == 0
    sur = _weighted(_SUR, _SUR_CUM, h.unit(ids, salt + 1))
    if highland.any():
        sur_hl = _weighted(_SUR_HL, _SUR_HL_CUM, h.unit(ids, salt + 1))
        sur = pl.Series(np.where(highland, sur_hl.to_numpy(), sur.to_numpy()), dtype=pl.String)
    u_mid = h.unit(ids, salt + 2)
    mid = pl.Series(np.where(male, _weighted(_MID_M, _MID_M_CUM, u_mid).to_numpy(),
                             _weighted(_MID_F, _MID_F_CUM, u_mid).to_numpy()), dtype=pl.String)
    hg = h(ids, salt + 3)
    given = pl.Series(np.where(male, pick(GIVEN_MALE, hg).to_numpy(), pick(GIVEN_FEMALE, hg).to_numpy()),
                      dtype=pl.String)
    year = 1950 + h.below(ids, salt + 4, 57)  # 1950..2006: adults
    df = pl.DataFrame({"sur": sur, "mid": mid, "given": given, "male": male, "year": year})
    return df.with_columns(
        name=pl.concat_str("sur", "mid", "given", separator=" "),
        stem=pl.col("given").replace_strict(_ASCII, default="x") + pl.col("sur").replace_strict(_ASCII, default="x"),
    )


def citizen_ids(h: Hasher, ids: np.ndarray, salt: int, province_code: np.ndarray, male: np.ndarray,
                year: np.ndarray) -> pl.Series:
    """12-digit citizen ID: province of birth (3), gender-and-century (1), year of birth (2), random (6)."""
    elsewhere = np.asarray(BIRTH_ELSEWHERE)[h.below(ids, salt, len(BIRTH_ELSEWHERE))]
    birth = np.where(h.unit(ids, salt + 1) < 0.85, province_code, elsewhere)
    century = np.where(year >= 2000, 2, 0) + np.where(male, 0, 1)
    body = h.below(ids, salt + 2, 1_000_000)
    return (_digits(birth, 3) + _digits(century, 1) + _digits(year % 100, 2) + _digits(body, 6)).rename("id")


def applicants(h: Hasher, ids: np.ndarray, *, atype: np.ndarray, online: np.ndarray, province_code: np.ndarray,
               highland: np.ndarray, place: pl.Series, place_kind: np.ndarray, province_name: pl.Series,
               tax_prefix: np.ndarray) -> pl.DataFrame:
    """The applicant of each dossier: owner name, ID number (12 digits), subject code, identity, phone, e-mail,
    address. `place` is the commune named in the address, `place_kind` 0 xã, 1 phường, 2 highland xã."""
    p = person_names(h, ids, 100, highland)
    cid = citizen_ids(h, ids, 110, province_code, p["male"].to_numpy(), p["year"].to_numpy())
    org = atype != 1
    form, trade, brand = pick(ORG_FORMS, h(ids, 120)), pick(ORG_TRADES, h(ids, 121)), pick(ORG_BRANDS, h(ids, 122))
    org_name = np.where(
        atype == 2, (form + " " + trade + " " + brand).to_numpy(),
        np.where(atype == 3, (pick(STATE_ORGS, h(ids, 123)) + " " + place).to_numpy(),
                 (pick(SOCIAL_ORGS, h(ids, 124)) + " " + place).to_numpy()))
    tax = _digits(tax_prefix, 2) + _digits(h.below(ids, 125, 100_000_000), 8)
    phone = pick(PHONE_PREFIXES, h(ids, 130)) + _digits(h.below(ids, 131, 10_000_000), 7)
    has_phone = h.unit(ids, 132) < 0.96
    has_mail = h.unit(ids, 133) < np.where(online, 0.75, 0.25)
    mail = p["stem"] + _digits(p["year"].to_numpy() % 100, 2) + "@" + pick(MAIL_DOMAINS, h(ids, 134))
    n = h.below(ids, 140, 18) + 1
    hamlet = np.where(
        place_kind == 1, np.where(h.unit(ids, 141) < 0.6, ("Khối " + _digits(n, 1)).to_numpy(),
                                  ("Tổ dân phố " + _digits(n, 1)).to_numpy()),
        np.where(place_kind == 2, ("Bản " + pick(VILLAGES_HIGHLAND, h(ids, 142))).to_numpy(),
                 np.where(h.unit(ids, 141) < 0.6, ("Xóm " + _digits(n, 1)).to_numpy(),
                          ("Thôn " + pick(HAMLETS, h(ids, 142))).to_numpy())))
    return pl.DataFrame({
        "owner_name": np.where(org, org_name, p["name"].to_numpy()),
        "owner_id": cid,  # organisations file with their legal representative's ID number
        "subject_code": np.where(org, tax.to_numpy(), cid.to_numpy()),
        "id_type": np.where(org, "2", "1"),  # DinhDanhCHS: 1 citizen ID, 2 tax code
        "id_value": np.where(org, tax.to_numpy(), cid.to_numpy()),
        "phone": np.where(has_phone, phone.to_numpy(), ""),
        "email": np.where(has_mail, mail.to_numpy(), ""),
        "address": pl.Series(hamlet, dtype=pl.String) + ", " + place + ", " + province_name,
    }, schema={k: pl.String for k in ("owner_name", "owner_id", "subject_code", "id_type", "id_value", "phone",
                                       "email", "address")})


def official_names(h: Hasher, official_ids: np.ndarray) -> pl.Series:
    """Names of the officials who handle the steps (one stable person per unit and role)."""
    return person_names(h, official_ids, 900, np.zeros(len(official_ids), dtype=bool))["name"]
