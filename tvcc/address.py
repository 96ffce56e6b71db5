"""Chinese addresses: split a pasted one-line address into its parts.

Agents paste what the caller dictated or what a web form sent, e.g.
"广东省深圳市南山区科技园科苑路15号 王芳 13800138000"; orders need the
province, city, district and street apart (couriers and statistics by
region use them).
"""
import re
from dataclasses import dataclass

from . import phone
from .demo_data import CITIES, PROVINCES

# Short forms people write: 广东 for 广东省, 内蒙古 for 内蒙古自治区 ...
_SHORT = {}
for code, name, type_ in PROVINCES:
    short = re.sub(r'(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$', '', name)
    _SHORT[name] = code
    _SHORT[short] = code
PROVINCE_NAMES = {code: name for code, name, _ in PROVINCES}
MUNICIPALITIES = {code for code, _, type_ in PROVINCES
    if type_ == 'municipality'}

# Prefecture cities people write without 市 (杭州西湖区...).
KNOWN_CITIES = sorted({city for _, city, _, _ in CITIES}, key=len,
    reverse=True)
CITY = re.compile(r'^(.{1,9}?(?:自治州|地区|盟|市))')
DISTRICT = re.compile(r'^(.{1,9}?(?:新区|区|县|旗|市))')
MOBILE = re.compile(r'(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?!\d)')
POSTAL = re.compile(r'(?<!\d)(\d{6})(?!\d)')


@dataclass
class ParsedAddress:
    province: str | None = None      # ISO code, e.g. CN-GD
    city: str | None = None
    district: str | None = None
    street: str | None = None
    phone: str | None = None         # E.164
    postal_code: str | None = None
    name: str | None = None

    @property
    def complete(self):
        return bool(self.province and self.city and self.district
            and self.street)


def parse(text):
    "Return the ParsedAddress of a one-line address (missing parts None)"
    result = ParsedAddress()
    text = (text or '').strip()
    match = MOBILE.search(text)
    if match:
        result.phone = phone.normalize_or_none(match.group(1))
        text = (text[:match.start()] + ' ' + text[match.end():]).strip()
    match = POSTAL.search(text)
    if match:
        result.postal_code = match.group(1)
        text = (text[:match.start()] + ' ' + text[match.end():]).strip()
    # A name next to the address: a short run of Chinese characters apart.
    parts = re.split(r'[\s,，;；]+', text)
    names = [p for p in parts
        if 2 <= len(p) <= 4 and re.fullmatch(r'[\u4e00-\u9fff]+', p)
        and not re.search(r'[省市区县路街号镇乡村]', p)]
    if names:
        result.name = names[0]
        parts.remove(names[0])
    text = ''.join(parts)
    for name in sorted(_SHORT, key=len, reverse=True):
        if text.startswith(name):
            result.province = _SHORT[name]
            text = text[len(name):]
            break
    if result.province in MUNICIPALITIES:
        # 上海市浦东新区...: the municipality is the city.
        result.city = PROVINCE_NAMES[result.province]
        if text.startswith(result.city):
            text = text[len(result.city):]
        text = re.sub(r'^市辖区', '', text)
    else:
        for city in KNOWN_CITIES:
            short = city.removesuffix('市')
            if text.startswith(short) and not text.startswith(city):
                result.city = city
                text = text[len(short):]
                break
        else:
            match = CITY.match(text)
            if match:
                result.city = match.group(1)
                text = text[match.end():]
    match = DISTRICT.match(text)
    if match:
        result.district = match.group(1)
        text = text[match.end():]
    result.street = text.strip() or None
    return result
